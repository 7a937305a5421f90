import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveDirectKeys, RecordOpener, RecordSealer, RECORD_HEADER_BYTES, RECORD_TAG_BYTES } from '../../src/wire/direct-records.js';
import { Handshake } from '../../src/wire/direct.js';
import { MAX_DIRECT_RECORD_BYTES } from '../../src/wire/limits.js';

// Issue 10, item 14: the direct link's keys and records (PROTOCOL.md §10.3). The vector is read from the
// document itself (computed independently with Python's hmac and cryptography packages when it was written).

const doc = fs.readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('### 10.3'), doc.indexOf('### 10.4'));
function fromDoc(name: string): string {
  const m = new RegExp(`${name}: \`([0-9a-f]+)\``).exec(section);
  if (!m) throw new Error(`PROTOCOL.md §10.3 has no ${name}`);
  return m[1]!;
}

const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url');
const link = Buffer.alloc(16, 0x11).toString('base64url');
const nb = Buffer.alloc(32, 0xbb).toString('base64url');
const na = Buffer.alloc(32, 0xaa).toString('base64url');
const WHISPER = Buffer.from('{"type":"whisper","n":1,"text":"hi"}\n');

describe('the key and record test vector of PROTOCOL.md §10.3', () => {
  it('derives the document\'s two keys from the §10.2 inputs', () => {
    const keys = deriveDirectKeys(secret, link, nb, na);
    expect(keys.connector.toString('hex')).toBe(fromDoc('K_c'));
    expect(keys.listener.toString('hex')).toBe(fromDoc('K_l'));
  });

  it("seals the connector's first record exactly as the document shows, and the listener opens it", () => {
    const keys = deriveDirectKeys(secret, link, nb, na);
    const record = new RecordSealer(keys.connector).seal(WHISPER);
    expect(record.toString('hex')).toBe(fromDoc('record'));
    expect(new RecordOpener(keys.connector).push(record)).toEqual({ ok: true, plaintext: [WHISPER] });
  });

  it('a finished handshake hands each side the key it sends with and the one it receives with', () => {
    const listener = new Handshake('listener', secret, link, () => Buffer.alloc(32, 0xaa));
    const connector = new Handshake('connector', secret, link, () => Buffer.alloc(32, 0xbb));
    expect(() => connector.keys()).toThrow(/before the handshake/);
    const step = (s: ReturnType<Handshake['receive']>) => (s.kind === 'send' ? s.messages : []);
    const challenge = step(listener.receive(connector.start()[0]!));
    const ready = step(listener.receive(step(connector.receive(challenge[0]!))[0]!));
    connector.receive(ready[0]!);
    expect(listener.done && connector.done).toBe(true);
    expect(connector.keys().send.toString('hex')).toBe(fromDoc('K_c'));
    expect(connector.keys().receive.toString('hex')).toBe(fromDoc('K_l'));
    expect(listener.keys()).toEqual({ send: connector.keys().receive, receive: connector.keys().send });
  });
});

describe('records', () => {
  const keys = deriveDirectKeys(secret, link, nb, na);
  const sealed = (n: number) => {
    const s = new RecordSealer(keys.connector);
    return Array.from({ length: n }, (_, i) => s.seal(Buffer.from(`frame ${i}\n`)));
  };
  const text = (o: ReturnType<RecordOpener['push']>) => (o.ok ? Buffer.concat(o.plaintext).toString() : o.why);

  it('opens records split and joined anywhere on the way', () => {
    const all = Buffer.concat(sealed(3));
    const opener = new RecordOpener(keys.connector);
    const got: string[] = [];
    for (let i = 0; i < all.length; i += 7) got.push(text(opener.push(all.subarray(i, i + 7))));
    expect(got.join('')).toBe('frame 0\nframe 1\nframe 2\n');
  });

  it('never uses one nonce twice: the same plaintext seals differently each time', () => {
    const s = new RecordSealer(keys.connector);
    const a = s.seal(WHISPER);
    const b = s.seal(WHISPER);
    expect(a.subarray(RECORD_HEADER_BYTES).equals(b.subarray(RECORD_HEADER_BYTES))).toBe(false);
  });

  it.each([
    ['replayed', (r: Buffer[]) => [r[0]!, r[0]!]],
    ['reordered', (r: Buffer[]) => [r[1]!, r[0]!]],
    ['dropped', (r: Buffer[]) => [r[0]!, r[2]!]],
    ['reflected (sealed with the other direction\'s key)', () => [new RecordSealer(keys.listener).seal(Buffer.from('frame 0\n'))]],
  ])('a %s record fails authentication and ends the stream', (_what, arrange) => {
    const opener = new RecordOpener(keys.connector);
    const results = arrange(sealed(3)).map((r) => opener.push(r));
    const failed = results.find((r) => !r.ok);
    expect(failed).toEqual({ ok: false, why: 'a record failed authentication: altered, replayed or reordered on the way' });
    expect(opener.push(sealed(1)[0]!)).toMatchObject({ ok: false });
  });

  it('any one byte changed anywhere in a record fails authentication', () => {
    const record = sealed(1)[0]!;
    for (let i = RECORD_HEADER_BYTES; i < record.length; i++) {
      const bent = Buffer.from(record);
      bent[i]! ^= 0x01;
      expect(new RecordOpener(keys.connector).push(bent).ok).toBe(false);
    }
    const longer = Buffer.from(record);
    longer.writeUInt16BE(record.readUInt16BE(0) - 1); // a length lie: the header is authenticated too
    expect(new RecordOpener(keys.connector).push(longer).ok).toBe(false);
  });

  it('bounds a record: a length over MAX_DIRECT_RECORD_BYTES or of zero ends the stream before any buffering', () => {
    const big = Buffer.alloc(RECORD_HEADER_BYTES);
    big.writeUInt16BE(MAX_DIRECT_RECORD_BYTES + 1);
    expect(new RecordOpener(keys.connector).push(big)).toEqual({ ok: false, why: `a record of ${MAX_DIRECT_RECORD_BYTES + 1} bytes is outside 1-${MAX_DIRECT_RECORD_BYTES}` });
    expect(new RecordOpener(keys.connector).push(Buffer.alloc(2 + RECORD_TAG_BYTES))).toMatchObject({ ok: false });
  });

  it('splits a plaintext longer than a record into several', () => {
    const long = Buffer.alloc(MAX_DIRECT_RECORD_BYTES * 2 + 5, 0x61);
    const out = new RecordSealer(keys.connector).seal(long);
    expect(out.length).toBe(long.length + 3 * (RECORD_HEADER_BYTES + RECORD_TAG_BYTES));
    const opened = new RecordOpener(keys.connector).push(out);
    expect(opened.ok && Buffer.concat(opened.plaintext).equals(long)).toBe(true);
  });
});
