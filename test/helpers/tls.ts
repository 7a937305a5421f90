import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, webcrypto } from 'node:crypto';
import 'reflect-metadata'; // before @peculiar/x509, which needs it at import
import * as x509 from '@peculiar/x509';
import { selfSignedFiles, TlsIdentity } from '../../src/server/certificate.js';
import { tempDir } from './tmp.js';

type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

// TLS test fixtures: a fresh self-signed identity (as the server makes on first start), a recording TCP
// proxy (what someone on the path sees), and an address of this machine that is not loopback.

/** A new self-signed identity in a temp dir. */
export async function testIdentity(): Promise<TlsIdentity> {
  const dir = tempDir('parley-tls-');
  return (await TlsIdentity.open(selfSignedFiles(path.join(dir, 'parley.db')), true)).identity;
}

/** An IPv4 address of this machine's that is not loopback (undefined on a machine without one). */
export function nonLoopbackAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
}

export interface RecordingProxy {
  port: number;
  /** Every byte that crossed, both directions, in order. */
  recorded(): Buffer;
  /** Cut every connection through it (the client sees the server drop). */
  cut(): void;
  close(): Promise<void>;
}

/** A TCP proxy on `host` forwarding to 127.0.0.1:`target`, keeping a copy of everything it carries. */
export function recordingProxy(target: number, host = '127.0.0.1'): Promise<RecordingProxy> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      chunks.push(d);
      client.write(d);
    });
  });
  return new Promise((resolve) => {
    server.listen({ host, port: 0 }, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        recorded: () => Buffer.concat(chunks),
        cut: () => {
          for (const s of sockets) s.destroy();
        },
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

/** A certificate authority and a certificate it issued for `localhost`, all PEM (a "CA-issued" server certificate). */
export async function caIssued(): Promise<{ ca: string; cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as KeyPair;
  const leafKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as KeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=parley test CA',
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    issuer: ca.subject,
    subject: 'CN=localhost',
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }]), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { ca: ca.toString('pem'), cert: leaf.toString('pem'), key };
}
