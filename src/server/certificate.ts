import { createPrivateKey, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { SELF_SIGNED_VALID_DAYS, SELF_SIGNED_WAIT_MS } from '../wire/limits.js';
import { keyFingerprint } from '../wire/fingerprint.js';

// The server's TLS identity. With no setup it makes its own: an ECDSA P-256 key and a self-signed
// certificate, written beside the database (the key with mode 0600) and reused on every later start, so its
// fingerprint stays the one clients remembered. An operator with a CA-issued certificate names the files
// instead (--tls-cert/--tls-key). Either way the files are read again on SIGHUP (a renewed certificate).
// One SecureContext serves every connection: building one parses the key and chain, and sharing it also
// shares the session-ticket keys, so a reconnecting client resumes instead of doing a full handshake.

/** @peculiar/x509, loaded only when a certificate is made: it costs ~0.3 s of start-up that a restart need not pay. */
async function x509Library(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata'); // @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs it
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>); // node's webcrypto is the standard Crypto, typed apart
  return x509;
}

/** Certificate and key files. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** Where the self-signed certificate and key of the database `db` live: beside it, named after it. */
export function selfSignedFiles(db: string): TlsFiles {
  return { cert: `${db}.cert.pem`, key: `${db}.key.pem` };
}

export class CertificateError extends Error {
  override name = 'CertificateError';
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * A new self-signed certificate for this host: ECDSA P-256, SHA-256, valid SELF_SIGNED_VALID_DAYS days,
 * naming localhost, the host name and the loopback addresses. Clients pin its key (trust on first use), so
 * the names matter only to tools that look at them.
 */
export async function makeSelfSigned(now = new Date()): Promise<{ cert: string; key: string }> {
  const x509 = await x509Library();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const host = os.hostname();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${host.replace(/[,=+<>#;"\\]/g, '') || 'parley'}, O=parley`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + SELF_SIGNED_VALID_DAYS * 86_400_000),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        ...(host && host !== 'localhost' ? [{ type: 'dns' as const, value: host }] : []),
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { cert: cert.toString('pem'), key };
}

/**
 * The self-signed files of `files`, made now if neither exists (returns created: true). The key is written
 * first, with mode 0600 and O_EXCL, so it is never readable by others, not even for a moment, and two
 * servers starting at once cannot interleave: the one whose key came second uses the first one's files,
 * once its certificate is there (within SELF_SIGNED_WAIT_MS). One file without the other is an error (a
 * half-copied setup), thrown as CertificateError.
 */
export async function ensureSelfSigned(files: TlsFiles): Promise<{ created: boolean }> {
  const haveCert = fs.existsSync(files.cert);
  const haveKey = fs.existsSync(files.key);
  if (haveCert && haveKey) return { created: false };
  if (haveCert !== haveKey) throw halfSetup(files, haveCert);
  const made = await makeSelfSigned();
  fs.mkdirSync(path.dirname(path.resolve(files.key)), { recursive: true });
  try {
    fs.writeFileSync(files.key, made.key, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another server made the key while this one made its own: its certificate follows at once (whole:
    // the file exists from its open, before its one write).
    const whole = (): boolean => fs.existsSync(files.cert) && fs.readFileSync(files.cert, 'utf8').includes('-----END CERTIFICATE-----');
    for (const end = Date.now() + SELF_SIGNED_WAIT_MS; !whole() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    if (!whole()) throw halfSetup(files, false);
    return { created: false };
  }
  fs.writeFileSync(files.cert, made.cert, { mode: 0o644, flag: 'wx' });
  return { created: true };
}

function halfSetup(files: TlsFiles, haveCert: boolean): CertificateError {
  return new CertificateError(`found ${haveCert ? files.cert : files.key} but not ${haveCert ? files.key : files.cert}; restore it, or remove both to make a new certificate (clients will see a new fingerprint)`);
}

/**
 * The current TLS identity: a secure context built from the files, its fingerprint, and reload() to read
 * them again. A reload that fails (a half-written renewal) keeps the old identity and throws why.
 */
export class TlsIdentity {
  private context: tls.SecureContext;
  private fp: string;

  private constructor(
    readonly files: TlsFiles,
    readonly selfSigned: boolean,
  ) {
    ({ context: this.context, fingerprint: this.fp } = TlsIdentity.load(files));
  }

  /** The identity from `files`, made first when `selfSigned` and they do not exist yet. */
  static async open(files: TlsFiles, selfSigned: boolean): Promise<{ identity: TlsIdentity; created: boolean }> {
    const { created } = selfSigned ? await ensureSelfSigned(files) : { created: false };
    return { identity: new TlsIdentity(files, selfSigned), created };
  }

  /** SHA-256 of the public key, as clients show it (see keyFingerprint). */
  get fingerprint(): string {
    return this.fp;
  }

  /**
   * The secure context to serve with now. The IRC gateway and any other TLS listener call this per
   * connection, so all of them pick up a reload at once.
   */
  readonly secureContext = (): tls.SecureContext => this.context;

  /** Read the files again (SIGHUP). Returns the fingerprint now served; throws CertificateError and keeps the old one. */
  reload(): string {
    ({ context: this.context, fingerprint: this.fp } = TlsIdentity.load(this.files));
    return this.fp;
  }

  private static load(files: TlsFiles): { context: tls.SecureContext; fingerprint: string } {
    let cert: string;
    let key: string;
    try {
      cert = fs.readFileSync(files.cert, 'utf8');
      key = fs.readFileSync(files.key, 'utf8');
    } catch (err) {
      throw new CertificateError(`cannot read the TLS certificate or key: ${(err as Error).message}`);
    }
    try {
      // The first certificate of the chain is the server's own; the rest are intermediates for clients.
      return { context: tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' }), fingerprint: keyFingerprint(cert) };
    } catch (err) {
      throw new CertificateError(`the TLS certificate ${files.cert} and key ${files.key} do not work together: ${(err as Error).message}`);
    }
  }
}
