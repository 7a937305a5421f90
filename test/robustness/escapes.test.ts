import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/host.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session } from '../../src/tui/core/session.js';
import { encodeFrame } from '../../src/wire/frame.js';
import { CLIENT, run, type Run } from '../helpers/cli.js';
import { ESCAPE_CORPUS, FORBIDDEN } from '../helpers/corpus.js';
import { hostileFrames } from '../helpers/hostile.js';
import { RawClient } from '../helpers/raw-client.js';
import { addUser, startTestServer, tempDb, type TestServer } from '../server/helpers.js';
import { until } from '../helpers/until.js';

// 8. The escape corpus in every field a user controls — message, /me, whisper, name, rename, quit reason,
//    offline whisper, /block, direct-chat whisper — and in every field of every frame a hostile server can
//    send: 0 forbidden code points reach what line mode prints (stdout and stderr). The full-screen client
//    is checked through its headless renderer in escapes-tui.test.ts.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN.source, 'gu');

describe('escape injection', () => {
  it('every corpus entry in every field: 0 forbidden code points in the victim\'s output', async () => {
    const server = await startServer({ port: 0, ratePerSecond: 0 });
    cleanups.push(() => server.close());
    const victim = run(CLIENT, ['--plain', 'victim', '127.0.0.1', String(server.port)]);
    await victim.waitFor(/^\* users/);
    const corpus = Object.values(ESCAPE_CORPUS);
    // A bare client sees exactly what the server relays: a third-party client may not sanitise at all.
    const observer = await RawClient.join(server.port, 'observer');
    cleanups.push(() => observer.close());

    const mallory = await RawClient.join(server.port, 'mallory');
    for (const bad of corpus) {
      mallory.send({ type: 'say', text: `say ${bad}` });
      mallory.send({ type: 'say', text: `act ${bad}`, action: true });
      mallory.send({ type: 'whisper', to: 'victim', text: `psst ${bad}` });
      mallory.send({ type: 'nick', name: `m${bad}` }); // refused: nobody sees it, but try
      victim.child.stdin.write(`/w ${bad.replace(/\n/g, '')} hi\n`); // the victim whispering a hostile name echoes it in an error
    }
    // Each hostile name tries to join; each joiner leaves with a hostile quit reason.
    for (const bad of corpus) {
      const c = await RawClient.connect(server.port);
      c.send({ type: 'hello', name: `n${bad}`, version: 1 }); // refused (invalid name)
      c.send({ type: 'hello', name: 'quitter', version: 1 });
      await c.next((m) => m.type === 'welcome');
      c.send({ type: 'quit', reason: `bye ${bad}` });
      await c.closed;
    }
    mallory.send({ type: 'say', text: 'the end' });
    await victim.waitFor(/<mallory> the end$/);
    victim.child.stdin.end();
    await victim.exit;

    const lines = (victim.stdout() + victim.stderr()).split('\n'); // the newline ending each line is ours
    const hits = lines.flatMap((l) => l.match(FORBIDDEN_GLOBAL) ?? []);
    console.log(
      `escape corpus: ${corpus.length} payloads x 6 fields; victim printed ${lines.length} lines; forbidden code points: ${hits.length}`,
    );
    expect(hits).toEqual([]);
    // Sanity: the hostile lines did arrive (sanitised), so the check looked at real output.
    expect(lines.filter((l) => /<mallory> say /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /\* mallory act /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /\*mallory\* psst /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /quitter has left \(quit: bye/.test(l))).toHaveLength(corpus.length);
    mallory.close();
    // The server's side of it: the relayed frames themselves carry 0 forbidden code points.
    await observer.seen((m) => m.type === 'message' && m.text === 'the end');
    const relayed = observer.received.flatMap((m) => stringsIn(m).flatMap((v) => v.match(FORBIDDEN_GLOBAL) ?? []));
    const relayedText = observer.all('message').filter((m) => m.text.startsWith('say ') || m.text.startsWith('act ')).length;
    console.log(`escape corpus, as relayed by the server: ${observer.received.length} frames to a bare client; forbidden code points: ${relayed.length}`);
    expect(relayedText).toBe(2 * corpus.length);
    expect(relayed).toEqual([]);
  }, 30_000);

  it('stored whispers, /block replies and direct-chat whispers: 0 forbidden code points in the victim\'s output', async () => {
    const s: TestServer = await startTestServer(tempDb());
    cleanups.push(() => s.stop());
    await addUser(s.store, 'victim', 'victim password');
    const corpus = Object.values(ESCAPE_CORPUS);
    // While the victim is away: hostile whispers kept for the next login.
    const mallory = await RawClient.join(s.port, 'mallory');
    cleanups.push(() => mallory.close());
    for (const [i, bad] of corpus.entries()) {
      mallory.send({ type: 'whisper', to: 'victim', text: `stored ${bad}`, ref: `w${i}` }); // a ref once: a repeated one is a resend
      await mallory.next((m) => m.type === 'whisper' && m.stored === true);
    }
    mallory.close();
    const victim = run(CLIENT, ['--plain', 'victim', '127.0.0.1', String(s.port)], { PARLEY_PASSWORD: 'victim password' });
    cleanups.push(() => victim.child.kill());
    await victim.waitFor(/^\* users/);
    // The victim blocks hostile names: each is refused with an error line that echoes it.
    for (const bad of corpus) victim.child.stdin.write(`/block ${bad.replace(/[\r\n]/g, '')}\n`);
    // A direct chat: mallory's own (modified) client sends raw hostile text over the link.
    const events: ChatEvent[] = [];
    const m = new Session({ name: 'mallory', host: '127.0.0.1', port: s.port, mode: 'plain' }, (e) => events.push(e));
    cleanups.push(() => m.destroy());
    await m.start();
    m.input('/private victim');
    await victim.waitFor(/mallory asks for a direct private chat/);
    victim.child.stdin.write('/allow mallory\n');
    await until(() => m.direct.isDirect('victim'), 15_000);
    // In batches of 8 with a pause: the victim's side of the link rate-limits (10 at once, then 5 a second).
    const delivered = () => events.filter((e) => e.kind === 'whisper' && e.outgoing && e.direct).length;
    for (let i = 0; i < corpus.length; i += 8) {
      corpus.slice(i, i + 8).forEach((bad, k) => m.direct.outgoing({ type: 'whisper', to: 'victim', text: `direct ${bad}`, ref: `d${i + k}` }));
      await until(() => delivered() === Math.min(corpus.length, i + 8), 10_000);
      if (i + 8 < corpus.length) await new Promise((r) => setTimeout(r, 1700));
    }
    m.input('the end');
    await victim.waitFor(/<mallory> the end$/);
    victim.child.stdin.end();
    await victim.exit;

    const lines = checkOutput(victim, `stored, /block and direct: ${corpus.length} payloads x 3 fields`);
    expect(lines.filter((l) => /\*mallory\*.* stored /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /\*mallory\*= direct /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /not a valid name|no one called/.test(l)).length).toBeGreaterThanOrEqual(corpus.length - 1);
  }, 30_000);

  for (const mode of ['--plain', '--json']) {
    it(`a hostile server's every frame and field: 0 forbidden code points in what parley ${mode} prints`, async () => {
      const frames = hostileFrames('victim');
      const bad = Object.values(ESCAPE_CORPUS).join(' ');
      // Fields a rogue server fills with what they must not hold: the frame is refused, not printed.
      const malformed = [
        { type: 'message', id: 2, from: 'm', text: 'with a hostile ref', time: 0, ref: `r${bad}` },
        { type: 'left', name: 'l', reason: 'constructor', time: 0 },
        { type: 'seen', users: [], since: `s${bad}` },
      ];
      const fake = net.createServer((sock) => {
        sock.on('error', () => {});
        sock.once('data', () => {
          sock.write(encodeFrame({ type: 'welcome', version: 1, name: 'victim', users: ['victim', `u${bad}`], motd: `motd ${bad}`, blocked: [`b${bad}`] }));
          for (const f of [...frames, ...malformed]) sock.write(encodeFrame(f));
          sock.write(encodeFrame({ type: 'registered', name: `victim${bad}`, token: 't' }));
          sock.write(encodeFrame({ type: 'message', id: 1, from: 'mallory', text: 'the end', time: 0 }));
          sock.write(encodeFrame({ type: 'shutdown', reason: `down ${bad}` }));
          sock.end();
        });
      });
      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise((r) => fake.close(r)));
      const victim = run(CLIENT, [mode, 'victim', '127.0.0.1', String((fake.address() as net.AddressInfo).port)]);
      cleanups.push(() => victim.child.kill());
      await victim.waitFor(/the end/);
      await victim.exit;
      const lines = checkOutput(victim, `hostile server, ${mode}: ${frames.length + malformed.length + 4} frames, every string field`);
      const n = Object.keys(ESCAPE_CORPUS).length;
      for (const field of ['say#', 'act#', 'old#', 'psst#', 'late#', 'bye#', 'err#']) {
        expect(lines.filter((l) => l.includes(field)), field).toHaveLength(n);
      }
      expect(lines.join('\n')).not.toContain('function Object()'); // a reason that is no reason is refused
    }, 30_000);
  }
});

/** Every line the victim printed; fails on any forbidden code point, and says how many it checked. */
function checkOutput(victim: Run, what: string): string[] {
  const lines = (victim.stdout() + victim.stderr()).split('\n'); // the newline ending each line is ours
  const hits = lines.flatMap((l) => l.match(FORBIDDEN_GLOBAL) ?? []);
  console.log(`escape corpus, ${what}: victim printed ${lines.length} lines; forbidden code points: ${hits.length}`);
  expect(hits).toEqual([]);
  return lines;
}


/** Every string inside a decoded frame, however deep. */
function stringsIn(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(stringsIn);
  return [];
}
