import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT, run } from '../helpers/cli.js';
import { ESCAPE_CORPUS, FORBIDDEN } from '../helpers/corpus.js';

// The client's own sanitiser, with no parley server in front of it: a rogue server sends the escape
// corpus in every field of every frame it may send, and what the real `parley` prints (text and --json)
// carries 0 forbidden code points. Frames with fields of the wrong kind (a leave reason that is not one,
// a `since` that is text) are refused whole rather than printed.

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const GLOBAL = new RegExp(FORBIDDEN.source, 'gu');

function hostileFrames(bad: string): object[] {
  const n = `n${bad}`;
  return [
    { type: 'message', id: 1, from: n, text: `t${bad}`, time: 0, ref: `r${bad}` },
    { type: 'message', id: 2, from: n, text: `act${bad}`, time: 0, action: true, history: true },
    { type: 'whisper', id: 3, from: n, to: 'bot', text: `w${bad}`, time: 0, late: true },
    { type: 'whisper', id: 4, from: 'bot', to: n, text: `o${bad}`, time: 0, stored: true, ref: bad },
    { type: 'joined', name: n, time: 0 },
    { type: 'left', name: n, reason: 'quit', message: `m${bad}`, time: 0 },
    { type: 'left', name: n, reason: `constructor${bad}`, time: 0 },
    { type: 'renamed', old: n, new: `x${bad}`, time: 0 },
    { type: 'users', users: [n, `u${bad}`] },
    { type: 'error', code: `c${bad}`, message: `e${bad}`, ref: bad },
    { type: 'seen', users: [{ name: n, online: false, lastSeen: 0 }], since: 60 },
    { type: 'seen', users: [], since: `${bad}` },
    { type: 'blocks', names: [n] },
    { type: 'private_request', from: n, time: 0 },
  ];
}

async function rogue(): Promise<number> {
  const srv = net.createServer((sock) => {
    sock.on('error', () => {}).resume();
    const corpus = Object.values(ESCAPE_CORPUS);
    const welcome = { type: 'welcome', version: 1, name: 'bot', users: ['bot', `evil${corpus[0]}`], motd: `motd${corpus[1]}`, account: false, blocked: [`b${corpus[2]}`] };
    const frames = [welcome, ...corpus.flatMap(hostileFrames), { type: 'shutdown', reason: `bye${corpus[3]}` }];
    sock.end(frames.map((f) => JSON.stringify(f)).join('\n') + '\n');
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

describe('a rogue server', () => {
  for (const mode of [['--plain'], ['--json']]) {
    it(`cannot put a forbidden code point into what parley ${mode[0]} prints (escape corpus x every field)`, async () => {
      const port = await rogue();
      const bot = run(CLIENT, [...mode, 'bot', '127.0.0.1', String(port)]);
      bot.child.stdin.end();
      expect(await bot.exit).toBe(5); // the server shut down
      const lines = (bot.stdout() + bot.stderr()).split('\n');
      const hits = lines.flatMap((l) => l.match(GLOBAL) ?? []);
      const printed = lines.filter((l) => /<n|\*n|n\S* has|blocked|users|seen|asks/.test(l) || l.includes('"event"')).length;
      console.log(`rogue server, ${mode[0]}: ${lines.length} lines printed (${printed} carrying hostile fields); forbidden code points: ${hits.length}`);
      expect(hits).toEqual([]);
      expect(printed).toBeGreaterThan(Object.keys(ESCAPE_CORPUS).length * 5); // the hostile frames were shown, cleaned
      expect(bot.stdout() + bot.stderr()).not.toContain('function Object()');
    });
  }
});
