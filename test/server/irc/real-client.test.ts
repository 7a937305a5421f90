import IRC, { type Client as IrcFrameworkClient, type IrcEvent } from 'irc-framework';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, tempDb, Wire, type TestServer } from '../helpers.js';

// A real IRC client library (irc-framework, the one Kiwi IRC is built on) against the gateway, with a parley
// client in the same room: what each side sees is what its user would see.

let t: TestServer;
const clients: IrcFrameworkClient[] = [];
const wires: Wire[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.quit();
  for (const w of wires.splice(0)) w.close();
  await t.stop();
});

/** Events of one kind from an irc-framework client, with a wait for the next matching one. */
class Seen {
  private readonly events: Array<{ kind: string; e: IrcEvent }> = [];
  private wake: (() => void) | undefined;
  constructor(client: IrcFrameworkClient, kinds: string[]) {
    for (const kind of kinds) {
      client.on(kind, (e) => {
        this.events.push({ kind, e });
        this.wake?.();
      });
    }
  }
  async next(kind: string, pred: (e: IrcEvent) => boolean = () => true, timeoutMs = 5000): Promise<IrcEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((x) => x.kind === kind && pred(x.e));
      if (i !== -1) return this.events.splice(i, 1)[0]!.e;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${kind} event; saw ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

describe('irc-framework and a parley client in the same room', () => {
  it('talk, act, whisper both ways, rename and quit, each side seeing the other', async () => {
    t = await startTestServer(tempDb(), { historySize: 0, irc: { port: 0 } });
    const alice = await Wire.hello(t.port, 'alice');
    wires.push(alice);
    const bob = new IRC.Client({ auto_reconnect: false });
    clients.push(bob);
    const seen = new Seen(bob, ['registered', 'join', 'message', 'action', 'privmsg', 'nick', 'quit']);
    bob.connect({ host: '127.0.0.1', port: t.server.irc!.port, nick: 'bob', username: 'bob', gecos: 'Bob' });
    await seen.next('registered');
    expect(await seen.next('join')).toMatchObject({ nick: 'bob', channel: '#lobby' });
    expect(await alice.next((f) => f.type === 'joined')).toMatchObject({ name: 'bob' });

    // The room, both ways.
    alice.send({ type: 'say', text: 'hello bob' });
    expect(await seen.next('privmsg', (e) => e.target === '#lobby')).toMatchObject({ nick: 'alice', message: 'hello bob' });
    bob.say('#lobby', 'hi alice');
    expect(await alice.next((f) => f.type === 'message' && f.from === 'bob')).toMatchObject({ from: 'bob', text: 'hi alice' });
    bob.action('#lobby', 'waves');
    expect(await alice.next((f) => f.type === 'message' && f.from === 'bob')).toMatchObject({ from: 'bob', text: 'waves', action: true });
    alice.send({ type: 'say', text: 'waves back', action: true });
    expect(await seen.next('action')).toMatchObject({ nick: 'alice', target: '#lobby', message: 'waves back' });

    // Whispers, both ways.
    bob.say('alice', 'psst');
    expect(await alice.next((f) => f.type === 'whisper' && f.from === 'bob')).toMatchObject({ from: 'bob', to: 'alice', text: 'psst' });
    alice.send({ type: 'whisper', to: 'bob', text: 'psst yourself' });
    expect(await seen.next('privmsg', (e) => e.target === 'bob')).toMatchObject({ nick: 'alice', message: 'psst yourself' });

    // Renames, both ways.
    bob.changeNick('robert');
    expect(await alice.next((f) => f.type === 'renamed')).toMatchObject({ old: 'bob', new: 'robert' });
    expect(await seen.next('nick', (e) => e.nick === 'bob')).toMatchObject({ new_nick: 'robert' });
    expect(bob.user.nick).toBe('robert');
    alice.send({ type: 'nick', name: 'alicia' });
    expect(await seen.next('nick', (e) => e.nick === 'alice')).toMatchObject({ new_nick: 'alicia' });

    // Quits, both ways.
    const carol = await Wire.hello(t.port, 'carol');
    carol.send({ type: 'quit', reason: 'lunch' });
    expect(await seen.next('quit', (e) => e.nick === 'carol')).toMatchObject({ message: 'Quit: lunch' });
    bob.quit('good night');
    expect(await alice.next((f) => f.type === 'left' && f.name === 'robert')).toMatchObject({ reason: 'quit', message: 'good night' });
  });
});
