import { afterEach, describe, expect, it } from 'vitest';
import { MAX_OFFLINE_BYTES_PER_SENDER, MAX_OFFLINE_PER_USER, MAX_REGISTRATIONS_PER_SOURCE_PER_DAY } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';
import { addUser, startTestServer, tempDb, type TestServer } from '../server/helpers.js';

// Issue 10, item 8: "The database grows without bound: 30 accounts registered in 13 s from one host,
// mailboxes filled, about 19 MB/min; a full disk then refuses every room message." Stored whispers now
// have a quota per sender (by name and by source address) and in total, registrations per source per
// day are capped, and a disk low on space refuses new stored data with a clear error while the room
// goes on talking.

const running: TestServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of running.splice(0)) await s.stop();
});

async function join(port: number, name: string, from?: string): Promise<RawClient> {
  const c = await RawClient.connect(port, from);
  clients.push(c);
  c.send({ type: 'hello', name, version: 1 });
  await c.next((m) => m.type === 'welcome');
  return c;
}

/** The reply to the request tagged `ref`. */
const hasRef = (ref: string) => (m: ServerMessage) => 'ref' in m && m.ref === ref;

const big = '😀'.repeat(1990); // 7,960 bytes of UTF-8, under the 2,000-character cap

describe('bounded storage', () => {
  it(`stored whispers: one sender is stopped at ${MAX_OFFLINE_BYTES_PER_SENDER / 1024} KiB across mailboxes, and renaming does not reset it`, async () => {
    const s = await startTestServer(tempDb());
    running.push(s);
    for (let i = 0; i < 3; i++) await addUser(s.store, `box${i}`, 'box password');
    const mallory = await join(s.port, 'mallory', '127.0.0.7');
    const replies: string[] = [];
    const perWhisper = Buffer.byteLength(big);
    const fits = Math.floor(MAX_OFFLINE_BYTES_PER_SENDER / perWhisper);
    for (let i = 0; i < fits + 3; i++) {
      mallory.send({ type: 'whisper', to: `box${Math.floor(i / MAX_OFFLINE_PER_USER)}`, text: big, ref: `w${i}` });
      const r = await mallory.next(hasRef(`w${i}`));
      replies.push(r.type === 'error' ? r.code : r.type);
    }
    expect(replies.slice(0, fits)).toEqual(Array(fits).fill('whisper'));
    expect(replies.slice(fits)).toEqual(['quota_exceeded', 'quota_exceeded', 'quota_exceeded']);
    mallory.send({ type: 'nick', name: 'mallory2', ref: 'n' });
    await mallory.next((m) => m.type === 'renamed');
    mallory.send({ type: 'whisper', to: 'box2', text: big, ref: 'again' });
    expect(await mallory.next(hasRef('again'))).toMatchObject({ type: 'error', code: 'quota_exceeded' });
    const stored = s.store.offlineBytesTotal();
    console.log(`one sender: ${fits} whispers of ${perWhisper} B stored (${stored} B), then ${replies.length - fits + 1} refused with quota_exceeded`);
    expect(stored).toBeLessThanOrEqual(MAX_OFFLINE_BYTES_PER_SENDER);
    // Another sender elsewhere is not affected.
    const alice = await join(s.port, 'alice', '127.0.0.8');
    alice.send({ type: 'whisper', to: 'box2', text: 'hello', ref: 'a' });
    expect(await alice.next(hasRef('a'))).toMatchObject({ type: 'whisper', stored: true });
  }, 30_000);

  it(`registrations: at most ${MAX_REGISTRATIONS_PER_SOURCE_PER_DAY} per source address per day`, async () => {
    const s = await startTestServer(tempDb());
    running.push(s);
    const codes: string[] = [];
    for (let i = 0; i < MAX_REGISTRATIONS_PER_SOURCE_PER_DAY + 2; i++) {
      const c = await join(s.port, `acct${i}`, '127.0.0.9');
      c.send({ type: 'register', password: 'a good password', ref: 'r' });
      const r = await c.next((m) => m.type === 'registered' || (m.type === 'error' && m.ref === 'r'));
      codes.push(r.type === 'error' ? r.code : r.type);
      c.close();
    }
    expect(codes).toEqual([...Array(MAX_REGISTRATIONS_PER_SOURCE_PER_DAY).fill('registered'), 'slow_down', 'slow_down']);
    // From elsewhere, registering still works.
    const other = await join(s.port, 'elsewhere', '127.0.0.10');
    other.send({ type: 'register', password: 'a good password', ref: 'r' });
    expect(await other.next((m) => m.type === 'registered' || m.type === 'error')).toMatchObject({ type: 'registered' });
  }, 30_000);

  it('a disk low on space: offline whispers and registrations are refused with disk_full, and the room still talks', async () => {
    const s = await startTestServer(tempDb(), { historySize: 50 });
    running.push(s);
    await addUser(s.store, 'bob', 'bobs password');
    s.store.minFreeBytes = Number.MAX_SAFE_INTEGER; // as if the disk were full
    const alice = await join(s.port, 'alice');
    const carol = await join(s.port, 'carol');
    alice.send({ type: 'whisper', to: 'bob', text: 'are you there?', ref: 'w' });
    const refused = await alice.next(hasRef('w'));
    expect(refused).toMatchObject({ type: 'error', code: 'disk_full' });
    expect((refused as { message: string }).message).toMatch(/^the server is low on disk space: /);
    alice.send({ type: 'register', password: 'alices password', ref: 'r' });
    expect(await alice.next(hasRef('r'))).toMatchObject({ type: 'error', code: 'disk_full' });
    alice.send({ type: 'say', text: 'the room goes on', ref: 's' });
    expect(await carol.next((m: ServerMessage) => m.type === 'message')).toMatchObject({ from: 'alice', text: 'the room goes on' });
    expect(await alice.next(hasRef('s'))).toMatchObject({ type: 'message' });
    expect(s.store.offlineCount('bob')).toBe(0);
  });
});
