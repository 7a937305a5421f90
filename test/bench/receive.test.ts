import { afterEach, describe, expect, it, vi } from 'vitest';
import { adapter, makePayload, payloadSender, payloadSeq, type ProtoName } from '../../bench/protocols.js';
import { lineReader, scan } from '../../bench/receive.js';

// The bench's receivers find payloads by layout instead of searching for each one (bench/receive.ts); a
// delivery missed or counted twice would be a loss or a gain the servers never made. Streams of both
// servers' lines, mixed with keepalives and other lines, cut into reads at random places.

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

interface Stream {
  bytes: Buffer;
  /** Sequence numbers of the payload lines, in order. */
  payloads: number[];
  keepalives: number;
}

/** `lines` lines as `proto`'s server sends them: room messages from nicks of two lengths, keepalives, joins. */
function stream(proto: ProtoName, lines: number, rnd: () => number, firstId: number): Stream {
  let s = '';
  const payloads: number[] = [];
  let keepalives = 0;
  let id = firstId;
  for (let k = 0; k < lines; k++) {
    const r = rnd();
    if (r < 0.05) {
      keepalives++;
      s += proto === 'parley' ? `{"type":"ping","token":"${k}"}\n` : `PING :server${k}\r\n`;
    } else if (r < 0.08) {
      s += proto === 'parley' ? `{"type":"joined","room":"#bench","name":"n${k}"}\n` : `:n${k}!n@host JOIN #bench\r\n`;
    } else {
      const sender = Math.floor(rnd() * 12);
      const nick = sender < 10 ? `g1u${sender}` : `g1r${sender}x`;
      const text = makePayload(7, sender, k, 1000 + k);
      payloads.push(k);
      // parley's sender sees its own line with the ref it sent: a longer tail.
      const ref = r > 0.95 ? ',"ref":"r1"' : '';
      s +=
        proto === 'parley'
          ? `{"type":"message","room":"#bench","from":"${nick}","text":"${text}","id":${id++},"time":1764496000000${ref}}\n`
          : `:${nick}!~${nick}@127.0.0.1 PRIVMSG #bench :${text}\r\n`;
    }
  }
  return { bytes: Buffer.from(s), payloads, keepalives };
}

/** Feed `bytes` to one reader in reads of random sizes; what scan found. */
function readAll(proto: ProtoName, bytes: Buffer, rnd: () => number): { payloads: number[]; keepalives: number } {
  const r = lineReader();
  const payloads: number[] = [];
  let keepalives = 0;
  const a = adapter(proto);
  for (let pos = 0; pos < bytes.length; ) {
    const n = rnd() < 0.3 ? 1 + Math.floor(rnd() * 40) : 1 + Math.floor(rnd() * 3000);
    scan(
      r,
      Buffer.from(bytes.subarray(pos, pos + n)),
      a.pingNeedle,
      (buf, at) => payloads.push(payloadSeq(buf, at)),
      (buf, at) => {
        if (a.pong(buf, at) !== null) keepalives++;
      },
    );
    pos += n;
  }
  return { payloads, keepalives };
}

describe('the bench receivers (bench/receive.ts)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const proto of ['parley', 'irc'] as const) {
    it(`find every ${proto} payload once, in order, and every keepalive, however the stream is cut`, () => {
      for (let trial = 0; trial < 200; trial++) {
        const rnd = random(trial + 1);
        // ids crossing 10,000 make parley's lines one byte longer halfway
        const s = stream(proto, 300, rnd, 9_990 + trial);
        const got = readAll(proto, s.bytes, rnd);
        expect(got.payloads, `trial ${trial}`).toEqual(s.payloads);
        expect(got.keepalives, `trial ${trial}`).toBe(s.keepalives);
      }
    });
  }

  it('makes no search per delivery while lines keep their layout (counted, not timed)', () => {
    let lines = '';
    for (let k = 0; k < 40; k++) lines += `:g1u3!~g1u3@127.0.0.1 PRIVMSG #bench :${makePayload(7, 3, k, 1000 + k)}\r\n`;
    const read = Buffer.from(lines);
    const r = lineReader();
    let found = 0;
    const search = vi.spyOn(Buffer.prototype, 'indexOf');
    for (let i = 0; i < 1000; i++) scan(r, read, adapter('irc').pingNeedle, (buf, at) => (found += payloadSender(buf, at) === 3 ? 1 : 0), () => undefined);
    expect(found).toBe(40_000);
    // The first read learns the layout; after it, none. The loop before made 42 searches per such read.
    expect(search.mock.calls.length).toBeLessThan(10);
  });
});
