import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type FrameEvent } from '../../src/wire/frame.js';

// 1. Any bytes, split at any chunk boundaries, give the same frames and errors as the whole buffer.

function decodeAll(chunks: Uint8Array[], maxFrame: number, maxDiscard: number): FrameEvent[] {
  const d = new FrameDecoder(maxFrame, maxDiscard);
  return chunks.flatMap((c) => d.push(Buffer.from(c)));
}

/** Bytes rich in what matters: newlines, CR, multi-byte lead and continuation bytes, invalid bytes. */
const interestingByte = fc.oneof(
  fc.constantFrom(0x0a, 0x0d, 0x7b, 0x7d, 0x22, 0xc3, 0xa9, 0xe4, 0xb8, 0x96, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xc0),
  fc.integer({ min: 0, max: 255 }),
);

describe('frame decoder properties', () => {
  it('gives identical events for any split of any bytes (2,000 random cases; figure: 0 differences)', () => {
    fc.assert(
      fc.property(
        fc.array(interestingByte, { maxLength: 600 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 12 }),
        fc.integer({ min: 4, max: 64 }),
        (bytes, cuts, maxFrame) => {
          const buf = Uint8Array.from(bytes);
          const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let prev = 0;
          for (const p of [...points, buf.length]) {
            chunks.push(buf.subarray(prev, p));
            prev = p;
          }
          const whole = decodeAll([buf], maxFrame, maxFrame * 4);
          const split = decodeAll(chunks, maxFrame, maxFrame * 4);
          expect(split).toEqual(whole);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws and never emits a line over the limit or with a newline in it', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
        for (const ev of decodeAll(chunks, 50, 200)) {
          if (ev.kind === 'line') {
            expect(Buffer.byteLength(ev.text)).toBeLessThanOrEqual(50);
            expect(ev.text).not.toContain('\n');
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips any string through JSON frames', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 10 }), (texts) => {
        const bytes = Buffer.from(texts.map((t) => JSON.stringify({ t }) + '\n').join(''));
        const lines = decodeAll([bytes], 8192, 65536).map((e) => (e.kind === 'line' ? (JSON.parse(e.text) as { t: string }).t : null));
        expect(lines).toEqual(texts);
      }),
      { numRuns: 500 },
    );
  });
});
