import { afterEach } from 'vitest';
import { startTestServer, tempDb, Wire, type TestServer } from '../server/helpers.js';

// A parley server with its IRC gateway for the tests of one file: each test starts its own (`start`),
// opens IRC and parley clients on it, and after each test every client it kept in `open` is closed and the
// server stopped.

/** What a test of the gateway uses; `server` is the one `start` made (undefined before). */
export interface IrcGatewayFixture {
  readonly server: TestServer | undefined;
  /** Clients to close after the test (IRC or parley: anything with close()). */
  readonly open: Array<{ close(): void }>;
  /**
   * A server on a fresh database, ports 0, no history replay and an IRC port without flood pacing
   * (`irc: { port: 0, ratePerSecond: 0 }`), `o` on top (an `irc` in `o` replaces that one whole).
   */
  start(o?: Parameters<typeof startTestServer>[1]): Promise<TestServer>;
  /** A parley client speaking protocol version 2 (away and rooms are version 2), once welcomed. */
  parleyV2(name: string): Promise<Wire>;
  /** A parley client that said hello as `name` (version 1, or logging in with `extra.password`). */
  parley(name: string, extra?: { password?: string }): Promise<Wire>;
}

/** Registers an afterEach that closes the test's clients and stops its server. */
export function ircGatewayFixture(): IrcGatewayFixture {
  let server: TestServer | undefined;
  const open: Array<{ close(): void }> = [];
  const running = (): TestServer => {
    if (!server) throw new Error('start the server first');
    return server;
  };
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await server?.stop();
    server = undefined;
  });
  return {
    get server() {
      return server;
    },
    open,
    async start(o = {}) {
      server = await startTestServer(tempDb(), { historySize: 0, irc: { port: 0, ratePerSecond: 0 }, ...o });
      return server;
    },
    async parleyV2(name) {
      const w = await Wire.connect(running().port);
      open.push(w);
      w.send({ type: 'hello', name, version: 2 });
      await w.next((f) => f.type === 'welcome');
      return w;
    },
    async parley(name, extra = {}) {
      const w = await Wire.hello(running().port, name, extra);
      open.push(w);
      return w;
    },
  };
}
