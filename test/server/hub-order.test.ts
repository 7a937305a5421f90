import { describe, expect, it } from 'vitest';
import { Accounts } from '../../src/server/accounts.js';
import { Hub, type HubOptions, type Outbox } from '../../src/server/hub.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import { MAX_HELD_FRAMES } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { until } from '../helpers/until.js';
import { FAST_SCRYPT } from './helpers.js';

// Issue 12, items 1, 2, 8, 9, 10, 11 and 13 at the hub: requests answered in order even while a password
// is checked, the registration deadline, a reply with its ref for every request, refs per session, long
// passwords, imported weak passwords, and what welcome advertises. Password checks are completed by hand.

class HeldHasher extends PasswordHasher {
  held: (() => void)[] = [];
  override verify(password: string, stored: string | null): Promise<boolean> {
    return new Promise((resolve) => this.held.push(() => resolve(super.verify(password, stored))));
  }
  override hash(password: string): Promise<string> {
    return new Promise((resolve) => this.held.push(() => resolve(super.hash(password))));
  }
}

function setup(o: Partial<HubOptions> = {}) {
  let now = 1_000_000;
  const sent = new Map<number, ServerMessage[]>();
  let frames = 0;
  const closed = new Set<number>();
  const holding = new Map<number, boolean>();
  const out: Outbox = {
    send: (id, frame) => (frames++, sent.set(id, [...(sent.get(id) ?? []), ...frame.toString().trim().split('\n').map((l) => JSON.parse(l) as ServerMessage)])),
    close: (id) => closed.add(id),
    hold: (id, on) => holding.set(id, on),
  };
  const store = new Store(':memory:');
  const hasher = new HeldHasher(FAST_SCRYPT);
  const accounts = new Accounts(store, hasher, { mode: 'optional', blockDurationS: 60, clock: () => now });
  const hub = new Hub(out, { clock: () => now, store, accounts, ratePerSecond: 0, historySize: 0, ...o });
  const take = (id: number) => {
    const f = sent.get(id) ?? [];
    sent.set(id, []);
    return f;
  };
  const say = (id: number, obj: object) => hub.receive(id, JSON.stringify(obj));
  /** Let the next waiting hash finish, and wait until the hub has answered it. */
  const finishHash = async () => {
    await until(() => hasher.held.length > 0, 5000, 'a hash waiting');
    const before = frames;
    hasher.held.shift()!();
    await until(() => frames > before, 5000, 'the answer to the check');
  };
  const join = (id: number, name: string) => {
    hub.connect(id, `10.0.0.${id}`, id); // one address each: the per-source login budget is not under test here
    say(id, { type: 'hello', name, version: 1 });
    return take(id)[0]!;
  };
  return { hub, store, hasher, take, say, closed, holding, finishHash, join, advance: (ms: number) => (now += ms) };
}

const summary = (frames: ServerMessage[]) => frames.map((f) => (f.type === 'error' ? `error:${f.code}` : f.type));

describe('requests of one connection are answered in order (item 1)', () => {
  it('a password hello, then ping, list and say: the login answer comes first, then the rest in order', async () => {
    const t = setup();
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'alice', version: 1, password: 'wrong password' });
    t.say(1, { type: 'ping', token: 'p' });
    t.say(1, { type: 'list' });
    t.say(1, { type: 'say', text: 'hi' });
    expect(t.take(1)).toEqual([]);
    expect(t.holding.get(1)).toBe(true); // the host stops reading this connection meanwhile
    await t.finishHash();
    expect(summary(t.take(1))).toEqual(['error:login_failed', 'pong', 'error:not_registered', 'error:not_registered']);
    expect(t.holding.get(1)).toBe(false);
  });

  it('register, then ping, list and say: registered first; the room sees the line only after it', async () => {
    const t = setup();
    t.join(1, 'alice');
    t.join(2, 'bob');
    t.take(1);
    t.say(1, { type: 'register', password: 'a good password', ref: 'r' });
    t.say(1, { type: 'ping', ref: 'p' });
    t.say(1, { type: 'list', ref: 'l' });
    t.say(1, { type: 'say', text: 'after register', ref: 's' });
    expect(t.take(1)).toEqual([]);
    expect(t.take(2)).toEqual([]); // not relayed before registered
    await t.finishHash();
    expect(summary(t.take(1))).toEqual(['registered', 'pong', 'users', 'message']);
    expect(t.take(2)).toMatchObject([{ type: 'message', from: 'alice', text: 'after register' }]);
  });

  it('holds frame errors too, in their place', async () => {
    const t = setup();
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'alice', version: 1, password: 'wrong password' });
    t.hub.frameError(1, 'frame_too_large');
    t.hub.receive(1, 'not json');
    await t.finishHash();
    expect(summary(t.take(1))).toEqual(['error:login_failed', 'error:frame_too_large', 'error:malformed_json']);
  });

  it('a second check among the held frames holds the rest again', async () => {
    const t = setup();
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'alice', version: 1, password: 'wrong password' });
    t.say(1, { type: 'hello', name: 'alice', version: 1, password: 'wrong again' });
    t.say(1, { type: 'ping', token: 'last' });
    await t.finishHash();
    expect(summary(t.take(1))).toEqual(['error:login_failed']);
    await t.finishHash();
    expect(summary(t.take(1))).toEqual(['error:login_failed', 'pong']);
  });

  it(`closes a connection that sends more than ${MAX_HELD_FRAMES} frames while it waits`, async () => {
    const t = setup();
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'alice', version: 1, password: 'wrong password' });
    for (let i = 0; i < MAX_HELD_FRAMES; i++) t.say(1, { type: 'ping' });
    expect(t.closed.has(1)).toBe(false);
    t.say(1, { type: 'ping' });
    expect(t.closed.has(1)).toBe(true);
  });
});

describe('the registration deadline is for sending hello (item 2)', () => {
  it('does not run while a password is checked, and resumes after', async () => {
    const t = setup({ registrationTimeoutMs: 20_000 });
    t.hub.connect(1, '127.0.0.1', 1);
    t.advance(19_000);
    t.say(1, { type: 'hello', name: 'alice', version: 1, password: 'wrong password' });
    t.advance(30_000); // the hash waits in a long queue
    t.hub.tick();
    expect(t.take(1)).toEqual([]);
    expect(t.closed.has(1)).toBe(false);
    await t.finishHash();
    expect(summary(t.take(1))).toEqual(['error:login_failed']);
    t.hub.tick();
    expect(t.closed.has(1)).toBe(false); // 19 s of its 20 have passed
    t.advance(1000);
    t.hub.tick();
    expect(summary(t.take(1))).toEqual(['error:registration_timeout']);
    expect(t.closed.has(1)).toBe(true);
  });
});

describe('every request gets a reply carrying its ref (item 8)', () => {
  it('pong carries the ping’s ref, registered or not', () => {
    const t = setup();
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'ping', token: 't', ref: 'before' });
    t.join(2, 'bob');
    t.say(2, { type: 'ping', ref: 'after' });
    expect(t.take(1)).toEqual([{ type: 'pong', token: 't', ref: 'before' }]);
    expect(t.take(2)).toEqual([{ type: 'pong', ref: 'after' }]);
  });

  it('allow, deny, private_port and private_end answer ok with their ref', () => {
    const t = setup();
    t.join(1, 'alice');
    t.join(2, 'bob');
    t.say(1, { type: 'private', to: 'bob' });
    t.take(1);
    t.take(2);
    t.say(2, { type: 'deny', name: 'alice', ref: 'd' });
    expect(t.take(2)).toEqual([{ type: 'ok', re: 'deny', ref: 'd' }]);
    expect(t.take(1)).toMatchObject([{ type: 'private_end', reason: 'denied' }]);
    t.join(3, 'carol');
    t.say(3, { type: 'private', to: 'bob' });
    t.take(3);
    t.take(2);
    t.say(2, { type: 'allow', name: 'carol', ref: 'a' });
    expect(t.take(2)).toEqual([{ type: 'ok', re: 'allow', ref: 'a' }]);
    const listen = t.take(3)[0] as Extract<ServerMessage, { type: 'private_listen' }>;
    t.say(3, { type: 'private_port', link: listen.link, port: 4000, ref: 'p' });
    expect(t.take(3)).toEqual([{ type: 'ok', re: 'private_port', ref: 'p' }]);
    expect(t.take(2)).toMatchObject([{ type: 'private_connect', with: 'carol', port: 4000 }]);
    t.say(2, { type: 'private_end', name: 'carol', reason: 'stopped', ref: 'e' });
    expect(t.take(2)).toEqual([{ type: 'ok', re: 'private_end', ref: 'e' }]);
    t.say(3, { type: 'private_end', name: 'bob', reason: 'stopped', ref: 'e2' }); // nothing left to end
    expect(t.take(3)).toEqual([{ type: 'private_end', with: 'bob', reason: 'stopped', time: expect.any(Number) }, { type: 'ok', re: 'private_end', ref: 'e2' }]);
  });

  it('a refused allow gets its error, not ok', () => {
    const t = setup();
    t.join(1, 'alice');
    t.say(1, { type: 'allow', name: 'nobody', ref: 'x' });
    expect(summary(t.take(1))).toEqual(['error:no_such_request']);
  });

  it('quit works before hello, and with a reason of any length', () => {
    const t = setup();
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'quit' });
    expect(t.closed.has(1)).toBe(true);
    t.join(2, 'bob');
    t.join(3, 'carol');
    t.take(2);
    t.say(3, { type: 'quit', reason: '😀'.repeat(500) });
    expect(t.take(2)).toEqual([{ type: 'left', name: 'carol', reason: 'quit', message: '😀'.repeat(200), time: expect.any(Number) }]);
  });
});

describe('refs are remembered per session, not per name (item 9)', () => {
  it('a later guest under the same name is relayed even with the same ref and text', () => {
    const t = setup();
    t.join(1, 'watcher');
    const first = t.join(2, 'bob');
    t.say(2, { type: 'say', text: 'good morning', ref: '1' });
    const [echo1] = t.take(2);
    t.say(2, { type: 'quit' });
    t.take(1);
    const later = t.join(3, 'bob');
    expect(later).toMatchObject({ type: 'welcome' });
    expect((later as { session: string }).session).not.toBe((first as { session: string }).session);
    t.say(3, { type: 'say', text: 'good morning', ref: '1' });
    const [echo2] = t.take(3);
    expect(echo2).toMatchObject({ type: 'message', ref: '1' });
    expect((echo2 as { id: number }).id).not.toBe((echo1 as { id: number }).id);
    expect(t.take(1)).toMatchObject([{ type: 'joined', name: 'bob' }, { type: 'message', from: 'bob', text: 'good morning' }]);
  });

  it('a client that continues its session (hello.session) gets its resend acknowledged, not relayed twice', () => {
    const t = setup();
    t.join(1, 'watcher');
    const welcome = t.join(2, 'bob') as { session: string };
    t.say(2, { type: 'say', text: 'once', ref: 'q' });
    const [echo1] = t.take(2);
    t.hub.disconnect(2, 'lost');
    t.take(1);
    t.hub.connect(3, '127.0.0.1', 3);
    t.say(3, { type: 'hello', name: 'bob', version: 1, session: welcome.session });
    expect(t.take(3)).toMatchObject([{ type: 'welcome', session: welcome.session }]);
    t.say(3, { type: 'say', text: 'once', ref: 'q' });
    expect(t.take(3)).toEqual([echo1]);
    expect(t.take(1)).toMatchObject([{ type: 'joined', name: 'bob' }]); // and no second message
  });

  it('an unknown session is not adopted: a new one is named in welcome', () => {
    const t = setup();
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'bob', version: 1, session: 'made-up-by-the-client' });
    expect((t.take(1)[0] as { session: string }).session).not.toBe('made-up-by-the-client');
  });
});

describe('passwords (items 10 and 11)', () => {
  it.each([257, 1025, 5000])('register with a %i-character password gets weak_password', async (n) => {
    const t = setup();
    t.join(1, 'alice');
    t.say(1, { type: 'register', password: 'p'.repeat(n), ref: 'r' });
    await new Promise((r) => setTimeout(r, 10));
    expect(t.take(1)).toMatchObject([{ type: 'error', code: 'weak_password', ref: 'r', message: 'a password has at most 256 characters' }]);
  });

  it('an imported weak password logs in, is asked to change, and changes with register', async () => {
    const t = setup();
    t.store.addUser('falcon', 'falcon', await new PasswordHasher(FAST_SCRYPT).hash('wise'), 0, true);
    t.hub.connect(1, '127.0.0.1', 1);
    t.say(1, { type: 'hello', name: 'falcon', version: 1, password: 'wise' });
    await t.finishHash();
    expect(t.take(1)).toMatchObject([{ type: 'welcome', name: 'falcon', account: true, change_password: true }]);
    t.say(1, { type: 'register', password: 'short', ref: 'a' });
    await new Promise((r) => setTimeout(r, 10));
    expect(t.take(1)).toMatchObject([{ type: 'error', code: 'weak_password', ref: 'a' }]);
    t.say(1, { type: 'register', password: 'a far better password', ref: 'b' });
    await t.finishHash();
    expect(t.take(1)).toMatchObject([{ type: 'registered', name: 'falcon', ref: 'b' }]);
    expect(t.store.user('falcon')!.mustChange).toBe(false);
    t.say(1, { type: 'register', password: 'yet another password', ref: 'c' });
    await new Promise((r) => setTimeout(r, 10));
    expect(t.take(1)).toMatchObject([{ type: 'error', code: 'name_registered', ref: 'c' }]);
    t.hub.connect(2, '127.0.0.1', 2);
    t.say(2, { type: 'hello', name: 'falcon', version: 1, password: 'a far better password' });
    await t.finishHash();
    const welcome = t.take(2).find((f) => f.type === 'welcome');
    expect(welcome).toMatchObject({ type: 'welcome', account: true });
    expect(welcome).not.toHaveProperty('change_password');
  });
});

describe('welcome advertises limits and features (item 13)', () => {
  it('with the server’s own settings', () => {
    const t = setup({ rateBurst: 7, ratePerSecond: 3, historySize: 20, pingIntervalMs: 11_000 });
    expect(t.join(1, 'alice')).toMatchObject({
      limits: { frameBytes: 8192, serverFrameBytes: 1048576, textChars: 2000, nameChars: 32, reasonChars: 200, refChars: 64, passwordChars: [8, 256], rateBurst: 7, ratePerSecond: 3, pingIntervalMs: 11_000 },
      features: { accounts: 'optional', history: 20, offline: true, blocks: true, private: true, away: true },
    });
  });
});
