import type * as Crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Accounts } from '../../src/server/accounts.js';
import { startServer } from '../../src/server/host.js';
import { PasswordHasher } from '../../src/server/passwords.js';
import { Store } from '../../src/server/store.js';
import { MAX_HASHES_PER_SOURCE, PASSWORD_ATTEMPT_BURST } from '../../src/wire/limits.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { closedAfterEach } from '../helpers/cleanup.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDb } from '../server/helpers.js';

// Issue 10, item 5: "Password hashing can be exhausted." 48 connections from 3 addresses looping `hello`
// with a password filled the hash queue, and a real user's login failed 3 times out of 3 (`busy`). Now a
// source holds at most MAX_HASHES_PER_SOURCE hashes, waiting hashes are served round-robin across sources,
// and each source has a budget of failed attempts: the storm barely reaches scrypt and the owner gets in.
// How long the owner's login takes under the storm is measured by `npm run bench:abuse`, not here.

/** A real cost, so hashes overlap as they would in production (16 MiB, tens of ms each). */
const STORM_SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

/** scrypt runs that really happened (a refused attempt never gets here), and how many overlapped. */
const runs = vi.hoisted(() => ({ total: 0, now: 0, most: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof Crypto>();
  const scrypt = (...args: unknown[]) => {
    runs.total++;
    runs.most = Math.max(runs.most, ++runs.now);
    const done = args[args.length - 1] as (...r: unknown[]) => void;
    (real.scrypt as (...a: unknown[]) => void)(...args.slice(0, -1), (...r: unknown[]) => {
      runs.now--;
      done(...r);
    });
  };
  return { ...real, default: { ...real, scrypt }, scrypt };
});

const { servers, stores, clients } = closedAfterEach();

describe('password hashing under a storm from three addresses', () => {
  it('48 connections from 127.0.0.2-4 looping hello with a password: the owner from 127.0.0.5 gets in 3 times out of 3', async () => {
    const store = new Store(tempDb());
    stores.push(store);
    const hasher = new PasswordHasher(STORM_SCRYPT);
    store.addUser('alice', 'alice', await hasher.hash('alice password'), Date.now());
    runs.total = 0;
    const server = await startServer({ port: 0, store, accounts: new Accounts(store, hasher, { mode: 'optional', blockDurationS: 60 }) });
    servers.push(server);

    const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const stormers = await Promise.all(
      Array.from({ length: 48 }, async (_, i) => {
        const c = await RawClient.connect(server.port, sources[i % 3]);
        clients.push(c);
        return c;
      }),
    );
    const replies: Record<string, number> = {};
    let storming = true;
    const storm = Promise.all(
      stormers.map(async (c, i) => {
        for (let k = 0; storming && !c.isClosed; k++) {
          const ref = `s${i}-${k}`;
          c.send({ type: 'hello', name: `victim${i}x${k}`, version: 1, password: `guess ${i} ${k}`, ref });
          const r = await c.next((m) => m.type === 'error' && m.ref === ref, 10_000).catch(() => undefined);
          if (!r) break;
          const code = r.type === 'error' ? r.code : r.type;
          replies[code] = (replies[code] ?? 0) + 1;
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 300)); // the storm is on
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const owner = await RawClient.connect(server.port, '127.0.0.5');
      clients.push(owner);
      owner.send({ type: 'hello', name: 'alice', version: 1, password: 'alice password', ref: `o${i}` });
      const r = await owner.next((m) => m.type === 'welcome' || (m.type === 'error' && m.ref === `o${i}`), 10_000);
      outcomes.push(r.type === 'error' ? r.code : r.type);
      owner.close();
      await new Promise((w) => setTimeout(w, 300));
    }
    storming = false;
    await storm;
    console.log(
      `hash storm: owner ${outcomes.join(',')}; storm replies ${JSON.stringify(replies)}; scrypt runs ${runs.total}, at most ${runs.most} at once`,
    );
    expect(outcomes).toEqual(['welcome', 'welcome', 'welcome']);
    // One hash per storming source at a time, plus the owner's.
    expect(runs.most).toBeLessThanOrEqual(3 * MAX_HASHES_PER_SOURCE + 1);
    // Each storming source spends its failure budget, then is refused before hashing.
    expect(runs.total).toBeLessThanOrEqual(3 * (PASSWORD_ATTEMPT_BURST + 1) + 3);
    expect(replies.slow_down ?? 0).toBeGreaterThan(0);
  }, 40_000);
});
