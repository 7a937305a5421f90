import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SKELETON_SQL } from '../../src/server/store.js';
import { nameSkeleton } from '../../src/wire/names.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { closedAfterEach } from '../helpers/cleanup.js';
import { RawClient } from '../helpers/raw-client.js';
import { addUser, startTestServer, tempDb, type TestServer } from '../server/helpers.js';

// Issue 10, item 13: "ASCII look-alike names: with `alice` present, `aIice` (capital i) and `a1ice` are
// accepted." Uniqueness now goes by nameSkeleton: case, I/l/1, O/0 and rn/m fold together, among the
// people in the room and against registered names.

const { clients } = closedAfterEach();
const running: TestServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function hello(port: number, name: string, extra: object = {}): Promise<ServerMessage> {
  const c = await RawClient.connect(port);
  clients.push(c);
  c.send({ type: 'hello', name, version: 1, ref: 'h', ...extra });
  return c.next((m) => m.type === 'welcome' || (m.type === 'error' && m.ref === 'h'));
}

const outcome = (m: ServerMessage) => (m.type === 'error' ? m.code : m.type);

describe('look-alike names', () => {
  it('folds case, I/l/1, O/0 and rn/m, and nothing else', () => {
    for (const n of ['aIice', 'a1ice', 'ALICE', 'aLiCe', 'AL1CE']) expect(nameSkeleton(n)).toBe(nameSkeleton('alice'));
    expect(nameSkeleton('M0RN')).toBe(nameSkeleton('mom'));
    expect(nameSkeleton('b0b')).toBe(nameSkeleton('BOB'));
    for (const n of ['alicia', 'a_lice', 'bob', 'vvalt', 'clara']) expect(nameSkeleton(n)).not.toBe(nameSkeleton('alice'));
    expect(nameSkeleton('walt')).not.toBe(nameSkeleton('vvalt'));
  });

  it("the database's migration folds exactly as the server does", () => {
    const db = new Database(':memory:');
    const sql = db.prepare<[string], { s: string }>(`SELECT ${SKELETON_SQL('?')} AS s`);
    for (const n of ['aIice', 'a1ice', 'M0RN', 'rnrn', 'Il1O0', 'x_y.z-1', 'RNm', 'bob']) expect(sql.get(n)!.s).toBe(nameSkeleton(n));
    db.close();
  });

  it('with alice in the room, aIice, a1ice and AL1CE are refused with name_confusable (ALICE: name_taken); alicia joins', async () => {
    const s = await startTestServer(tempDb(), { mode: 'off' });
    running.push(s);
    expect(outcome(await hello(s.port, 'alice'))).toBe('welcome');
    const got = Object.fromEntries(await Promise.all(['aIice', 'a1ice', 'AL1CE', 'ALICE', 'alicia'].map(async (n) => [n, outcome(await hello(s.port, n))] as const)));
    expect(got).toEqual({ aIice: 'name_confusable', a1ice: 'name_confusable', AL1CE: 'name_confusable', ALICE: 'name_taken', alicia: 'welcome' });
  });

  it('renaming to a look-alike of someone present is refused too, and the error names the look-alike', async () => {
    const s = await startTestServer(tempDb(), { mode: 'off' });
    running.push(s);
    await hello(s.port, 'mom');
    const c = await RawClient.join(s.port, 'carol');
    clients.push(c);
    c.send({ type: 'nick', name: 'rnorn', ref: 'n' });
    const err = await c.next((m) => m.type === 'error' && m.ref === 'n');
    expect(err).toMatchObject({ code: 'name_confusable', name: 'rnorn' });
    expect((err as { message: string }).message).toContain('mom');
  });

  it('a registered name, offline, cannot be taken by a look-alike guest, nor registered again as one', async () => {
    const s = await startTestServer(tempDb(), { mode: 'optional' });
    running.push(s);
    await addUser(s.store, 'bob0', 'bobs password');
    expect(outcome(await hello(s.port, 'BOBO'))).toBe('name_confusable');
    expect(outcome(await hello(s.port, 'b0b0', { password: 'whatever1' }))).toBe('login_failed');
    // A guest under an unrelated name tries to register a look-alike by renaming first: the rename is refused.
    const g = await RawClient.join(s.port, 'guest');
    clients.push(g);
    g.send({ type: 'nick', name: 'B0BO', ref: 'n' });
    expect(await g.next((m) => m.type === 'error' && m.ref === 'n')).toMatchObject({ code: 'name_confusable' });
    // A guest already in the room when a look-alike was registered cannot register its own name.
    const carl = await RawClient.join(s.port, 'carl');
    clients.push(carl);
    await addUser(s.store, 'car1', 'car1 password');
    carl.send({ type: 'register', password: 'carls password', ref: 'r' });
    expect(await carl.next((m) => m.type === 'error' && m.ref === 'r')).toMatchObject({ code: 'name_confusable' });
  });
});
