import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { runFullScreen } from '../../src/tui/app.js';
import { Emulator } from '../../src/tui/screen/emulator.js';
import { KEY } from '../../src/tui/screen/headless.js';
import { TYPING_BURST_MS } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';

// The full-screen client in three rooms over real sockets (issue 13, item 6): the real `runFullScreen` on a
// terminal emulator, a real parley-server on port 0, and two other people as version-2 protocol clients.
// What is checked is what a person's terminal shows and what the others receive.

let server: RunningServer;
let raws: RawClient[] = [];
let screens: Screen[] = [];

beforeEach(async () => {
  server = await startServer({ port: 0 });
});

afterEach(async () => {
  for (const s of screens) await s.quit();
  screens = [];
  for (const r of raws) r.close();
  raws = [];
  await server.close();
});

/** A version-2 client named `name`, in the default room and then in `rooms`. */
async function person(name: string, ...rooms: string[]): Promise<RawClient> {
  const c = await RawClient.connect(server.port);
  raws.push(c);
  c.send({ type: 'hello', name, version: 2 });
  await c.next((m) => m.type === 'welcome');
  for (const room of rooms) {
    c.send({ type: 'join', room });
    await c.next((m) => m.type === 'room' && m.room === room);
  }
  return c;
}

interface Screen {
  term: Emulator;
  keys(bytes: string): Promise<void>;
  /** Type a line and press Enter. */
  line(text: string): Promise<void>;
  rows(): string[];
  /** Wait until some row matches. */
  waitFor(re: RegExp, what?: string): Promise<string>;
  quit(): Promise<void>;
}

async function fullScreen(name: string, cols = 80, rows = 24): Promise<Screen> {
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: cols, rows });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const term = new Emulator(cols, rows);
  term.follow(output);
  const done = runFullScreen({ name, host: '127.0.0.1', port: server.port }, { input, output, err: () => {} });
  const lines = () => Array.from({ length: rows }, (_, y) => term.line(y));
  const screen: Screen = {
    term,
    async keys(bytes) {
      input.write(bytes);
      await new Promise((r) => setTimeout(r, TYPING_BURST_MS + 20));
    },
    async line(text) {
      await screen.keys(text);
      await screen.keys(KEY.enter);
    },
    rows: lines,
    async waitFor(re, what = String(re)) {
      const end = Date.now() + 5000;
      for (;;) {
        await term.settle();
        const hit = lines().find((l) => re.test(l));
        if (hit !== undefined) return hit;
        if (Date.now() > end) throw new Error(`${what} not on screen in 5 s; screen:\n${lines().join('\n')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async quit() {
      input.write(KEY.f10);
      await done;
      term.dispose();
    },
  };
  screens.push(screen);
  await screen.waitFor(/connected 127\.0\.0\.1/);
  return screen;
}

const said = (room: string, text: string) => (m: ServerMessage) => m.type === 'message' && m.room === room && m.text === text;

describe('the full screen in three rooms, over real sockets', () => {
  test('joining three rooms and switching with Alt+N, /window, Alt+Left and a click: each room shows its own lines and members; counts in the room list', async () => {
    const bob = await person('bob', '#dev');
    const carol = await person('carol', '#ops');
    const alice = await fullScreen('alice');
    // One room: the screen is the one-room screen.
    expect(alice.rows()[0]).toMatch(/^┌─ Room ─+┐┌─ Users \(3\) ─+┐$/);

    await alice.line('/join #dev');
    await alice.waitFor(/^ {2}1:#lobby {2}2:#dev +$/, 'the room list with #lobby and #dev');
    await alice.line('/join #ops');
    await alice.waitFor(/^ {2}1:#lobby {2}2:#dev {2}3:#ops +$/);
    await alice.waitFor(/^┌─ #ops ─+┐┌─ Users \(2\) ─+┐$/);
    expect(alice.rows().slice(2, 4).map((r) => r.slice(60))).toEqual(['│* alice (you)     │', '│  carol           │']);

    // Others talk in the rooms not on screen: counted, not shown; a line naming alice is a highlight.
    bob.send({ type: 'say', room: '#lobby', text: 'lobby one' });
    bob.send({ type: 'say', room: '#lobby', text: 'lobby two' });
    bob.send({ type: 'say', room: '#dev', text: 'alice: review please?' });
    await alice.waitFor(/^ {2}1:#lobby 2 {2}2:#dev 1 !1 {2}3:#ops +$/, 'unread counts and the highlight');
    expect(alice.rows().join('\n')).not.toMatch(/lobby one|review please/);

    // Alt+1: #lobby on screen with its own members and lines; its counts are cleared.
    await alice.keys('\x1b1');
    await alice.waitFor(/^┌─ #lobby ─+┐┌─ Users \(3\) ─+┐$/);
    await alice.waitFor(/<bob> lobby two/);
    expect(alice.rows()[0]).toMatch(/^ {2}1:#lobby {2}2:#dev 1 !1 {2}3:#ops +$/);
    expect(alice.rows().slice(2, 5).map((r) => r.slice(60))).toEqual(['│* alice (you)     │', '│  bob             │', '│  carol           │']);

    // A plain line goes to the room on screen.
    await alice.line('hello lobby');
    await bob.next(said('#lobby', 'hello lobby'));

    // /window 2: #dev, where bob's highlight waits.
    await alice.line('/window 2');
    await alice.waitFor(/^┌─ #dev ─+┐┌─ Users \(2\) ─+┐$/);
    await alice.waitFor(/<bob> alice: review please\?/);
    await alice.line('on it');
    await bob.next(said('#dev', 'on it'));

    // Alt+Left goes back one room (#lobby); a click on #ops in the room list shows #ops.
    await alice.keys('\x1b[1;3D');
    await alice.waitFor(/^┌─ #lobby ─+┐/);
    const bar = alice.rows()[0]!;
    await alice.keys(KEY.click(bar.indexOf('#ops') + 1, 0));
    await alice.waitFor(/^┌─ #ops ─+┐┌─ Users \(2\) ─+┐$/);
    await alice.line('hi ops');
    await carol.next(said('#ops', 'hi ops'));
    // Every row of the frame keeps its borders in place.
    for (let y = 2; y < 21; y++) {
      if (y === 15 || y === 16) continue;
      expect(alice.term.columnsOf(y, '│'), `row ${y}: ${alice.rows()[y]}`).toEqual([0, 59, 60, 79]);
    }
  });

  test('/topic, /lock, /mute, /kick and /ban by an operator are seen in the client; acting on the room on screen unless #room is given', async () => {
    const bob = await person('bob', '#dev'); // bob made #dev: its operator
    const alice = await fullScreen('alice', 100, 30);
    await alice.line('/join #dev');
    await alice.waitFor(/^ {2}1:#lobby {2}2:#dev +$/);
    bob.send({ type: 'topic', room: '#dev', text: 'release week' });
    await alice.waitFor(/^┌─ #dev — release week ─+┐/);
    bob.send({ type: 'topic_lock', room: '#dev', locked: true });
    await alice.waitFor(/^┌─ #dev\(\+t\) — release week ─+┐/, 'the locked topic marked in the title');

    bob.send({ type: 'mute', room: '#dev', name: 'alice', seconds: 600 });
    await alice.waitFor(/bob muted alice for 600 s/);
    await alice.line('can I speak?');
    await alice.waitFor(/muted/i, 'the refusal');
    // /topic with #room acts on that room, not the one on screen.
    await alice.line('/window 1');
    await alice.waitFor(/^┌─ #lobby ─+┐/);
    await alice.line('/topic #dev');
    await alice.waitFor(/topic: release week \(set by bob/);

    bob.send({ type: 'kick', room: '#dev', name: 'alice', reason: 'take a break' });
    await alice.waitFor(/you are no longer in #dev \(kicked by bob: take a break\)/);
    await alice.waitFor(/^┌─ Room ─+┐/, 'the one-room screen again');
    expect(alice.rows()[0]).not.toMatch(/#dev/);

    bob.send({ type: 'ban', room: '#dev', name: 'alice' });
    await bob.next((m) => m.type === 'moderation' && m.action === 'ban');
    await alice.line('/join #dev');
    await alice.waitFor(/you are banned from #dev/);
  });

  test('the operator side: /kick, /mute and /ban (with a reason) typed in the client act on the room on screen', async () => {
    const bob = await person('bob');
    const alice = await fullScreen('alice');
    await alice.line('/join #ops');
    await alice.waitFor(/^ {2}1:#lobby {2}2:#ops +$/);
    bob.send({ type: 'join', room: '#ops' });
    await alice.waitFor(/bob has joined/);
    await alice.line('/mute bob 10m');
    const muted = await bob.next((m) => m.type === 'moderation');
    expect(muted).toMatchObject({ room: '#ops', action: 'mute', name: 'bob', seconds: 600 });
    await alice.waitFor(/alice muted bob for 600 s/);
    await alice.line('/kick bob enough');
    const left = await bob.next((m) => m.type === 'left' && m.name === 'bob');
    expect(left).toMatchObject({ room: '#ops', reason: 'kicked', by: 'alice', message: 'enough' });
    await alice.waitFor(/bob has left \(kicked by alice: enough\)/);
    await alice.waitFor(/^┌─ #ops ─+┐┌─ Users \(1\) ─+┐$/);
    // /ban takes a reason, after a duration or without one; the server tells the room and the one banned.
    bob.send({ type: 'join', room: '#ops' });
    await alice.waitFor(/bob has joined/);
    await alice.line('/ban bob 10m flooding the room');
    const banned = await bob.next((m) => m.type === 'left' && m.name === 'bob');
    expect(banned).toMatchObject({ room: '#ops', reason: 'banned', by: 'alice', message: 'flooding the room (for 10m)' });
    await alice.waitFor(/alice banned bob for 600 s: flooding the room/);
    await alice.line('/unban bob');
    await alice.waitFor(/lifted the ban on bob/);
    bob.send({ type: 'join', room: '#ops' });
    await bob.next((m) => m.type === 'room' && m.room === '#ops');
    await alice.line('/ban bob rude, twice');
    const again = await bob.next((m) => m.type === 'left' && m.name === 'bob');
    expect(again).toMatchObject({ room: '#ops', reason: 'banned', message: 'rude, twice' });
    await alice.waitFor(/alice banned bob: rude, twice/);
  });
});
