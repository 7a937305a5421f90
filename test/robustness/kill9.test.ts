import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { serverProcess } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { FAST_SCRYPT, tempDb } from '../server/helpers.js';

// 11. kill -9 of the real server (dist/) while four kinds of write are in flight, round after round on one
//     database file: room messages (kept as history), whispers to an offline user (stored), registrations
//     and blocks. After every round SQLite's integrity check passes and every write the server acknowledged
//     is in the file. `npm test` runs 10 rounds; the long run (`npm run soak`) sets PARLEY_KILL_ROUNDS=50.

const ROUNDS = Number(process.env.PARLEY_KILL_ROUNDS ?? 10);
/** Registered names the blockers block, one after another. */
const TARGETS = 60;

interface Acked {
  say: Set<string>;
  whisper: Set<string>;
  registered: Set<string>;
  /** `blocker key/blocked key` */
  blocks: Set<string>;
}

type Reply = (m: ServerMessage) => boolean;
const answers =
  (ref: string): Reply =>
  (m) =>
    'ref' in m && m.ref === ref;

/**
 * Send requests one after another, `gapMs` apart, until the connection dies or `max` were sent; `ack` gets
 * each reply carrying the request's ref. Returns how many were still unanswered when the connection closed.
 */
async function pump(c: RawClient, max: number, gapMs: number, request: (i: number, ref: string) => object, ack: (reply: ServerMessage, i: number) => void): Promise<number> {
  for (let i = 0; i < max; i++) {
    const ref = `q${i}`;
    c.send(request(i, ref));
    let reply: ServerMessage;
    try {
      reply = await c.next(answers(ref), 5000);
    } catch {
      return 1; // killed while this one was in flight
    }
    ack(reply, i);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  return 0;
}

async function round(db: string, r: number, acked: Acked): Promise<{ inFlight: number; killedAfterMs: number }> {
  const server = await serverProcess(['--db', db, '--no-rate-limit', '--max-per-ip', '0', '--history', '1000', '--scrypt-n', '1024']);
  const port = server.port;
  const [sayer, whisperer, blocker] = await Promise.all([RawClient.join(port, `say${r}`), RawClient.join(port, `whisper${r}`), RawClient.connect(port)]);
  blocker.send({ type: 'hello', name: `blocker${r}`, version: 1, password: 'blocker password' });
  await blocker.next((m) => m.type === 'welcome');

  const says = pump(sayer, 900, 1, (i, ref) => ({ type: 'say', text: `say ${r}/${i}`, ref }), (m) => {
    if (m.type === 'message') acked.say.add(m.text);
  });
  // Below MAX_OFFLINE_PER_USER (100): a full mailbox would refuse, not lose.
  const whispers = pump(whisperer, 95, 2, (i, ref) => ({ type: 'whisper', to: `mailbox${r}`, text: `whisper ${r}/${i}`, ref }), (m) => {
    if (m.type === 'whisper' && m.stored === true) acked.whisper.add(m.text);
  });
  const blocks = pump(blocker, TARGETS, 2, (i, ref) => ({ type: 'block', name: `target${i}`, ref }), (m, i) => {
    if (m.type === 'blocks' && m.names.includes(`target${i}`)) acked.blocks.add(`blocker${r}/target${i}`);
  });
  // Registrations: a guest joins and registers its name; one at a time, each costs a (cheap) scrypt hash.
  const registrations = (async () => {
    for (let i = 0; ; i++) {
      let c: RawClient;
      try {
        c = await RawClient.join(port, `reg${r}x${i}`);
      } catch {
        return 0;
      }
      const n = await pump(c, 1, 0, (_, ref) => ({ type: 'register', password: 'a good password', ref }), (m) => {
        if (m.type === 'registered') acked.registered.add(m.name);
      });
      c.close();
      if (n > 0) return n;
    }
  })();

  const killedAfterMs = 80 + ((r * 37) % 200); // spread the kill over the writing, the same every run
  await new Promise((w) => setTimeout(w, killedAfterMs));
  server.child.kill('SIGKILL');
  await server.exit;
  for (const c of [sayer, whisperer, blocker]) c.close();
  const inFlight = (await Promise.all([says, whispers, blocks, registrations])).reduce((a, b) => a + b, 0);
  return { inFlight, killedAfterMs };
}

describe('kill -9 during writes', () => {
  it(`${ROUNDS} rounds: integrity_check ok and 0 acknowledged writes lost (history, offline whispers, registrations, blocks)`, async () => {
    const db = tempDb();
    {
      const seed = new Store(db);
      const hash = await new PasswordHasher(FAST_SCRYPT).hash('blocker password');
      const now = Date.now();
      for (let r = 0; r < ROUNDS; r++) {
        seed.addUser(`mailbox${r}`, `mailbox${r}`, hash, now); // one per round keeps each below its cap
        seed.addUser(`blocker${r}`, `blocker${r}`, hash, now); // and below MAX_BLOCKS
      }
      for (let i = 0; i < TARGETS; i++) seed.addUser(`target${i}`, `target${i}`, hash, now);
      seed.close();
    }
    const acked: Acked = { say: new Set(), whisper: new Set(), registered: new Set(), blocks: new Set() };
    const lost = { say: 0, whisper: 0, registered: 0, blocks: 0 };
    let inFlightRounds = 0;
    const t0 = Date.now();
    for (let r = 0; r < ROUNDS; r++) {
      const roundSays = new Set<string>();
      const before = acked.say.size;
      const { inFlight } = await round(db, r, acked);
      if (inFlight > 0) inFlightRounds++;
      for (const t of acked.say) if (t.startsWith(`say ${r}/`)) roundSays.add(t);
      expect(acked.say.size - before).toBe(roundSays.size);

      const store = new Store(db);
      try {
        expect(store.integrityCheck(), `round ${r}`).toBe('ok');
        // History keeps the newest 1000 (--history): this round's messages, checked before the next run prunes.
        const history = new Set(store.recentHistory('#lobby', 1000).map((m) => m.text));
        lost.say += [...roundSays].filter((t) => !history.has(t)).length;
        const mail = new Set(store.offlineFor(`mailbox${r}`).map((w) => w.text));
        lost.whisper += [...acked.whisper].filter((t) => t.startsWith(`whisper ${r}/`) && !mail.has(t)).length;
        lost.registered += [...acked.registered].filter((name) => store.user(name.toLowerCase())?.name !== name).length;
        const blocks = new Set(Array.from({ length: r + 1 }, (_, b) => store.blocks(`blocker${b}`).map((x) => `blocker${b}/${x.key}`)).flat());
        lost.blocks += [...acked.blocks].filter((k) => !blocks.has(k)).length;
      } finally {
        store.close();
      }
      expect(lost, `round ${r}`).toEqual({ say: 0, whisper: 0, registered: 0, blocks: 0 });
    }
    console.log(
      `kill -9: ${ROUNDS} rounds in ${((Date.now() - t0) / 1000).toFixed(1)} s, killed with requests in flight in ${inFlightRounds}; ` +
        `integrity_check ok ${ROUNDS}/${ROUNDS}; acknowledged and found: ${acked.say.size} messages, ${acked.whisper.size} offline whispers, ` +
        `${acked.registered.size} registrations, ${acked.blocks.size} blocks; lost ${JSON.stringify(lost)}`,
    );
    // The rounds really wrote under the kill.
    expect(inFlightRounds).toBeGreaterThan(ROUNDS / 2);
    expect(acked.say.size).toBeGreaterThan(ROUNDS * 10);
    expect(acked.whisper.size).toBeGreaterThan(ROUNDS * 5);
    expect(acked.registered.size).toBeGreaterThan(ROUNDS);
    expect(acked.blocks.size).toBeGreaterThan(ROUNDS * 5);
  }, 120_000);
});

