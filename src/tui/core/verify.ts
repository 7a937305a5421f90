import type tls from 'node:tls';
import { keyFingerprint } from '../../wire/fingerprint.js';
import { ParleyError } from './errors.js';
import { KnownServers, serverKey } from './known-servers.js';

// Is this TLS server the one the user means? In order: a certificate a system CA vouches for, for the name
// typed, is accepted as a browser would; otherwise the key is compared with what this user trusted before
// for this host:port (trust on first use, as ssh). A new server's fingerprint is shown once and the user
// asked (or --trust given); a changed one is refused, with both fingerprints, and never asked about: the
// whole point is that a key nobody announced may be someone else's.

/** A server with no remembered key: its fingerprint, for the user to compare with what the operator published. */
export interface TrustQuestion {
  server: string;
  fingerprint: string;
}

export interface VerifyOptions {
  host: string;
  port: number;
  known: KnownServers;
  /** --trust: the fingerprint the user expects (scripts). */
  trust?: string;
  /** Ask a person; resolve true to trust and remember. Absent (a pipe, a script): unknown servers are refused. */
  ask?: (q: TrustQuestion) => Promise<boolean>;
}

/** How the server was verified. */
export type Verified = 'ca' | 'known' | 'trusted-now' | 'resumed';

/**
 * Check the server at the other end of `socket` (after secureConnect, with rejectUnauthorized off so we can
 * decide). Resolves how it was verified; rejects with ParleyError `untrusted`, whose message says what to do.
 */
export async function verifyServer(socket: tls.TLSSocket, o: VerifyOptions): Promise<Verified> {
  // Resumed from a ticket of a server verified earlier (the caller keeps no other): only that server can
  // decrypt the ticket and so complete the handshake, and a resumed handshake carries no certificate.
  if (socket.isSessionReused()) return 'resumed';
  if (socket.authorized) return 'ca';
  const cert = socket.getPeerCertificate();
  if (!cert?.raw) throw new ParleyError('untrusted', `the server at ${serverKey(o.host, o.port)} sent no certificate; not sending anything to it`);
  const fingerprint = keyFingerprint(cert.raw);
  const server = serverKey(o.host, o.port);
  const known = o.known.lookup(server);
  if (known) {
    if (known.fingerprint === fingerprint) return 'known';
    throw new ParleyError(
      'untrusted',
      `THE KEY OF ${server} HAS CHANGED: it is now ${fingerprint}, you trusted ${known.fingerprint}. Someone may be impersonating the server, so nothing was sent. ` +
        `If its operator confirms the new key, delete line ${known.line} of ${o.known.file} and connect again.`,
    );
  }
  if (o.trust !== undefined) {
    if (o.trust !== fingerprint) {
      throw new ParleyError('untrusted', `the server at ${server} has key ${fingerprint}, not ${o.trust} given with --trust; nothing was sent`);
    }
  } else if (!o.ask || !(await o.ask({ server, fingerprint }))) {
    throw new ParleyError(
      'untrusted',
      `the server at ${server} is not known (key ${fingerprint}); nothing was sent. If its operator confirms that fingerprint, run again with --trust ${fingerprint}`,
    );
  }
  o.known.remember(server, fingerprint);
  return 'trusted-now';
}
