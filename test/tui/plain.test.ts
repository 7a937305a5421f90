import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { ChatLog } from '../../src/tui/log/chatlog.js';
import { runPlain } from '../../src/tui/plain.js';
import { CLIENT, run } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

// The real `parley` binary in line mode, driven through pipes against a real server.

let server: RunningServer;
let raws: RawClient[] = [];

beforeEach(async () => {
  server = await startServer({ port: 0 });
});

afterEach(async () => {
  for (const r of raws) r.close();
  raws = [];
  await server.close();
});

async function raw(name: string) {
  const c = await RawClient.join(server.port, name);
  raws.push(c);
  return c;
}

const TIME = '\\d\\d:\\d\\d:\\d\\d';

describe('parley --plain', () => {
  it('shows the room, whispers, renames, joins and leaves as documented lines', async () => {
    const alice = await raw('alice');
    const bob = run(CLIENT, ['--plain', 'bob', '127.0.0.1', String(server.port)]);
    await bob.waitFor(/^\* users \(2\): alice, bob$/);
    expect(bob.stdout()).toContain(`* connected to 127.0.0.1:${server.port} as bob\n`);

    alice.send({ type: 'say', text: 'hello bob' });
    await bob.waitFor(new RegExp(`^${TIME} <alice> hello bob$`));
    alice.send({ type: 'say', text: 'waves', action: true });
    await bob.waitFor(new RegExp(`^${TIME} \\* alice waves$`));
    alice.send({ type: 'whisper', to: 'bob', text: 'psst' });
    await bob.waitFor(new RegExp(`^${TIME} \\*alice\\* psst$`));

    bob.child.stdin.write('/r got it\n');
    await bob.waitFor(new RegExp(`^${TIME} -> \\*alice\\* got it$`));
    expect(await alice.next((m) => m.type === 'whisper' && m.from === 'bob')).toMatchObject({ to: 'alice', text: 'got it' });

    bob.child.stdin.write('/nick robert\n');
    await bob.waitFor(new RegExp(`^${TIME} -!- you are now known as robert$`));
    alice.send({ type: 'nick', name: 'alicia' });
    await bob.waitFor(new RegExp(`^${TIME} -!- alice is now known as alicia$`));

    bob.child.stdin.write('/list\n');
    await bob.waitFor(/^\* users \(2\): alicia, robert$/);

    const carol = await raw('carol');
    await bob.waitFor(new RegExp(`^${TIME} -!- carol has joined$`));
    carol.socket.resetAndDestroy();
    await bob.waitFor(new RegExp(`^${TIME} -!- carol has left \\(connection lost\\)$`));

    bob.child.stdin.end();
    expect(await bob.exit).toBe(0);
    expect(bob.stderr()).toBe('');
  });

  it('delivers what was piped in before quitting at end of input: echo hi | parley bob', async () => {
    const alice = await raw('alice');
    const bob = run(CLIENT, ['bob', '127.0.0.1', String(server.port)]); // stdout is a pipe: line mode without the flag
    bob.child.stdin.end('hi\n');
    expect(await bob.exit).toBe(0);
    expect(await alice.next((m) => m.type === 'message')).toMatchObject({ from: 'bob', text: 'hi' });
    expect(await alice.next((m) => m.type === 'left')).toMatchObject({ name: 'bob', reason: 'quit' });
  });

  it('paces a long piped burst to the server rate so no line is refused', async () => {
    const alice = await raw('alice');
    const lines = Array.from({ length: 25 }, (_, i) => `line ${i}`);
    const bob = run(CLIENT, ['bob', '127.0.0.1', String(server.port)]);
    bob.child.stdin.end(lines.join('\n') + '\n');
    expect(await bob.exit).toBe(0);
    expect(bob.stderr()).toBe('');
    await alice.next((m) => m.type === 'left');
    expect(alice.all('message').map((m) => m.text)).toEqual(lines);
  }, 15_000);

  it('reports an unknown command, a missing user and a bad usage on stderr, one line each', async () => {
    await raw('alice');
    const bob = run(CLIENT, ['bob', '127.0.0.1', String(server.port)]);
    bob.child.stdin.end('/frobnicate\n/w zed hello\n/w alice\n//slash is text\n');
    expect(await bob.exit).toBe(0);
    expect(bob.stderr().split('\n').filter(Boolean)).toEqual([
      'parley: unknown command "/frobnicate"; type /help for the list (start a line with // to send a slash)',
      'parley: usage: /w <name> <text>',
      'parley: no one called "zed" is here; /list shows who is',
    ]);
    expect(bob.stdout()).toMatch(new RegExp(`^${TIME} <bob> /slash is text$`, 'm'));
  });

  it('prints the command list for /help', async () => {
    const bob = run(CLIENT, ['bob', '127.0.0.1', String(server.port)]);
    bob.child.stdin.end('/help\n');
    expect(await bob.exit).toBe(0);
    expect(bob.stdout()).toMatch(/^\/w <name> <text> +whisper to one person; only they see it \(also \/msg \/whisper \/tell\)$/m);
    expect(bob.stdout()).not.toContain('F2');
  });

  it('writes NDJSON events with --json', async () => {
    const alice = await raw('alice');
    const bob = run(CLIENT, ['--json', 'bob', '127.0.0.1', String(server.port)]);
    await bob.waitFor(/"event":"welcome"/);
    alice.send({ type: 'say', text: 'hi \x1b[2J there' });
    const line = await bob.waitFor(/"event":"message"/);
    expect(JSON.parse(line)).toEqual({ event: 'message', id: 1, from: 'alice', text: 'hi  there', time: expect.any(Number), action: false, own: false, mention: false });
    bob.child.stdin.end();
    expect(await bob.exit).toBe(0);
    for (const l of bob.stdout().trim().split('\n')) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('writes no escape or control bytes another client sent', async () => {
    const alice = await raw('alice');
    const bob = run(CLIENT, ['bob', '127.0.0.1', String(server.port)]);
    await bob.waitFor(/users \(2\)/); // in the room: a fixed sleep lost the line on a busy machine
    alice.send({ type: 'say', text: 'a\x1b]0;pwned\x07b\u009b2J\u202ec' });
    await bob.waitFor(/<alice>/);
    bob.child.stdin.end();
    await bob.exit;
    // eslint-disable-next-line no-control-regex
    expect(bob.stdout()).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
  });
});

describe('parley --plain and its chat log', () => {
  it('prints a line only once it is in the chat log, also when many come in one read (a kill -9 right after loses none)', async () => {
    const alice = await raw('alice');
    const log = new ChatLog(tempDir('parley-plainlog-'), `127.0.0.1:${server.port}`);
    const room = path.join(log.serverDir, '#lobby.log');
    const whispers = path.join(log.serverDir, 'alice.log');
    const onDisk = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    // For each line printed: was it already in its log file at that moment?
    const printed: { line: string; logged: boolean }[] = [];
    const input = new PassThrough();
    const done = runPlain({
      name: 'bob',
      host: '127.0.0.1',
      port: server.port,
      json: false,
      input,
      hint: false,
      log,
      err: () => {},
      out: (line) => {
        const said = /<alice> (.*)$/.exec(line)?.[1];
        const whispered = /\*alice\* (.*)$/.exec(line)?.[1];
        if (said !== undefined) printed.push({ line, logged: onDisk(room).includes(`<alice> ${said}\n`) });
        if (whispered !== undefined) printed.push({ line, logged: onDisk(whispers).includes(`*alice* ${whispered}\n`) });
      },
    });
    await until(() => server.hub.users().includes('bob'), 5000, 'bob in the room');
    // One write on alice's side: the lines reach bob in one read, handled in one turn.
    alice.raw(Array.from({ length: 8 }, (_, i) => JSON.stringify({ type: 'say', text: `line ${i}` }) + '\n').join('') + JSON.stringify({ type: 'whisper', to: 'bob', text: 'psst' }) + '\n');
    await until(() => printed.length === 9, 5000, 'all nine lines printed');
    expect(printed.filter((p) => !p.logged).map((p) => p.line)).toEqual([]);
    input.end();
    expect(await done).toBe(0);
  });
});

describe('parley failures', () => {
  it('exits 3 with one line when no server is listening', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const bob = run(CLIENT, ['bob', '127.0.0.1', String(free)]);
    expect(await bob.exit).toBe(3);
    expect(bob.stderr()).toBe(`parley: cannot connect to 127.0.0.1:${free}: connection refused (is parley-server running there?)\n`);
  });

  it('exits 3 for an unknown host', async () => {
    const bob = run(CLIENT, ['bob', 'no-such-host.invalid', '7777']);
    expect(await bob.exit).toBe(3);
    expect(bob.stderr()).toMatch(/^parley: cannot connect to no-such-host\.invalid:7777: .*\n$/);
  });

  it('exits 4 with one line when the name is taken', async () => {
    await raw('alice');
    const imposter = run(CLIENT, ['ALICE', '127.0.0.1', String(server.port)]);
    expect(await imposter.exit).toBe(4);
    expect(imposter.stderr()).toBe('parley: the server refused the name "ALICE": the name ALICE is taken; pick another\n');
  });

  it('exits 2 for a bad name or port before connecting', async () => {
    const bad = run(CLIENT, ['no spaces']);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr().trim().split('\n')).toHaveLength(1);
    const port = run(CLIENT, ['bob', 'localhost', '70000']);
    expect(await port.exit).toBe(2);
  });

  it('exits 5 with one line when the server goes away', async () => {
    const bob = run(CLIENT, ['bob', '127.0.0.1', String(server.port)]);
    await bob.waitFor(/^\* users/);
    await server.close('maintenance');
    expect(await bob.exit).toBe(5);
    expect(bob.stdout()).toContain('* the server is going down: maintenance');
    expect(bob.stderr()).toBe(`parley: lost the connection to 127.0.0.1:${server.port}\n`);
    server = await startServer({ port: 0 });
  });
});

describe('parley --plain ending', () => {
  it('sends every piped line before an explicit /quit, and the quit itself is not refused', async () => {
    const alice = await raw('alice');
    const lines = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const bot = run(CLIENT, ['bot', '127.0.0.1', String(server.port)]);
    bot.child.stdin.end([...lines, '/quit done here', 'after quit'].join('\n') + '\n');
    expect(await bot.exit).toBe(0);
    expect(await alice.next((m) => m.type === 'left', 10_000)).toMatchObject({ name: 'bot', reason: 'quit', message: 'done here' });
    expect(alice.all('message').map((m) => m.text)).toEqual(lines);
    expect(bot.stderr()).toBe('');
  }, 15_000);

  it('exits 5 instead of hanging when the server dies while piped lines are still queued', async () => {
    const bot = run(CLIENT, ['bot', '127.0.0.1', String(server.port)]);
    await bot.waitFor(/^\* users/);
    bot.child.stdin.write(Array.from({ length: 60 }, (_, i) => `q${i}`).join('\n') + '\n');
    bot.child.stdin.end();
    await new Promise((r) => setTimeout(r, 300));
    await server.close('gone');
    expect(await bot.exit).toBe(5);
    server = await startServer({ port: 0 });
  }, 15_000);
});
