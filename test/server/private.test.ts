import { describe, expect, it } from 'vitest';
import { Hub, type Client, type Outbox } from '../../src/server/hub.js';
import { PrivateDesk, type Delivery, type PrivateRoom } from '../../src/server/private.js';
import type { ServerMessage } from '../../src/wire/messages.js';

const NAMES: Record<number, string> = { 1: 'alice', 2: 'bob', 3: 'carol' };
const IPS: Record<number, string> = { 1: '10.0.0.1', 2: '10.0.0.2', 3: '::ffff:10.0.0.3' };

function desk(options: { mayAsk?: PrivateRoom['mayAsk']; maxAsks?: number } = {}) {
  let now = 1_000;
  const room: PrivateRoom = {
    idOf: (name) => {
      const hit = Object.entries(NAMES).find(([, n]) => n === name.toLowerCase());
      return hit ? Number(hit[0]) : undefined;
    },
    nameOf: (id) => NAMES[id]!,
    addressOf: (id) => IPS[id]!,
    mayAsk: options.mayAsk ?? (() => true),
    identityOf: (id) => [`name:${NAMES[id]}`, `source:${IPS[id]}`],
  };
  let counter = 0;
  const d = new PrivateDesk(room, {
    clock: () => now,
    random: (n) => Buffer.alloc(n, ++counter),
    askTimeoutMs: 60_000,
    setupTimeoutMs: 15_000,
    retryAfterDenyMs: 30_000,
    maxAsks: options.maxAsks ?? 2,
  });
  return { d, advance: (ms: number) => (now += ms) };
}

const to = (deliveries: Delivery[], id: number): ServerMessage[] => deliveries.filter((x) => x.to === id).map((x) => x.msg);
const everything = (deliveries: Delivery[]) => JSON.stringify(deliveries);

describe('PrivateDesk: consent before any address', () => {
  it('walks ask → allow → port → connect, handing the secret and port only after consent', () => {
    const { d } = desk();
    const asked = d.handle(1, { type: 'private', to: 'Bob', ref: '7' });
    // The target is shown where it would connect (the asker's observed address) before it answers.
    expect(to(asked, 2)).toEqual([{ type: 'private_request', from: 'alice', time: 1000, host: '10.0.0.1' }]);
    expect(to(asked, 1)).toEqual([{ type: 'private_asked', to: 'bob', ref: '7' }]);
    expect(everything(asked)).not.toMatch(/10\.0\.0\.2|secret|port/);

    const allowed = d.handle(2, { type: 'allow', name: 'alice' });
    expect(allowed).toHaveLength(1);
    const listen = to(allowed, 1)[0] as Extract<ServerMessage, { type: 'private_listen' }>;
    expect(listen).toMatchObject({ type: 'private_listen', with: 'bob' });
    expect(listen.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(everything(allowed)).not.toContain('10.0.0.2'); // the asker never learns the target's address from us

    const handed = d.handle(1, { type: 'private_port', link: listen.link, port: 40001 });
    expect(to(handed, 2)).toEqual([{ type: 'private_connect', with: 'alice', link: listen.link, secret: listen.secret, host: '10.0.0.1', port: 40001 }]);
    expect(to(handed, 1)).toEqual([]);
    // The secret is forgotten: a second port report finds nothing waiting.
    expect(to(d.handle(1, { type: 'private_port', link: listen.link, port: 40002 }), 1)[0]).toMatchObject({ type: 'error', code: 'no_such_request' });
  });

  it('issues a different link and secret for every consent', () => {
    const { d } = desk();
    d.handle(1, { type: 'private', to: 'bob' });
    const a = to(d.handle(2, { type: 'allow', name: 'alice' }), 1)[0] as Extract<ServerMessage, { type: 'private_listen' }>;
    d.handle(1, { type: 'private', to: 'carol' });
    const b = to(d.handle(3, { type: 'allow', name: 'alice' }), 1)[0] as Extract<ServerMessage, { type: 'private_listen' }>;
    expect(a.secret).not.toBe(b.secret);
    expect(a.link).not.toBe(b.link);
  });

  it('only the asker may report the port', () => {
    const { d } = desk();
    d.handle(1, { type: 'private', to: 'bob' });
    const listen = to(d.handle(2, { type: 'allow', name: 'alice' }), 1)[0] as Extract<ServerMessage, { type: 'private_listen' }>;
    expect(to(d.handle(2, { type: 'private_port', link: listen.link, port: 1234 }), 2)[0]).toMatchObject({ code: 'no_such_request' });
  });

  it('a denial tells the asker, reveals nothing, and holds off a repeat ask for a while', () => {
    const { d, advance } = desk();
    d.handle(1, { type: 'private', to: 'bob' });
    const denied = d.handle(2, { type: 'deny', name: 'alice' });
    expect(denied).toEqual([{ to: 1, msg: { type: 'private_end', with: 'bob', reason: 'denied', time: 1000 } }]);
    expect(to(d.handle(1, { type: 'private', to: 'bob' }), 1)[0]).toMatchObject({ type: 'error', code: 'private_refused', message: 'bob declined; you can ask again in 30 s' });
    advance(30_000);
    expect(to(d.handle(1, { type: 'private', to: 'bob' }), 2)[0]).toMatchObject({ type: 'private_request' });
  });

  it('allow or deny without a request is an error naming the person', () => {
    const { d } = desk();
    expect(d.handle(2, { type: 'allow', name: 'alice', ref: '3' })).toEqual([
      { to: 2, msg: { type: 'error', code: 'no_such_request', message: 'alice has not asked you for a private chat (or the request lapsed)', re: 'allow', ref: '3', name: 'alice' } },
    ]);
    // The asker cannot consent on the target's behalf.
    d.handle(1, { type: 'private', to: 'bob' });
    expect(to(d.handle(1, { type: 'allow', name: 'bob' }), 1)[0]).toMatchObject({ code: 'no_such_request' });
  });

  it('refuses asking yourself, nobody, a blocked target, a duplicate, and too many at once', () => {
    const { d } = desk({ mayAsk: (from, target) => !(from === 3 && target === 2) });
    expect(to(d.handle(1, { type: 'private', to: 'alice' }), 1)[0]).toMatchObject({ code: 'private_refused', message: 'you cannot open a private chat with yourself' });
    expect(to(d.handle(1, { type: 'private', to: 'zed' }), 1)[0]).toMatchObject({ code: 'no_such_user' });
    const blocked = d.handle(3, { type: 'private', to: 'bob' });
    expect(blocked).toEqual([{ to: 3, msg: expect.objectContaining({ code: 'private_refused', message: 'bob is not taking private-chat requests from you' }) }]);
    d.handle(1, { type: 'private', to: 'bob' });
    expect(to(d.handle(1, { type: 'private', to: 'bob' }), 1)[0]).toMatchObject({ code: 'already_private' });
  });

  it('caps the requests one user may have waiting', () => {
    const { d } = desk({ maxAsks: 1 });
    d.handle(1, { type: 'private', to: 'bob' });
    expect(to(d.handle(1, { type: 'private', to: 'carol' }), 1)[0]).toMatchObject({ code: 'private_refused', message: expect.stringMatching(/1 private-chat requests waiting/) });
    d.handle(1, { type: 'private_end', name: 'bob', reason: 'stopped' });
    expect(to(d.handle(1, { type: 'private', to: 'carol' }), 3)[0]).toMatchObject({ type: 'private_request', from: 'alice' });
  });

  it('asking back someone who asked you is consent', () => {
    const { d } = desk();
    d.handle(1, { type: 'private', to: 'bob' });
    const back = d.handle(2, { type: 'private', to: 'alice' });
    expect(to(back, 1)[0]).toMatchObject({ type: 'private_listen', with: 'bob' });
  });

  it('unanswered requests and unreported ports lapse on tick, telling both', () => {
    const { d, advance } = desk();
    d.handle(1, { type: 'private', to: 'bob' });
    advance(59_999);
    expect(d.tick()).toEqual([]);
    advance(1);
    expect(d.tick().map((x) => [x.to, x.msg.type, (x.msg as { reason: string }).reason])).toEqual([
      [1, 'private_end', 'timeout'],
      [2, 'private_end', 'timeout'],
    ]);
    d.handle(1, { type: 'private', to: 'bob' });
    d.handle(2, { type: 'allow', name: 'alice' });
    advance(15_000);
    expect(d.tick()).toHaveLength(2);
    expect(d.size).toBe(0);
  });

  it('ending: withdrawing a request says cancelled, stopping a link says stopped, the target ending a request is a denial', () => {
    const { d } = desk();
    d.handle(1, { type: 'private', to: 'bob' });
    expect(d.handle(1, { type: 'private_end', name: 'bob', reason: 'stopped' })).toEqual([{ to: 2, msg: expect.objectContaining({ type: 'private_end', with: 'alice', reason: 'cancelled' }) }]);
    d.handle(1, { type: 'private', to: 'carol' });
    expect(d.handle(3, { type: 'private_end', name: 'alice', reason: 'stopped' })).toEqual([{ to: 1, msg: expect.objectContaining({ reason: 'denied' }) }]);
    // Both ends of a dropped link report it; only the first finds the pairing.
    d.handle(2, { type: 'private', to: 'alice' });
    const l = to(d.handle(1, { type: 'allow', name: 'bob' }), 2)[0] as Extract<ServerMessage, { type: 'private_listen' }>;
    d.handle(2, { type: 'private_port', link: l.link, port: 5000 });
    expect(d.handle(1, { type: 'private_end', name: 'bob', reason: 'lost' })).toEqual([{ to: 2, msg: expect.objectContaining({ with: 'alice', reason: 'lost' }) }]);
    expect(d.handle(2, { type: 'private_end', name: 'alice', reason: 'lost' })).toEqual([]);
  });

  it('someone leaving ends everything they were part of, telling the others', () => {
    const { d } = desk();
    d.handle(1, { type: 'private', to: 'bob' });
    d.handle(3, { type: 'private', to: 'alice' });
    const gone = d.drop(1);
    expect(gone.map((x) => [x.to, (x.msg as { reason: string }).reason])).toEqual([
      [2, 'left'],
      [3, 'left'],
    ]);
    expect(d.size).toBe(0);
  });

  it('hands out an IPv4 address for an IPv4 client seen through a dual-stack socket', () => {
    // (the desk passes the room's address through; the hub unmaps ::ffff:, tested below)
    const { d } = desk();
    d.handle(3, { type: 'private', to: 'bob' });
    const l = to(d.handle(2, { type: 'allow', name: 'carol' }), 3)[0] as Extract<ServerMessage, { type: 'private_listen' }>;
    expect(to(d.handle(3, { type: 'private_port', link: l.link, port: 9 }), 2)[0]).toMatchObject({ host: '::ffff:10.0.0.3' });
  });
});

describe('Hub: private chat through the room', () => {
  class Capture implements Outbox {
    frames = new Map<number, ServerMessage[]>();
    send(id: number, frame: Buffer) {
      for (const line of frame.toString().trim().split('\n')) (this.frames.get(id) ?? this.frames.set(id, []).get(id)!).push(JSON.parse(line));
    }
    close() {}
    take(id: number): ServerMessage[] {
      const f = this.frames.get(id) ?? [];
      this.frames.set(id, []);
      return f;
    }
  }

  /** A hub whose blocking rule is the method the accounts work will fill in. */
  class BlockingHub extends Hub {
    blocked = new Set<string>();
    protected override mayAskPrivate(from: Client, target: Client): boolean {
      return !this.blocked.has(`${target.name}>${from.name}`);
    }
  }

  function room() {
    const out = new Capture();
    const logged: string[] = [];
    const hub = new BlockingHub(out, { log: (e, f) => logged.push(`${e} ${JSON.stringify(f)}`) });
    hub.connect(1, '::ffff:127.0.0.1', 50001);
    hub.connect(2, '127.0.0.1', 50002);
    hub.receive(1, '{"type":"hello","name":"alice","version":1}');
    hub.receive(2, '{"type":"hello","name":"bob","version":1}');
    out.take(1);
    out.take(2);
    return { hub, out, logged };
  }

  it('a blocked user cannot ask: the request is refused and the target hears nothing', () => {
    const { hub, out } = room();
    hub.blocked.add('bob>alice');
    hub.receive(1, '{"type":"private","to":"bob","ref":"1"}');
    expect(out.take(1)).toEqual([expect.objectContaining({ type: 'error', code: 'private_refused', ref: '1', re: 'private' })]);
    expect(out.take(2)).toEqual([]);
  });

  it('hands over an unmapped IPv4 address, and logs steps without the secret or any address', () => {
    const { hub, out, logged } = room();
    hub.receive(1, '{"type":"private","to":"bob"}');
    hub.receive(2, '{"type":"allow","name":"alice"}');
    const listen = out.take(1).find((m) => m.type === 'private_listen') as Extract<ServerMessage, { type: 'private_listen' }>;
    hub.receive(1, JSON.stringify({ type: 'private_port', link: listen.link, port: 40404 }));
    expect(out.take(2).find((m) => m.type === 'private_connect')).toMatchObject({ host: '127.0.0.1', port: 40404, secret: listen.secret });
    const privateLog = logged.filter((l) => l.startsWith('private')).join('\n');
    expect(privateLog).toContain('"step":"private_connect"');
    expect(logged.join('\n')).not.toContain(listen.secret);
    expect(privateLog).not.toContain('40404');
  });

  it('validates the new frames like every other', () => {
    const { hub, out } = room();
    hub.receive(1, '{"type":"private_port","link":"x","port":70000}');
    expect(out.take(1)[0]).toMatchObject({ code: 'invalid_message', message: 'private_port: "port" must be a port number from 1 to 65535' });
    hub.receive(1, '{"type":"private_end","name":"bob","reason":"timeout"}');
    expect(out.take(1)[0]).toMatchObject({ code: 'invalid_message' });
  });

  it('leaving ends the private chat for the other side', () => {
    const { hub, out } = room();
    hub.receive(1, '{"type":"private","to":"bob"}');
    out.take(2);
    hub.disconnect(1, 'lost');
    expect(out.take(2).map((m) => m.type)).toEqual(['left', 'private_end']);
  });
});
