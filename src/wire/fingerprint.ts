import { createHash, X509Certificate } from 'node:crypto';

// A server's identity as a person compares it: the SHA-256 of the certificate's public key (its DER
// SubjectPublicKeyInfo), written as OpenSSH writes key fingerprints, `SHA256:` and unpadded base64. The key,
// not the whole certificate, so renewing a certificate for the same key keeps the fingerprint (as HPKP and
// SSH pin keys). Both the server (which prints it) and the client (which remembers it) use this function.

/** `SHA256:` then 43 base64 characters. */
export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The fingerprint of a certificate given as PEM text or DER bytes. Throws on something that is not one. */
export function keyFingerprint(certificate: string | Buffer): string {
  const spki = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
  return 'SHA256:' + createHash('sha256').update(spki).digest('base64').replace(/=+$/, '');
}

/** Whether `s` is written as keyFingerprint writes (a `--trust` value, a line of the known-servers file). */
export function isFingerprint(s: string): boolean {
  return FINGERPRINT_PATTERN.test(s);
}
