import { afterEach, describe, expect, it, vi } from 'vitest';
import { LineBuffer } from '../../src/server/line-buffer.js';

// The console and server.log write their lines through a LineBuffer (issue 15, target 6): what a join storm's
// `connect` lines cost is the number of calls counted here. test/server/join-cost.test.ts runs the real
// server through one; test/server/log.test.ts counts server.log's write() calls.

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

/** A buffer whose writes are kept, and the clock faked. */
function buffer(delayMs = 100, maxBytes = 1024): { buf: LineBuffer; writes: string[] } {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const writes: string[] = [];
  return { buf: new LineBuffer((t) => writes.push(t), delayMs, maxBytes), writes };
}

describe('LineBuffer', () => {
  it('writes the lines of 40 event-loop turns within the delay in one call, in order', async () => {
    const { buf, writes } = buffer(100);
    for (let i = 0; i < 40; i++) {
      buf.add(`connect 127.0.0.1:${5000 + i}`);
      await nextTurn();
      vi.advanceTimersByTime(2);
    }
    expect(writes).toHaveLength(0);
    vi.advanceTimersByTime(20);
    expect(writes).toEqual([Array.from({ length: 40 }, (_, i) => `connect 127.0.0.1:${5000 + i}\n`).join('')]);
  });

  it('writes once per delay when lines keep coming: the wait counts from the first line that waits', () => {
    const { buf, writes } = buffer(100);
    for (let ms = 0; ms < 1000; ms += 10) {
      buf.add(`at ${ms}`);
      vi.advanceTimersByTime(10);
    }
    expect(writes).toHaveLength(10);
    expect(writes.join('').split('\n').filter((l) => l !== '')).toHaveLength(100);
  });

  it('writes at once when maxBytes wait, counting UTF-8 bytes as written, not UTF-16 units', () => {
    const { buf, writes } = buffer(100, 1000);
    // 99 bytes with the newline: the tenth line reaches 990, the eleventh passes 1000.
    for (let i = 0; i < 10; i++) buf.add('a'.repeat(98));
    expect(writes).toHaveLength(0);
    buf.add('a'.repeat(98));
    expect(writes).toHaveLength(1);
    // 3 bytes a character in UTF-8: 34 characters and the newline are 103 bytes; the tenth line passes 1000.
    for (let i = 0; i < 9; i++) buf.add('中'.repeat(34));
    expect(writes).toHaveLength(1);
    buf.add('中'.repeat(34));
    expect(writes).toHaveLength(2);
  });

  it('flush() writes what waits at once and cancels the timer; with nothing waiting it writes nothing', () => {
    const { buf, writes } = buffer(100);
    buf.flush();
    expect(writes).toHaveLength(0);
    buf.add('one');
    buf.add('two');
    buf.flush();
    expect(writes).toEqual(['one\ntwo\n']);
    vi.advanceTimersByTime(500);
    expect(writes).toHaveLength(1);
    buf.add('three');
    vi.advanceTimersByTime(100);
    expect(writes).toEqual(['one\ntwo\n', 'three\n']);
  });

  it('does not keep the process alive for waiting lines (its timer is unreferenced)', () => {
    vi.useRealTimers();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const buf = new LineBuffer(() => {}, 60_000, 1024);
    buf.add('waits');
    // getActiveResourcesInfo lists referenced handles only.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
    buf.flush();
  });
});
