import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Handshake, proofFor } from '../../src/wire/direct.js';

// PROTOCOL.md §10.2 gives a worked example of the handshake MAC. These tests read the numbers from the
// document itself, so the document and the code cannot drift apart.

const doc = fs.readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');
const vector = doc.slice(doc.indexOf('**Test vector.**'));

function fromDoc(role: 'listener' | 'connector'): { hex: string; b64: string } {
  const m = new RegExp(`\\| ${role} \\| \`([0-9a-f]{64})\` \\| \`([A-Za-z0-9_-]{43})\` \\|`).exec(vector);
  if (!m) throw new Error(`PROTOCOL.md has no ${role} row in its test vector`);
  return { hex: m[1]!, b64: m[2]! };
}

const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url');
const link = Buffer.alloc(16, 0x11).toString('base64url');
const nb = Buffer.alloc(32, 0xbb).toString('base64url');
const na = Buffer.alloc(32, 0xaa).toString('base64url');

describe('the direct link test vector of PROTOCOL.md', () => {
  it('spells the inputs as the document does', () => {
    for (const text of [secret, link, nb, na]) expect(vector).toContain(`\`${text}\``);
  });

  it.each(['listener', 'connector'] as const)('the %s proof matches the document, in hex and base64url', (role) => {
    const expected = fromDoc(role);
    const proof = proofFor(secret, role, link, nb, na);
    expect(proof).toBe(expected.b64);
    expect(Buffer.from(proof, 'base64url').toString('hex')).toBe(expected.hex);
  });

  it('a handshake with those nonces sends exactly those proofs', () => {
    const bytes = (b: number) => () => Buffer.alloc(32, b);
    const listener = new Handshake('listener', secret, link, bytes(0xaa));
    const connector = new Handshake('connector', secret, link, bytes(0xbb));
    const [hello] = connector.start();
    expect(hello).toEqual({ type: 'hello', version: 1, link, nonce: nb });
    const challenge = listener.receive(hello!);
    expect(challenge).toEqual({ kind: 'send', done: false, messages: [{ type: 'challenge', nonce: na, proof: fromDoc('listener').b64 }] });
    if (challenge.kind !== 'send') throw new Error(challenge.why);
    const proof = connector.receive(challenge.messages[0]!);
    expect(proof).toEqual({ kind: 'send', done: false, messages: [{ type: 'proof', proof: fromDoc('connector').b64 }] });
  });
});
