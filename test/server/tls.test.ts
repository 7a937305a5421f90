import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSelfSigned, TlsIdentity } from '../../src/server/certificate.js';
import type { PlaintextPolicy } from '../../src/server/host.js';
import { keyFingerprint } from '../../src/wire/fingerprint.js';
import { TLS_WRITE_MAX_BYTES } from '../../src/wire/limits.js';
import { nonLoopbackAddress, testIdentity } from '../helpers/tls.js';
import { startTestServer, tempDb, Wire, type TestServer } from './helpers.js';

// The relay's TLS: its own certificate made on first start, one port for TLS and plaintext (told apart by
// the first byte), plaintext only from this machine unless the operator says otherwise, a reload that
// applies to new connections, and session resumption from the one shared context.

const servers: TestServer[] = [];
const wires: Wire[] = [];
afterEach(async () => {
  for (const w of wires.splice(0)) w.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(identity: TlsIdentity, plaintext?: PlaintextPolicy, host = '127.0.0.1'): Promise<number> {
  const s = await startTestServer(tempDb(), { host, secureContext: identity.secureContext, ...(plaintext && { plaintext }) });
  servers.push(s);
  return s.port;
}

async function hello(w: Wire, name: string) {
  wires.push(w);
  w.send({ type: 'hello', name, version: 1, ref: 'hello' });
  return w.next((f) => f.type === 'welcome' || f.type === 'error');
}

const peerFingerprint = (w: Wire) => keyFingerprint((w.socket as tls.TLSSocket).getPeerCertificate().raw);
const lan = nonLoopbackAddress();

describe('the server certificate', () => {
  it('is made beside the database on first start, key readable by the owner only, and kept for later starts', async () => {
    const db = tempDb();
    const files = { cert: `${db}.cert.pem`, key: `${db}.key.pem` };
    const first = await TlsIdentity.open(files, true);
    expect(first.created).toBe(true);
    expect(fs.statSync(files.key).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(files.cert, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const again = await TlsIdentity.open(files, true);
    expect(again.created).toBe(false);
    expect(again.identity.fingerprint).toBe(first.identity.fingerprint);
    expect(path.dirname(files.key)).toBe(path.dirname(db));
  });

  it('is what the server presents, with the fingerprint it reports', async () => {
    const identity = await testIdentity();
    const port = await serve(identity);
    const w = await Wire.tls(port);
    expect((await hello(w, 'alice')).type).toBe('welcome');
    expect(peerFingerprint(w)).toBe(identity.fingerprint);
    expect(identity.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('is made once when two servers start at the same moment with the same files: the second uses the first one\'s', async () => {
    // The servers of a cluster started together from one directory (their files come from the default --db).
    const db = tempDb();
    const files = { cert: `${db}.cert.pem`, key: `${db}.key.pem` };
    const both = await Promise.all([TlsIdentity.open(files, true), TlsIdentity.open(files, true)]);
    expect(both.map((b) => b.created).sort()).toEqual([false, true]);
    expect(both[0].identity.fingerprint).toBe(both[1].identity.fingerprint);
  });

  it('refuses half a setup: a certificate without its key', async () => {
    const db = tempDb();
    fs.writeFileSync(`${db}.cert.pem`, (await makeSelfSigned()).cert);
    await expect(TlsIdentity.open({ cert: `${db}.cert.pem`, key: `${db}.key.pem` }, true)).rejects.toThrow(/found .*cert\.pem but not .*key\.pem/);
  });
});

describe('one port, TLS and plaintext', () => {
  it('serves TLS and loopback plaintext on the same port', async () => {
    const port = await serve(await testIdentity());
    expect((await hello(await Wire.tls(port), 'alice')).type).toBe('welcome');
    expect((await hello(await Wire.connect(port), 'bob')).type).toBe('welcome');
  });

  it.skipIf(!lan)('refuses plaintext from another machine, and serves it TLS', async () => {
    const port = await serve(await testIdentity(), undefined, '0.0.0.0');
    const plain = await Wire.connect(port, lan);
    expect(await hello(plain, 'alice')).toMatchObject({ type: 'error', code: 'tls_required' });
    await plain.waitClosed();
    expect(plain.frames.filter((f) => f.type === 'welcome')).toEqual([]);
    expect((await hello(await Wire.tls(port, lan), 'alice')).type).toBe('welcome');
  });

  it.skipIf(!lan)('accepts plaintext from another machine when the operator opts in (a TLS-terminating proxy)', async () => {
    const port = await serve(await testIdentity(), 'any', '0.0.0.0');
    expect((await hello(await Wire.connect(port, lan), 'alice')).type).toBe('welcome');
  });

  it('refuses plaintext even on loopback with --require-tls', async () => {
    const port = await serve(await testIdentity(), 'never');
    const plain = await Wire.connect(port);
    expect(await hello(plain, 'alice')).toMatchObject({ type: 'error', code: 'tls_required', message: expect.stringContaining('--tls') });
    await plain.waitClosed();
    expect((await hello(await Wire.tls(port), 'alice')).type).toBe('welcome');
  });

  it('resumes a returning client from a session ticket instead of a full handshake', async () => {
    const port = await serve(await testIdentity());
    const first = await Wire.tls(port);
    const ticket = await new Promise<Buffer>((resolve) => {
      first.socket.once('session', resolve);
      void hello(first, 'alice');
    });
    expect(first.socket.isSessionReused()).toBe(false);
    const second = await Wire.tls(port, '127.0.0.1', ticket);
    expect((await hello(second, 'bob')).type).toBe('welcome');
    expect(second.socket.isSessionReused()).toBe(true);
  });
});

describe('reloading the certificate', () => {
  it('serves new connections the new certificate; a broken one keeps the old', async () => {
    const dir = fs.mkdtempSync(path.join(path.dirname(tempDb()), 'ca-'));
    const files = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
    const one = await makeSelfSigned();
    fs.writeFileSync(files.cert, one.cert);
    fs.writeFileSync(files.key, one.key);
    const { identity } = await TlsIdentity.open(files, false);
    const port = await serve(identity);
    const before = await Wire.tls(port);
    await hello(before, 'alice');
    expect(peerFingerprint(before)).toBe(keyFingerprint(one.cert));

    const two = await makeSelfSigned();
    fs.writeFileSync(files.cert, two.cert);
    fs.writeFileSync(files.key, two.key);
    expect(identity.reload()).toBe(keyFingerprint(two.cert));
    const after = await Wire.tls(port);
    expect((await hello(after, 'bob')).type).toBe('welcome');
    expect(peerFingerprint(after)).toBe(keyFingerprint(two.cert));
    // The connection made before the reload goes on.
    before.send({ type: 'say', text: 'still here', ref: 'r1' });
    expect(await before.next((f) => f.type === 'message')).toMatchObject({ text: 'still here' });

    fs.writeFileSync(files.key, one.key); // a key that does not match the certificate
    expect(() => identity.reload()).toThrow(/do not work together/);
    const still = await Wire.tls(port);
    expect((await hello(still, 'carol')).type).toBe('welcome');
    expect(peerFingerprint(still)).toBe(keyFingerprint(two.cert));
  });
});

describe('writes to a TLS client', () => {
  it('a history replay larger than a TLS record reaches the client whole, written in pieces of at most TLS_WRITE_MAX_BYTES', async () => {
    const identity = await testIdentity();
    const s = await startTestServer(tempDb(), { secureContext: identity.secureContext });
    servers.push(s);
    const ann = await Wire.hello(s.port, 'ann');
    wires.push(ann);
    const lines = Array.from({ length: 40 }, (_, i) => `${i}: ${'ann has a lot to say; '.repeat(70)}and that is all`);
    for (const text of lines) ann.send({ type: 'say', text });
    await ann.sync();
    // Node's TLS socket keeps buffers as large as the largest write it was given, for as long as it lives:
    // every write the server makes to a TLS socket is counted (the client's own are told apart by socket).
    const sizes: number[] = [];
    const ben = await Wire.tls(s.port);
    wires.push(ben);
    const write = tls.TLSSocket.prototype.write;
    const spy = function (this: tls.TLSSocket, chunk: unknown, ...rest: unknown[]): boolean {
      if (this !== ben.socket && (typeof chunk === 'string' || chunk instanceof Uint8Array)) sizes.push(Buffer.byteLength(chunk));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    };
    tls.TLSSocket.prototype.write = spy as typeof write;
    try {
      ben.send({ type: 'hello', name: 'ben', version: 2, usersOnce: true });
      await ben.seen((f) => f.type === 'message' && f.text === lines[39]);
    } finally {
      tls.TLSSocket.prototype.write = write;
    }
    // What ben sees: the 40 lines of history, whole and in order.
    expect(ben.frames.filter((f) => f.type === 'message' && f.history === true).map((f) => (f as { text: string }).text)).toEqual(lines);
    // Before: the welcome, the room and its history went out in one write of ~63 KB.
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(60_000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(TLS_WRITE_MAX_BYTES);
  });
});
