import { afterEach } from 'vitest';
import type { RunningServer } from '../../src/server/host.js';
import type { Store } from '../../src/server/store.js';
import type { RawClient } from './raw-client.js';

/** Lists a test file fills with what it opens; after each test the clients, servers and stores are closed, in that order. */
export function closedAfterEach(): { servers: RunningServer[]; stores: Store[]; clients: RawClient[] } {
  const open = { servers: [] as RunningServer[], stores: [] as Store[], clients: [] as RawClient[] };
  afterEach(async () => {
    for (const c of open.clients.splice(0)) c.close();
    for (const s of open.servers.splice(0)) await s.close();
    for (const s of open.stores.splice(0)) s.close();
  });
  return open;
}
