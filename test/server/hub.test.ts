import { beforeEach, describe, expect, it } from 'vitest';
import { Hub, type HubOptions } from '../../src/server/hub.js';
import { MAX_TEXT_CHARS } from '../../src/wire/limits.js';
import { FakeOutbox } from '../helpers/fake-outbox.js';
import { ESCAPE_CORPUS, FORBIDDEN } from '../helpers/corpus.js';

let now = 1_700_000_000_000;
let out: FakeOutbox;
let hub: Hub;
let logged: string[];

function setup(options: HubOptions = {}) {
  now = 1_700_000_000_000;
  out = new FakeOutbox();
  logged = [];
  hub = new Hub(out, { clock: () => now, log: (event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`), ...options });
}

const send = (id: number, msg: object) => hub.receive(id, JSON.stringify(msg));

/** Connect and register `name` as connection `id`, discarding the welcome. */
function join(id: number, name: string, ip = `10.0.0.${id}`) {
  hub.connect(id, ip, 40000 + id);
  send(id, { type: 'hello', name, version: 1 });
  for (const other of out.received.keys()) out.take(other);
}

beforeEach(() => setup());

describe('registration', () => {
  it('refuses everything but hello before a name is set', () => {
    hub.connect(1, '10.0.0.1', 5000);
    for (const msg of [{ type: 'say', text: 'hi', ref: 'a' }, { type: 'list' }, { type: 'whisper', to: 'x', text: 'y' }, { type: 'nick', name: 'n' }]) send(1, msg);
    const replies = out.take(1);
    expect(replies).toHaveLength(4);
    for (const r of replies) expect(r).toMatchObject({ type: 'error', code: 'not_registered' });
    expect(replies[0]).toMatchObject({ re: 'say', ref: 'a' });
  });

  it('welcomes with the name, the sorted room and the message of the day, and tells the others', () => {
    join(1, 'carol');
    join(2, 'Bob');
    hub.connect(3, '10.0.0.3', 1);
    send(3, { type: 'hello', name: 'alice', version: 1 });
    expect(out.take(3)).toEqual([
      {
        type: 'welcome',
        version: 1,
        name: 'alice',
        users: ['alice', 'Bob', 'carol'],
        motd: expect.any(String),
        session: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        limits: expect.objectContaining({ frameBytes: 8192, textChars: 2000 }),
        features: { accounts: 'off', history: 0, offline: false, blocks: true, private: true, away: true },
      },
    ]);
    expect(out.take(1)).toEqual([{ type: 'joined', name: 'alice', time: now }]);
    expect(out.take(2)).toEqual([{ type: 'joined', name: 'alice', time: now }]);
  });

  it.each([
    ['', 'invalid_name'],
    ['a'.repeat(33), 'invalid_name'],
    ['has space', 'invalid_name'],
    ['\u0430lice', 'invalid_name'], // Cyrillic а
    ['alice\u200b', 'invalid_name'],
    ['ａｌｉｃｅ', 'invalid_name'], // fullwidth
    ['ALICE', 'name_taken'],
    ['alice', 'name_taken'],
  ])('refuses the name %j with %s while alice is here', (name, code) => {
    join(1, 'alice');
    hub.connect(2, '10.0.0.2', 1);
    send(2, { type: 'hello', name, version: 1, ref: 'hello' });
    expect(out.take(2)).toEqual([expect.objectContaining({ type: 'error', code, re: 'hello', ref: 'hello' })]);
    expect(hub.users()).toEqual(['alice']);
  });

  it('refuses another protocol version and a second hello', () => {
    hub.connect(1, '10.0.0.1', 1);
    send(1, { type: 'hello', name: 'a', version: 3 });
    expect(out.take(1)[0]).toMatchObject({ code: 'unsupported_version' });
    send(1, { type: 'hello', name: 'a', version: 1 });
    send(1, { type: 'hello', name: 'b', version: 1 });
    expect(out.take(1).map((m) => m.type === 'error' && m.code)).toEqual([false, 'already_registered']);
  });

  it('closes a connection that never says hello at the deadline, and keeps one that did', () => {
    setup({ registrationTimeoutMs: 20_000 });
    hub.connect(1, '10.0.0.1', 1);
    join(2, 'bob');
    now += 19_999;
    hub.tick();
    expect(out.closed.has(1)).toBe(false);
    now += 1;
    hub.tick();
    expect(out.take(1)).toEqual([expect.objectContaining({ type: 'error', code: 'registration_timeout' })]);
    expect(out.closed.has(1)).toBe(true);
    expect(out.closed.has(2)).toBe(false);
    expect(out.take(2)).toEqual([]); // nobody is told about a stranger who never joined
  });
});

describe('room and whispers', () => {
  beforeEach(() => {
    join(1, 'alice');
    join(2, 'bob');
    join(3, 'carol');
  });

  it('relays a room message to everyone, echoing the sender with its ref, from one encoded buffer', () => {
    const before = out.buffers.size;
    send(1, { type: 'say', text: 'hello', ref: 'r1' });
    const event = { type: 'message', id: 1, from: 'alice', text: 'hello', time: now };
    expect(out.take(2)).toEqual([event]);
    expect(out.take(3)).toEqual([event]);
    expect(out.take(1)).toEqual([{ ...event, ref: 'r1' }]);
    expect(out.buffers.size - before).toBe(2); // one for the room, one for the sender's echo
  });

  it('counts the messages it relays (room lines and whispers), not pings, pongs or lists: the idle collection waits for a count that stands still', () => {
    expect(hub.messagesIssued).toBe(0);
    send(1, { type: 'say', text: 'one' });
    send(2, { type: 'whisper', to: 'alice', text: 'two' });
    send(3, { type: 'list' });
    send(3, { type: 'pong', token: '1' });
    expect(hub.messagesIssued).toBe(2);
  });

  it('marks /me actions', () => {
    send(2, { type: 'say', text: 'waves', action: true });
    expect(out.take(1)).toEqual([expect.objectContaining({ type: 'message', from: 'bob', text: 'waves', action: true })]);
  });

  it('delivers a whisper to its recipient and the sender only', () => {
    send(1, { type: 'whisper', to: 'BOB', text: 'psst', ref: 'w' });
    const event = { type: 'whisper', id: 1, from: 'alice', to: 'bob', text: 'psst', time: now };
    expect(out.take(2)).toEqual([event]);
    expect(out.take(1)).toEqual([{ ...event, ref: 'w' }]);
    expect(out.take(3)).toEqual([]);
    expect(logged.join('\n')).not.toContain('psst'); // whisper text is not logged by default
  });

  it('logs whisper text only when the operator asked for it', () => {
    setup({ logWhisperText: true });
    join(1, 'alice');
    join(2, 'bob');
    send(1, { type: 'whisper', to: 'bob', text: 'psst' });
    expect(logged.join('\n')).toContain('psst');
  });

  it('writes no log line per room message unless the operator asked for them (history keeps the lines; the log would grow by one per message)', () => {
    setup({ ratePerSecond: 0 });
    join(1, 'alice');
    join(2, 'bob');
    const before = logged.length;
    for (let i = 0; i < 20; i++) send(1, { type: 'say', text: `line ${i}` });
    expect(out.take(2)).toHaveLength(20); // every line went out
    expect(logged.slice(before)).toEqual([]);

    setup({ ratePerSecond: 0, logMessages: true });
    join(1, 'alice');
    join(2, 'bob');
    const from = logged.length;
    for (let i = 0; i < 20; i++) send(1, { type: 'say', text: `line ${i}` });
    const lines = logged.slice(from);
    expect(lines).toHaveLength(20);
    expect(lines[7]).toMatch(/^message .*"text":"line 7".*"room":"#lobby"/);
  });

  it('names the missing user when a whisper has nowhere to go', () => {
    send(1, { type: 'whisper', to: 'zed', text: 'hi', ref: 'q' });
    expect(out.take(1)).toEqual([{ type: 'error', code: 'no_such_user', message: expect.stringContaining('"zed"'), re: 'whisper', ref: 'q', name: 'zed' }]);
  });

  it('sanitises text before relaying it', () => {
    setup({ ratePerSecond: 0 });
    join(1, 'alice');
    join(2, 'bob');
    for (const input of Object.values(ESCAPE_CORPUS)) {
      send(1, { type: 'say', text: `x${input}` });
      const got = out.take(2)[0];
      expect(got?.type).toBe('message');
      if (got?.type === 'message') expect(got.text).not.toMatch(FORBIDDEN);
    }
  });

  it('refuses empty and over-long text with their own codes', () => {
    send(1, { type: 'say', text: '\x1b[2J \u200b' });
    send(1, { type: 'say', text: '😀'.repeat(MAX_TEXT_CHARS + 1) });
    expect(out.take(1).map((m) => m.type === 'error' && m.code)).toEqual(['empty_text', 'text_too_long']);
    send(1, { type: 'say', text: '😀'.repeat(MAX_TEXT_CHARS) });
    expect(out.take(2)).toHaveLength(1);
  });

  it('lists the users sorted, with the ref', () => {
    send(3, { type: 'list', ref: 'L' });
    expect(out.take(3)).toEqual([{ type: 'users', users: ['alice', 'bob', 'carol'], ref: 'L' }]);
  });
});

describe('renames', () => {
  beforeEach(() => {
    join(1, 'alice');
    join(2, 'bob');
  });

  it('tells everyone, and the new name is the one whispers reach', () => {
    send(2, { type: 'nick', name: 'robert', ref: 'n' });
    expect(out.take(1)).toEqual([{ type: 'renamed', old: 'bob', new: 'robert', time: now }]);
    expect(out.take(2)).toEqual([{ type: 'renamed', old: 'bob', new: 'robert', time: now, ref: 'n' }]);
    send(1, { type: 'whisper', to: 'bob', text: 'x' });
    expect(out.take(1)[0]).toMatchObject({ code: 'no_such_user' });
    send(1, { type: 'whisper', to: 'robert', text: 'x' });
    expect(out.take(2)[0]).toMatchObject({ type: 'whisper', to: 'robert' });
    expect(hub.users()).toEqual(['alice', 'robert']);
  });

  it('refuses a taken or invalid name and keeps the old one', () => {
    send(2, { type: 'nick', name: 'Alice' });
    send(2, { type: 'nick', name: 'no way' });
    expect(out.take(2).map((m) => m.type === 'error' && m.code)).toEqual(['name_taken', 'invalid_name']);
    expect(out.take(1)).toEqual([]);
    expect(hub.users()).toEqual(['alice', 'bob']);
  });

  it('allows changing only the case of your own name', () => {
    send(2, { type: 'nick', name: 'Bob' });
    expect(out.take(1)).toEqual([expect.objectContaining({ type: 'renamed', old: 'bob', new: 'Bob' })]);
  });

  it('frees the old name for someone else', () => {
    send(2, { type: 'nick', name: 'robert' });
    hub.connect(3, '10.0.0.3', 1);
    send(3, { type: 'hello', name: 'bob', version: 1 });
    expect(out.take(3)[0]).toMatchObject({ type: 'welcome', name: 'bob' });
  });
});

describe('leaving', () => {
  beforeEach(() => {
    join(1, 'alice');
    join(2, 'bob');
  });

  it('announces a quit with its (sanitised) reason and closes the connection', () => {
    send(2, { type: 'quit', reason: 'bye\x1b[2J' });
    expect(out.take(1)).toEqual([{ type: 'left', name: 'bob', reason: 'quit', message: 'bye', time: now }]);
    expect(out.closed.has(2)).toBe(true);
    expect(hub.users()).toEqual(['alice']);
  });

  it('announces a lost connection exactly once, however often the host reports it', () => {
    hub.disconnect(2, 'lost');
    hub.disconnect(2, 'lost');
    hub.disconnect(2, 'kicked', 'send queue exceeded');
    expect(out.take(1)).toEqual([{ type: 'left', name: 'bob', reason: 'lost', time: now }]);
  });

  it('pings a silent client, and drops it with one timeout notice if it stays silent', () => {
    setup({ pingIntervalMs: 30_000, pingTimeoutMs: 30_000 });
    join(1, 'alice');
    join(2, 'bob');
    now += 30_000;
    send(1, { type: 'pong', token: 'x' }); // alice answers, bob is frozen
    hub.tick();
    expect(out.take(2)).toEqual([{ type: 'ping', token: String(now) }]);
    now += 29_999;
    hub.tick();
    expect(out.take(1).filter((m) => m.type !== 'ping')).toEqual([]); // pinged again (up to PING_SPREAD_MS early), not dropped
    now += 1;
    hub.tick();
    hub.tick();
    expect(out.take(1).filter((m) => m.type !== 'ping')).toEqual([{ type: 'left', name: 'bob', reason: 'timeout', time: now }]);
    expect(out.closed.has(2)).toBe(true);
    expect(out.closed.has(1)).toBe(false);
  });

  it('pings clients that came together and fell silent together over several ticks, each by the ping interval', () => {
    // A join storm's listeners: pinged all in one tick, their pongs came back in one burst, a stall for
    // every room message in flight (issue 15, target 3).
    setup({ pingIntervalMs: 30_000, pingTimeoutMs: 30_000, maxConnectionsPerIp: 0, ratePerSecond: 0 });
    const ids = Array.from({ length: 300 }, (_, i) => i + 1);
    for (const id of ids) join(id, `u${id}`);
    const start = now;
    const perTick: number[] = [];
    const pinged = new Set<number>();
    while (now - start < 30_000) {
      now += 1000;
      hub.tick();
      let pings = 0;
      for (const id of ids) {
        if (out.take(id).some((m) => m.type === 'ping')) {
          pings++;
          pinged.add(id);
        }
      }
      perTick.push(pings);
    }
    expect(pinged.size).toBe(300); // every one by 30 s of silence (PROTOCOL.md §8), none later
    expect(Math.max(...perTick)).toBeLessThanOrEqual(300 / 5);
    expect(perTick.filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
  });

  it('answers a ping with the same token, before registration too', () => {
    hub.connect(9, '10.0.0.9', 1);
    send(9, { type: 'ping', token: 'abc' });
    expect(out.take(9)).toEqual([{ type: 'pong', token: 'abc' }]);
  });

  it('tells everyone the server is going down and closes every connection', () => {
    hub.shutdown('maintenance');
    expect(out.take(1)).toEqual([{ type: 'shutdown', reason: 'maintenance' }]);
    expect(out.take(2)).toEqual([{ type: 'shutdown', reason: 'maintenance' }]);
    expect([...out.closed].sort()).toEqual([1, 2]);
  });
});

describe('abuse', () => {
  it('rate-limits a flood with error frames, keeps the connection, and recovers', () => {
    setup({ rateBurst: 10, ratePerSecond: 5 });
    join(1, 'alice');
    join(2, 'bob');
    for (let i = 0; i < 100; i++) send(1, { type: 'say', text: `m${i}`, ref: String(i) });
    // The hello took one token of the burst of ten: nine messages pass, ninety-one are refused.
    const errors = out.take(1).filter((m) => m.type === 'error');
    expect(errors).toHaveLength(91);
    expect(errors[0]).toMatchObject({ code: 'rate_limited', ref: '9' });
    expect(out.take(2)).toHaveLength(9);
    expect(out.closed.has(1)).toBe(false);
    now += 1000; // five more tokens
    for (let i = 0; i < 6; i++) send(1, { type: 'say', text: 'again' });
    expect(out.take(2)).toHaveLength(5);
    expect(out.take(1).filter((m) => m.type === 'error')).toHaveLength(1);
    send(2, { type: 'say', text: 'bob is unaffected' });
    expect(out.take(1)).toEqual([expect.objectContaining({ type: 'message', from: 'bob' })]);
  });

  it('answers garbage with specific errors and leaves everyone else alone', () => {
    join(1, 'alice');
    join(2, 'bob');
    for (const line of ['{', '[]', '{"type":"nope"}', '{"type":"say"}', '{"type":"say","text":{"$gt":""}}']) hub.receive(1, line);
    hub.frameError(1, 'frame_too_large');
    hub.frameError(1, 'invalid_utf8');
    expect(out.take(1).map((m) => m.type === 'error' && m.code)).toEqual([
      'malformed_json',
      'invalid_message',
      'unknown_type',
      'invalid_message',
      'invalid_message',
      'frame_too_large',
      'invalid_utf8',
    ]);
    expect(out.take(2)).toEqual([]);
    expect(hub.users()).toEqual(['alice', 'bob']);
  });

  it('caps connections per IP with a clear refusal', () => {
    setup({ maxConnectionsPerIp: 2 });
    expect(hub.connect(1, '10.0.0.1', 1)).toBe(true);
    expect(hub.connect(2, '10.0.0.1', 2)).toBe(true);
    expect(hub.connect(3, '10.0.0.1', 3)).toBe(false);
    expect(out.take(3)).toEqual([expect.objectContaining({ type: 'error', code: 'too_many_connections' })]);
    expect(out.closed.has(3)).toBe(true);
    expect(hub.connect(4, '10.0.0.2', 1)).toBe(true);
    hub.disconnect(1, 'lost');
    expect(hub.connect(5, '10.0.0.1', 5)).toBe(true);
  });
});

describe('resent requests', () => {
  beforeEach(() => {
    join(1, 'alice');
    join(2, 'bob');
  });

  it('answers a say resent with the same ref and text with the original echo, and relays it once', () => {
    send(1, { type: 'say', text: 'hello', ref: 'x-1' });
    const first = out.take(1)[0];
    send(1, { type: 'say', text: 'hello', ref: 'x-1' });
    expect(out.take(1)).toEqual([first]);
    expect(out.take(2)).toHaveLength(1);
  });

  it('relays a reused ref with other text, or another type, as a new request', () => {
    send(1, { type: 'say', text: 'one', ref: '1' });
    send(1, { type: 'say', text: 'two', ref: '1' });
    send(1, { type: 'whisper', to: 'bob', text: 'two', ref: '1' });
    expect(out.take(2).map((m) => m.type === 'message' || m.type === 'whisper' ? `${m.type}:${m.text}` : m.type)).toEqual(['message:one', 'message:two', 'whisper:two']);
  });

  it('remembers a whisper with its recipient', () => {
    send(1, { type: 'whisper', to: 'bob', text: 'psst', ref: 'w' });
    send(1, { type: 'whisper', to: 'BOB', text: 'psst', ref: 'w' });
    expect(out.take(2)).toHaveLength(1);
    expect(out.take(1).map((m) => m.type === 'whisper' && m.to)).toEqual(['bob', 'bob']);
  });
});

describe('the sorted room', () => {
  it('stays equal to a fresh sort through 2,000 random joins, leaves and renames', () => {
    setup({ ratePerSecond: 0 });
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const here = new Map<number, string>();
    for (let step = 0; step < 2000; step++) {
      const id = 1 + rand(60);
      const name = ['ann', 'Bob', 'bob_', 'cy', 'Dee', 'eve', 'Zed', 'a.b', 'A-c'][rand(9)]! + rand(20);
      const taken = (n: string, by?: number) => [...here].some(([k, v]) => k !== by && v.toLowerCase() === n.toLowerCase());
      if (!here.has(id)) {
        hub.connect(id, `10.1.${id}.1`, 1);
        send(id, { type: 'hello', name, version: 1 });
        if (taken(name)) hub.disconnect(id, 'lost');
        else here.set(id, name);
      } else if (rand(3) === 0) {
        hub.disconnect(id, 'lost');
        here.delete(id);
      } else {
        const before = here.get(id)!;
        send(id, { type: 'nick', name });
        if (name !== before && !taken(name, id)) here.set(id, name);
      }
      const expected = [...here.values()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : a < b ? -1 : 1));
      expect(hub.users()).toEqual(expected);
    }
  });
});
