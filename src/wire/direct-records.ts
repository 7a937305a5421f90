import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { MAX_DIRECT_RECORD_BYTES } from './limits.js';

// The encryption of the direct link after its handshake (PROTOCOL.md §10.3). Keys come from the server's
// one-time secret and both sides' fresh nonces through HKDF-SHA256 (RFC 5869), one key per direction; each
// record is AES-256-GCM (NIST SP 800-38D) with the sender's record count as its nonce, so no nonce is ever
// used twice under one key, and a record dropped, replayed, reordered or altered fails authentication at the
// receiver, whose count then disagrees. Pure: no sockets; the link feeds bytes in and writes what comes out.

/** Bytes of a record's header: the length of its plaintext, big-endian. */
export const RECORD_HEADER_BYTES = 2;
/** Bytes of the GCM authentication tag at the end of every record. */
export const RECORD_TAG_BYTES = 16;
const KEY_BYTES = 32;
const LABEL = 'parley-direct-v1';

/** The key of the records each role sends (32 bytes each). */
export interface DirectKeys {
  connector: Buffer;
  listener: Buffer;
}

/**
 * HKDF-SHA256 with the 32 bytes of the secret as input key material, the 64 bytes NB || NA (the decoded
 * nonces, connector's first) as salt, and info `"parley-direct-v1" 0x00 "key" 0x00 ROLE 0x00 LINK` (LINK the
 * link id text as sent) for the key of the records ROLE sends. Arguments are the base64url texts of §10.2.
 */
export function deriveDirectKeys(secret: string, link: string, connectorNonce: string, listenerNonce: string): DirectKeys {
  const ikm = Buffer.from(secret, 'base64url');
  const salt = Buffer.concat([Buffer.from(connectorNonce, 'base64url'), Buffer.from(listenerNonce, 'base64url')]);
  const key = (role: string) => Buffer.from(hkdfSync('sha256', ikm, salt, `${LABEL}\0key\0${role}\0${link}`, KEY_BYTES));
  return { connector: key('connector'), listener: key('listener') };
}

/** The 12-byte GCM nonce of record number `seq`: four zero bytes, then `seq` as an unsigned 64-bit big-endian. */
function nonceFor(seq: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(seq), 4);
  return iv;
}

/** Seals what one side sends, numbering records from 0. */
export class RecordSealer {
  private seq = 0;

  constructor(private readonly key: Buffer) {}

  /** `plaintext` as one or more records (split at MAX_DIRECT_RECORD_BYTES); an empty plaintext makes none. */
  seal(plaintext: Buffer): Buffer {
    const out: Buffer[] = [];
    for (let at = 0; at < plaintext.length; at += MAX_DIRECT_RECORD_BYTES) {
      const part = plaintext.subarray(at, at + MAX_DIRECT_RECORD_BYTES);
      const header = Buffer.alloc(RECORD_HEADER_BYTES);
      header.writeUInt16BE(part.length);
      // A count past 2^53 would take centuries of records; refusing is cheaper than proving it cannot happen.
      if (!Number.isSafeInteger(this.seq + 1)) throw new Error('direct link: record counter exhausted');
      const cipher = createCipheriv('aes-256-gcm', this.key, nonceFor(this.seq++), { authTagLength: RECORD_TAG_BYTES });
      cipher.setAAD(header);
      out.push(header, cipher.update(part), cipher.final(), cipher.getAuthTag());
    }
    return Buffer.concat(out);
  }
}

export type Opened = { ok: true; plaintext: Buffer[] } | { ok: false; why: string };

/**
 * Opens what the other side sends, in order. Holds at most one incomplete record. The first record that
 * fails (a bad length, or authentication: altered, replayed, reordered or dropped in transit) ends the
 * stream: the caller must close the link.
 */
export class RecordOpener {
  private seq = 0;
  private pending: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly key: Buffer) {}

  push(chunk: Buffer): Opened {
    if (this.failed) return { ok: false, why: 'the link already failed' };
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const plaintext: Buffer[] = [];
    while (this.pending.length >= RECORD_HEADER_BYTES) {
      const length = this.pending.readUInt16BE(0);
      if (length === 0 || length > MAX_DIRECT_RECORD_BYTES) return this.fail(`a record of ${length} bytes is outside 1-${MAX_DIRECT_RECORD_BYTES}`);
      const total = RECORD_HEADER_BYTES + length + RECORD_TAG_BYTES;
      if (this.pending.length < total) break;
      const header = this.pending.subarray(0, RECORD_HEADER_BYTES);
      const body = this.pending.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + length);
      const tag = this.pending.subarray(RECORD_HEADER_BYTES + length, total);
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key, nonceFor(this.seq), { authTagLength: RECORD_TAG_BYTES });
        decipher.setAAD(header);
        decipher.setAuthTag(tag);
        plaintext.push(Buffer.concat([decipher.update(body), decipher.final()]));
      } catch {
        return this.fail('a record failed authentication: altered, replayed or reordered on the way');
      }
      this.seq++;
      this.pending = this.pending.subarray(total);
    }
    return { ok: true, plaintext };
  }

  private fail(why: string): Opened {
    this.failed = true;
    this.pending = Buffer.alloc(0);
    return { ok: false, why };
  }
}
