import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Tmux } from '../../../src/tui/screen/tmux.js';
import { startTestServer, tempDb, Wire, type TestServer } from '../helpers.js';
import { tempDir } from '../../helpers/tmp.js';

// irssi (Debian's package), the real thing, in a tmux pane of its own, against the gateway, with a parley
// client in the same room: each step is checked on both sides, irssi's by reading its pane as its user
// would. irssi runs with a fresh --home, so nothing of a person's own irssi setup is read or written.

const irssi = (() => {
  try {
    execFileSync('irssi', ['--version'], { stdio: 'ignore' });
    return Tmux.available();
  } catch {
    return false;
  }
})();

let t: TestServer | undefined;
let tmux: Tmux | undefined;
const wires: Wire[] = [];
afterEach(async () => {
  tmux?.close();
  for (const w of wires.splice(0)) w.close();
  await t?.stop();
});

async function parley(port: number, name: string): Promise<Wire> {
  const w = await Wire.connect(port);
  wires.push(w);
  w.send({ type: 'hello', name, version: 2 });
  await w.next((f) => f.type === 'welcome');
  return w;
}

/** A wait for a pane showing `s` somewhere. */
const has = (s: string) => (text: string) => text.includes(s);

describe.skipIf(!irssi)('irssi in tmux and a parley client in the same room', () => {
  it('join, talk, whisper both ways, rename, kick both ways and quit, each side seeing the other', { timeout: 120_000 }, async () => {
    t = await startTestServer(tempDb(), { historySize: 0, irc: { port: 0 } });
    const home = tempDir('parley-irssi-');
    tmux = new Tmux(`irc-test-${process.pid}`, 'irc-irssi');
    tmux.open(100, 30, [['irssi', `--home=${home}`, '-n', 'bob', '-c', '127.0.0.1', '-p', String(t.server.irc!.port)]], { LANG: 'C.UTF-8', TERM: 'screen-256color' });
    const alice = await parley(t.port, 'alice');
    // irssi registers and is put in #lobby: the parley side sees it come in.
    expect(await alice.next((f) => f.type === 'joined', 30_000)).toMatchObject({ name: 'bob' });
    await tmux.waitFor(0, has('End of /MOTD'), 20_000);

    // bob makes a room (its operator), alice joins it; irssi shows her joining.
    tmux.type(0, '/join #dev');
    await tmux.waitFor(0, has('bob [bob@parley] has joined #dev'));
    alice.send({ type: 'join', room: '#dev' });
    expect(await alice.next((f) => f.type === 'room' && f.room === '#dev')).toMatchObject({ operators: ['bob'] });
    await tmux.waitFor(0, has('alice [alice@parley] has joined #dev'));

    // Talk, both ways.
    alice.send({ type: 'say', room: '#dev', text: 'hello from parley' });
    await tmux.waitFor(0, has('hello from parley'));
    tmux.type(0, 'hi alice, irssi here');
    expect(await alice.next((f) => f.type === 'message' && f.from === 'bob')).toMatchObject({ room: '#dev', text: 'hi alice, irssi here' });

    // Whispers, both ways: /msg from irssi; a parley whisper opens irssi's query window.
    tmux.type(0, '/msg alice psst');
    expect(await alice.next((f) => f.type === 'whisper' && f.from === 'bob')).toMatchObject({ to: 'alice', text: 'psst' });
    alice.send({ type: 'whisper', to: 'bob', text: 'psst yourself' });
    tmux.type(0, '/query alice');
    await tmux.waitFor(0, has('psst yourself'));
    tmux.type(0, '/window goto #dev');

    // Renames, both ways.
    tmux.type(0, '/nick robert');
    expect(await alice.next((f) => f.type === 'renamed')).toMatchObject({ old: 'bob', new: 'robert' });
    await tmux.waitFor(0, has("You're now known as robert"));
    alice.send({ type: 'nick', name: 'alicia' });
    await tmux.waitFor(0, has('alice is now known as alicia'));

    // Kicks, both ways: robert kicks alicia; she comes back, is made operator, and kicks robert.
    tmux.type(0, '/kick alicia off topic');
    expect(await alice.next((f) => f.type === 'left' && f.room === '#dev')).toMatchObject({ name: 'alicia', reason: 'kicked', by: 'robert', message: 'off topic' });
    await tmux.waitFor(0, has('alicia was kicked from #dev by robert [off topic]'));
    alice.send({ type: 'join', room: '#dev' });
    await tmux.waitFor(0, has('alicia [alicia@parley] has joined #dev'));
    tmux.type(0, '/op alicia');
    expect(await alice.next((f) => f.type === 'moderation')).toMatchObject({ action: 'op', name: 'alicia', by: 'robert' });
    alice.send({ type: 'kick', room: '#dev', name: 'robert', reason: 'your turn' });
    await tmux.waitFor(0, has('robert was kicked from #dev by alicia [your turn]'));

    // A parley user quits: irssi shows it in #lobby. Then irssi quits: parley sees the reason.
    const carol = await parley(t.port, 'carol');
    tmux.type(0, '/window goto #lobby');
    await tmux.waitFor(0, has('carol [carol@parley] has joined #lobby'));
    carol.send({ type: 'quit', reason: 'lunch' });
    await tmux.waitFor(0, has('carol [carol@parley] has quit [Quit: lunch]'));
    tmux.type(0, '/quit bye all');
    expect(await alice.next((f) => f.type === 'left' && f.name === 'robert' && f.reason === 'quit')).toMatchObject({ room: '#lobby', message: 'bye all' });
  });
});
