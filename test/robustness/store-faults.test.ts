import { afterEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../src/server/accounts.js';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { RawClient } from '../helpers/raw-client.js';
import { addUser, FAST_SCRYPT, tempDb } from '../server/helpers.js';

// The database failing to READ (a disk error, the file damaged under the running server) while users look
// names up: hello (is this name registered?), a resumed login, /nick, a whisper to someone offline, /block.
// Each requester gets one server_error reply; the room goes on; the server never crashes; once the disk
// is back, everything works again. Writes failing are covered by the hub's `persist` (test/server).

/** A real store whose reads throw while `failing` is set, as better-sqlite3 does on SQLITE_IOERR. */
class FailingStore extends Store {
  failing = false;
  reads = 0;
  private check(): void {
    if (!this.failing) return;
    this.reads++;
    throw new Error('disk I/O error');
  }
  override user(key: string) {
    this.check();
    return super.user(key);
  }
  override accountsLike(name: string) {
    this.check();
    return super.accountsLike(name);
  }
  override sessionUser(token: string, now: number) {
    this.check();
    return super.sessionUser(token, now);
  }
  override blocks(blockerKey: string) {
    this.check();
    return super.blocks(blockerKey);
  }
  override offlineFor(toKey: string) {
    this.check();
    return super.offlineFor(toKey);
  }
  override offlineCount(toKey: string) {
    this.check();
    return super.offlineCount(toKey);
  }
  override recentHistory(room: string, limit: number, after?: number) {
    this.check();
    return super.recentHistory(room, limit, after);
  }
  override seenSince(time: number) {
    this.check();
    return super.seenSince(time);
  }
}

let server: RunningServer | undefined;
let store: FailingStore | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  store?.close();
});

type Err = Extract<ServerMessage, { type: 'error' }>;
const isError = (ref: string) => (m: ServerMessage) => m.type === 'error' && m.ref === ref;

describe('the database failing to read', () => {
  it('answers each lookup with server_error (figure: 7 lookups, 7 server_error, 0 crashes) and the room goes on', async () => {
    store = new FailingStore(tempDb());
    await addUser(store, 'alice', 'alice password');
    await addUser(store, 'bob', 'bob password');
    const accounts = new Accounts(store, new PasswordHasher(FAST_SCRYPT), { mode: 'optional', blockDurationS: 60 });
    server = await startServer({ port: 0, ratePerSecond: 0, store, accounts });
    const carol = await RawClient.join(server.port, 'carol');
    const dave = await RawClient.join(server.port, 'dave');
    clients.push(carol, dave);

    store.failing = true;
    const asks: Array<[RawClient, object]> = [];
    for (const hello of [{ name: 'alice' }, { name: 'alice', token: 'A'.repeat(43) }, { name: 'alice', password: 'alice password' }, { name: 'erin' }]) {
      const c = await RawClient.connect(server.port);
      clients.push(c);
      asks.push([c, { type: 'hello', version: 1, ref: 'r', ...hello }]);
    }
    asks.push([carol, { type: 'nick', name: 'carol2', ref: 'r' }]);
    asks.push([carol, { type: 'whisper', to: 'bob', text: 'are you there?', ref: 'r' }]);
    asks.push([dave, { type: 'block', name: 'bob', ref: 'r' }]);
    for (const [c, msg] of asks) c.send(msg);
    const replies: Err[] = [];
    for (const [c] of asks) replies.push((await c.next(isError('r'))) as Err);
    console.log(
      `database reads failing: ${asks.length} lookups, ${replies.filter((r) => r.code === 'server_error').length} server_error replies, ` +
        `${store.reads} failed reads; server still answering`,
    );
    expect(replies.map((r) => [r.code, r.re])).toEqual([
      ['server_error', 'hello'],
      ['server_error', 'hello'],
      ['server_error', 'hello'],
      ['server_error', 'hello'],
      ['server_error', 'nick'],
      ['server_error', 'whisper'],
      ['server_error', 'block'],
    ]);
    for (const r of replies) expect(r.message).toMatch(/try again later$/);

    // The room goes on: a message still reaches the others, and carol kept her name.
    carol.send({ type: 'say', text: 'still here' });
    expect(await dave.next((m) => m.type === 'message')).toMatchObject({ from: 'carol', text: 'still here' });

    // The disk is back: the same requests now work.
    store.failing = false;
    const [alice] = asks[2]!;
    alice.send({ type: 'hello', name: 'alice', version: 1, password: 'alice password', ref: 'again' });
    expect(await alice.next((m) => m.type === 'welcome')).toMatchObject({ name: 'alice', account: true });
    dave.send({ type: 'block', name: 'bob', ref: 'again' });
    expect(await dave.next((m) => m.type === 'blocks')).toMatchObject({ names: ['bob'] });
  });
});
