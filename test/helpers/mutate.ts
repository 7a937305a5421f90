// Deterministic hostile frames for robustness tests: valid requests, then mutated ones.

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  '{"type":"hello","name":"x","version":1}',
  '{"type":"say","text":"hello"}',
  '{"type":"say","text":"waves","action":true}',
  '{"type":"whisper","to":"bystander","text":"psst"}',
  '{"type":"nick","name":"y"}',
  '{"type":"list"}',
  '{"type":"ping","token":"t"}',
];

/** Whole frames that target known weak spots of JSON servers. */
const NASTY = [
  '{"type":"say","text":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
  '{"__proto__":{"type":"say","text":"polluted"},"type":"list"}',
  '{"type":"constructor"}',
  '{"type":"say","text":"a\\u0000b"}',
  '{"type":"say","text":"\\ud800"}',
  '{"type":"hello","name":"\\u0000","version":1e400}',
  '{"type":"hello","name":"z","version":-0}',
  '{"type":"say","text":12345678901234567890123456789}',
  '{"type":"whisper","to":["bystander"],"text":"x"}',
  '{"type":"say","text":{"toString":"x"}}',
  '{"type":"nick","name":"' + 'n'.repeat(5000) + '"}',
  '{"type":"say","text":"' + '\\u001b[2J'.repeat(500) + '"}',
  '{"type":"say","text":"x","ref":' + '1'.repeat(100) + '}',
  '[{"type":"list"}]',
  '"type"',
  'null',
  '{"type":null}',
  '{"type":"ping","token":' + '{"a":'.repeat(200) + '1' + '}'.repeat(200) + '}',
];

/** One hostile frame as bytes, newline included. */
export function hostileFrame(rand: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (r < 0.25) return Buffer.from(pick(NASTY) + '\n');
  const bytes = Buffer.from(pick(VALID));
  const out = Buffer.from(bytes);
  const flips = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < flips; i++) {
    const at = Math.floor(rand() * out.length);
    const kind = rand();
    // flip a byte, plant an invalid UTF-8 byte, a NUL, or a newline that splits the frame in two
    out[at] = kind < 0.4 ? Math.floor(rand() * 256) : kind < 0.6 ? 0xff : kind < 0.8 ? 0x00 : 0x0a;
  }
  return Buffer.concat([out, Buffer.from('\n')]);
}
