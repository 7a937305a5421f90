import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { parseServerList } from '../../src/tui/core/servers.js';
import { Session } from '../../src/tui/core/session.js';
import { run, CLIENT } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

// Several server addresses (a cluster's nodes): the client starts on the first that answers and, when
// its server goes away, reconnects to the next one instead of waiting for the dead one.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('parseServerList', () => {
  it('reads host, host:port, [v6]:port and bare IPv6, comma-separated, with the default port', () => {
    expect(parseServerList('a.example:7001, b.example,[::1]:7003,::1', 7777)).toEqual([
      { host: 'a.example', port: 7001 },
      { host: 'b.example', port: 7777 },
      { host: '::1', port: 7003 },
      { host: '::1', port: 7777 },
    ]);
  });

  it.each([
    ['a,,b', /empty address/],
    ['a:0', /"a:0": a port is a whole number/],
    ['a:70000', /"a:70000": a port/],
    ['a:x', /"a:x" is not an address/],
  ])('refuses %s', (list, why) => {
    expect(() => parseServerList(list, 7777)).toThrow(why);
  });

  it('is checked on the command line: a bad list exits 2 with one line', async () => {
    const r = run(CLIENT, ['--plain', 'bob', '127.0.0.1:7001,,x']);
    expect(await r.exit).toBe(2);
    expect(r.stderr()).toMatch(/has an empty address; write host1:port1,host2:port2/);
  });
});

describe('a client given several servers', () => {
  it('skips one that is down at start, and moves to the other when its server dies', async () => {
    const a = await startServer({ port: 0 });
    const b = await startServer({ port: 0 });
    cleanups.push(() => b.close());
    const dead = await startServer({ port: 0 });
    const deadPort = dead.port;
    await dead.close();
    const events: ChatEvent[] = [];
    const s = new Session(
      { name: 'bob', host: `127.0.0.1:${deadPort},127.0.0.1:${a.port},127.0.0.1:${b.port}`, port: 1, mode: 'tui', reconnect: true, backoffMs: [50] },
      (e) => events.push(e),
    );
    cleanups.push(() => s.destroy());
    await s.start();
    expect(s.server).toBe(`127.0.0.1:${a.port}`);
    expect(a.hub.users()).toEqual(['bob']);
    await a.close();
    const connected = (): number => events.filter((e) => e.kind === 'status' && e.status === 'connected').length;
    await until(() => b.hub.users().includes('bob') && connected() === 2, 10_000, 'bob on the second server');
    expect(s.server).toBe(`127.0.0.1:${b.port}`);
    expect(events.filter((e) => e.kind === 'status' && e.status === 'connected').map((e) => e.kind === 'status' && e.detail)).toEqual([
      `connected to 127.0.0.1:${a.port}`,
      `connected to 127.0.0.1:${b.port}`,
    ]);
  });
});
