import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLog, formatLogLine } from '../../src/server/log.js';
import { LOG_FLUSH_BYTES, LOG_FLUSH_MS } from '../../src/wire/limits.js';
import { tempDir } from '../helpers/tmp.js';

const tmpLog = (): string => path.join(tempDir('parley-log-'), 'server.log');
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('server.log', () => {
  it('writes the lines of many event-loop turns with one write() (a busy room does not cost a write per message)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const file = tmpLog();
    const log = new EventLog(file, () => Date.UTC(2026, 10, 30, 8, 0, 0, 5));
    const writes = vi.spyOn(fs, 'writeSync');
    for (let i = 0; i < 20; i++) {
      log.write('message', { conn: 1, id: i, text: `line ${i}` });
      await nextTurn();
    }
    expect(writes).not.toHaveBeenCalled();
    vi.advanceTimersByTime(LOG_FLUSH_MS);
    expect(writes).toHaveBeenCalledTimes(1);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('2026-11-30T08:00:00.005Z message conn=1 id=0 text="line 0"');
    expect(lines[19]).toBe('2026-11-30T08:00:00.005Z message conn=1 id=19 text="line 19"');
    log.close();
  });

  /** Lines of `text` logged, with the timer never firing, until the first write() (or twice LOG_FLUSH_BYTES of text). */
  function fillUntilWritten(text: string): { file: string; log: EventLog; n: number } {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const file = tmpLog();
    const log = new EventLog(file);
    const writes = vi.spyOn(fs, 'writeSync');
    let n = 0;
    while (writes.mock.calls.length === 0 && n < (2 * LOG_FLUSH_BYTES) / text.length) log.write('message', { id: n++, text });
    expect(writes).toHaveBeenCalledTimes(1);
    return { file, log, n };
  }

  it(`writes at once past ${LOG_FLUSH_BYTES} bytes waiting, and everything on close, in order`, () => {
    const { file, log, n: filled } = fillUntilWritten('x'.repeat(1000));
    let n = filled;
    expect(n * 1000).toBeGreaterThanOrEqual(LOG_FLUSH_BYTES * 0.9);
    log.write('message', { id: n++, text: 'last' });
    log.close();
    const ids = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => Number(/ id=(\d+)/.exec(l)![1]));
    expect(ids).toEqual([...Array(n).keys()]);
  });

  it(`counts the ${LOG_FLUSH_BYTES} bytes in UTF-8, as written: lines of CJK text go out once that many bytes wait, not three times as many`, () => {
    const text = '中'.repeat(1000);
    const { file, log } = fillUntilWritten(text);
    const written = fs.statSync(file).size;
    expect(written).toBeGreaterThanOrEqual(LOG_FLUSH_BYTES);
    expect(written).toBeLessThan(LOG_FLUSH_BYTES + Buffer.byteLength(text) + 100);
    log.close();
  });

  it('formats as before: ISO time, event, key=value, quoted when needed, undefined left out', () => {
    const t = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    expect(formatLogLine(t, 'join', { conn: 3, name: 'bob', addr: '127.0.0.1:5', gone: undefined, ok: true })).toBe('2026-01-02T03:04:05.006Z join conn=3 name=bob addr=127.0.0.1:5 ok=true\n');
    expect(formatLogLine(t, 'message', { text: 'a "b" = c\\' })).toBe('2026-01-02T03:04:05.006Z message text="a \\"b\\" = c\\\\"\n');
  });

});
