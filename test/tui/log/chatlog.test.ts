import { spawn } from 'node:child_process';
import fs, { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { ChatLog, logFileName, logLine, MAX_OPEN_LOGS } from '../../../src/tui/log/chatlog.js';
import { ESCAPE_CORPUS } from '../../helpers/corpus.js';
import { tempDir } from '../../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const tmp = () => tempDir('parley-logs-');
const T = Date.UTC(2026, 10, 30, 2, 3, 4, 5);

describe('chat logs on disk', () => {
  test('one line per event under LOGS/SERVER/ROOM.log, with an ISO date-time', () => {
    const dir = tmp();
    const log = new ChatLog(dir, 'work');
    log.write({ time: T, conversation: '#general', text: '<bob> hi' });
    log.write({ time: T + 1000, conversation: '#general', text: '* bob waves' });
    log.write({ time: T, conversation: 'Carol', text: '*carol* psst' });
    log.close();
    expect(readFileSync(path.join(dir, 'work', '#general.log'), 'utf8')).toBe('2026-11-30T02:03:04.005Z <bob> hi\n2026-11-30T02:03:05.005Z * bob waves\n');
    expect(readFileSync(path.join(dir, 'work', 'carol.log'), 'utf8')).toBe('2026-11-30T02:03:04.005Z *carol* psst\n');
    expect(statSync(path.join(dir, 'work', 'carol.log')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'work')).mode & 0o777).toBe(0o700);
  });

  test('appends to what is there, across runs', async () => {
    const dir = tmp();
    new ChatLog(dir, 's').write({ time: T, conversation: '#a', text: 'one' });
    await new Promise(setImmediate); // the turn that logged it has ended: it is on disk
    const again = new ChatLog(dir, 's');
    again.write({ time: T, conversation: '#a', text: 'two' });
    again.close();
    expect(readFileSync(path.join(dir, 's', '#a.log'), 'utf8').split('\n')).toEqual([expect.stringMatching(/ one$/), expect.stringMatching(/ two$/), '']);
  });

  test('no escape byte, control character or line break reaches a log file', () => {
    const dir = tmp();
    const log = new ChatLog(dir, 's');
    for (const text of Object.values(ESCAPE_CORPUS)) log.write({ time: T, conversation: '#x', text: `<eve> ${text}` });
    log.close();
    const body = readFileSync(path.join(dir, 's', '#x.log'), 'utf8');
    expect(body.split('\n')).toHaveLength(Object.values(ESCAPE_CORPUS).length + 1);
    expect(body).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(logLine({ time: T, conversation: '#x', text: 'a\x1b]0;pwned\x07b\r\nc' })).toBe('2026-11-30T02:03:04.005Z ab  c');
  });

  test('a name from the network never leaves the logs directory', () => {
    for (const evil of ['..', '.', '../../etc/passwd', 'a/b', '\0', '-rf', '.hidden', 'x\x1b[2J', '']) {
      const f = logFileName(evil);
      expect(f, evil).not.toMatch(/[/\0\x1b]/);
      expect(f.startsWith('.') || f.startsWith('-') || f === '', evil).toBe(false);
    }
    expect(logFileName('chat.example.org:7777')).toBe('chat.example.org:7777');
    expect(logFileName('a/b')).toBe('a%2Fb');
    expect(logFileName('..')).toBe('%2E.');
    // Injective: a literal "%2F" is not confused with "/".
    expect(logFileName('a%2Fb')).not.toBe(logFileName('a/b'));
    const dir = tmp();
    const log = new ChatLog(dir, '../escape');
    log.write({ time: T, conversation: '../../x', text: 't' });
    log.close();
    expect(readdirSync(dir)).toEqual(['%2E.%2Fescape']);
    expect(readdirSync(path.join(dir, '%2E.%2Fescape'))).toEqual(['%2E.%2F..%2Fx.log']);
  });

  test('a busy room works out its file once, not per line: 1,000 lines, no path.join (issue 15: it was 2 per line, a sixth of the client CPU in a flood)', () => {
    const dir = tmp();
    const log = new ChatLog(dir, 'work');
    log.write({ time: T, conversation: '#General', text: '<bob> first' });
    const join = vi.spyOn(path, 'join');
    try {
      for (let i = 0; i < 1000; i++) log.write({ time: T, conversation: '#General', text: `<bob> line ${i}` });
      log.write({ time: T, conversation: 'Carol', text: '*carol* psst' });
      expect(join.mock.calls.length).toBeLessThanOrEqual(2); // the whisper file only: its directory, then the file
    } finally {
      join.mockRestore();
    }
    log.close();
    const lines = readFileSync(path.join(dir, 'work', '#general.log'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[1000]).toMatch(/ <bob> line 999$/);
    expect(readFileSync(path.join(dir, 'work', 'carol.log'), 'utf8')).toMatch(/\*carol\* psst\n$/);
  });

  test('lines logged in one turn reach the kernel in one write(2) per file (it was one per line: a tenth of the client CPU in a flood)', async () => {
    const dir = tmp();
    const log = new ChatLog(dir, 'work');
    // write(2) calls of this process, from the kernel's count (only this thread runs between the reads).
    const writes = () => Number(/^syscw: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
    const before = writes();
    for (let i = 0; i < 1000; i++) log.write({ time: T, conversation: '#general', text: `<bob> line ${i}` });
    log.write({ time: T, conversation: 'carol', text: '*carol* psst' });
    await Promise.resolve(); // the turn ends
    expect(writes() - before).toBe(2);
    const lines = readFileSync(path.join(dir, 'work', '#general.log'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines[999]).toMatch(/ <bob> line 999$/);
    expect(readFileSync(path.join(dir, 'work', 'carol.log'), 'utf8')).toMatch(/\*carol\* psst\n$/);
    log.close();
  });

  test('many conversations keep at most MAX_OPEN_LOGS files open and lose nothing', () => {
    const dir = tmp();
    const log = new ChatLog(dir, 's');
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let round = 0; round < 2; round++) for (let i = 0; i < MAX_OPEN_LOGS * 2; i++) log.write({ time: T, conversation: `#r${i}`, text: `line ${round}` });
    expect(fds() - before).toBeLessThanOrEqual(MAX_OPEN_LOGS);
    log.close();
    expect(fds()).toBe(before);
    expect(readFileSync(path.join(dir, 's', '#r0.log'), 'utf8')).toMatch(/line 0\n.* line 1\n$/);
  });

  test('a write that fails while making room for another file turns logging off and keeps no file open', () => {
    const dir = tmp();
    const errors: string[] = [];
    const log = new ChatLog(dir, 's', (l) => errors.push(l));
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < MAX_OPEN_LOGS; i++) log.write({ time: T, conversation: `#r${i}`, text: 'kept?' });
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const writes = vi.spyOn(fs, 'writeSync').mockImplementationOnce(() => {
      throw full;
    });
    try {
      log.write({ time: T, conversation: '#one-too-many', text: 'after the failure' });
      log.flush();
    } finally {
      writes.mockRestore();
    }
    expect(errors).toEqual([`cannot write the chat log ${path.join(dir, 's', '#r0.log')} (ENOSPC); logging is off until restart`]);
    expect(fds()).toBe(before);
    expect(readFileSync(path.join(dir, 's', '#one-too-many.log'), 'utf8')).toBe('');
  });

  test('a short write(2) is followed by the rest: no half line in the file', () => {
    const dir = tmp();
    const log = new ChatLog(dir, 's');
    const real = fs.writeSync.bind(fs) as (fd: number, data: Buffer) => number;
    // The first write takes only 10 bytes, as write(2) may when the disk is nearly full.
    const short = (fd: number, data: Buffer | string, offset = 0): number => real(fd, (typeof data === 'string' ? Buffer.from(data) : data.subarray(offset)).subarray(0, 10));
    const writes = vi.spyOn(fs, 'writeSync').mockImplementationOnce(short as typeof fs.writeSync);
    try {
      log.write({ time: T, conversation: '#a', text: 'a line longer than ten bytes' });
      log.write({ time: T, conversation: '#a', text: 'and another' });
      log.flush();
    } finally {
      writes.mockRestore();
    }
    log.close();
    expect(readFileSync(path.join(dir, 's', '#a.log'), 'utf8')).toBe(`${logLine({ time: T, conversation: '#a', text: 'a line longer than ten bytes' })}\n${logLine({ time: T, conversation: '#a', text: 'and another' })}\n`);
  });

  test('a failed write is one line once, and logging stops instead of throwing', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 's'), 'a file where the directory should be');
    const errors: string[] = [];
    const log = new ChatLog(dir, 's', (l) => errors.push(l));
    log.write({ time: T, conversation: '#a', text: 'x' });
    log.write({ time: T, conversation: '#a', text: 'y' });
    expect(errors).toEqual([`cannot write the chat log ${path.join(dir, 's', '#a.log')} (EEXIST); logging is off until restart`]);
  });

  test('kill -9 mid-stream loses no line logged in a turn that had ended, and leaves no half line', async () => {
    const dir = tmp();
    // A child process logging as fast as it can, 50 lines a turn, telling us after each turn the last line
    // it logged (what a client has shown, it logged in a turn before); we kill it mid-run.
    const script = `
      import { ChatLog } from ${JSON.stringify(path.join(ROOT, 'dist/tui/log/chatlog.js'))};
      const log = new ChatLog(${JSON.stringify(dir)}, 'srv');
      let i = 0;
      const turn = () => {
        for (let k = 0; k < 50; k++, i++) log.write({ time: Date.now(), conversation: '#general', text: '<bob> message ' + i + ' ' + 'x'.repeat(i % 300) });
        setImmediate(() => {
          process.stdout.write(i - 1 + '\\n');
          turn();
        });
      };
      turn();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let reported = -1;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const last = d.toString().trim().split('\n').pop()!;
        reported = Math.max(reported, Number(last));
        if (reported >= 2000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.on('close', resolve));
    const lines = readFileSync(path.join(dir, 'srv', '#general.log'), 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline: no half-written last line
    expect(lines.length).toBeGreaterThan(reported);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z <bob> message ${i}${i % 300 ? ` x{${i % 300}}` : ''}$`)));
  });
});
