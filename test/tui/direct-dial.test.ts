import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { formatPlain } from '../../src/tui/format.js';
import { KnownServers } from '../../src/tui/core/known-servers.js';
import { Session } from '../../src/tui/core/session.js';
import { newLinkId, newSecret } from '../../src/wire/direct.js';
import { nonLoopbackAddress, testIdentity } from '../helpers/tls.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../helpers/tmp.js';

// Issue 10, item 12: a rogue server chooses where the client dials after /allow. A server of our own (NDJSON,
// over real sockets) asks bob for a private chat "from mallory" and, once bob allows, names a dial target bob's
// client must refuse. A trap listener on that target would notice any connection.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Offer {
  /** The address the request says mallory is at (omitted: the request carries none). */
  asked?: string;
  /** Where private_connect points. */
  host: string;
  port: number;
}

/** A rogue parley server: welcomes bob, asks for a private chat from mallory, then hands `offer` over. */
async function rogueServer(offer: Offer, o: { listenOn?: string; secure?: tls.SecureContext } = {}) {
  const received: { type: string; [k: string]: unknown }[] = [];
  const onSocket = (socket: net.Socket) => {
    let buffer = '';
    const send = (m: object) => socket.write(JSON.stringify(m) + '\n');
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const frame = JSON.parse(buffer.slice(0, nl)) as { type: string; token?: string };
        buffer = buffer.slice(nl + 1);
        received.push(frame);
        if (frame.type === 'hello') {
          send({ type: 'welcome', version: 1, name: 'bob', users: ['bob', 'mallory'], motd: '', session: 's', features: { accounts: 'off', history: 0, offline: false, blocks: true, private: true } });
          send({ type: 'private_request', from: 'mallory', time: Date.now(), ...(offer.asked !== undefined && { host: offer.asked }) });
        }
        if (frame.type === 'allow') {
          send({ type: 'ok', re: 'allow' });
          send({ type: 'private_connect', with: 'mallory', link: newLinkId(), secret: newSecret(), host: offer.host, port: offer.port });
        }
        if (frame.type === 'ping') send({ type: 'pong', token: frame.token });
      }
    });
  };
  const secure = o.secure;
  const srv = net.createServer((socket) => onSocket(secure ? new tls.TLSSocket(socket, { isServer: true, secureContext: secure }) : socket));
  await new Promise<void>((r) => srv.listen(0, o.listenOn ?? '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => srv.close(r)));
  return { port: (srv.address() as net.AddressInfo).port, received };
}

/** A listener that counts every connection made to it. */
async function trap(host = '127.0.0.1') {
  let dialled = 0;
  const srv = net.createServer((s) => {
    dialled++;
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, host, r));
  cleanups.push(() => new Promise((r) => srv.close(r)));
  return { port: (srv.address() as net.AddressInfo).port, dialled: () => dialled };
}

/** bob, connected to `port`, who allows mallory as soon as asked; resolves once his client settled the offer. */
async function bobAllows(port: number, o: { host?: string; trust?: string } = {}) {
  const events: ChatEvent[] = [];
  const known = new KnownServers(path.join(tempDir('parley-known-'), 'known_servers'));
  const s = new Session({ name: 'bob', host: o.host ?? '127.0.0.1', port, mode: 'plain', knownServers: known, ...(o.trust !== undefined && { trust: o.trust }) }, (e) => events.push(e));
  cleanups.push(() => s.destroy());
  await s.start();
  await until(() => events.some((e) => e.kind === 'private_request'), 4000, 'the request');
  s.input('/allow mallory');
  await until(() => events.some((e) => e.kind === 'private' && (e.state === 'closed' || e.state === 'connecting')), 4000, 'the outcome');
  // Long enough for a connection the client should not have made to reach the trap.
  await new Promise((r) => setTimeout(r, 200));
  return { events, outcome: events.find((e) => e.kind === 'private' && e.state !== 'allowed') as Extract<ChatEvent, { kind: 'private' }> };
}

describe('where a client dials for a direct chat is shown and bounded', () => {
  it('the request shows the address allowing connects to, and the client dials only that address', async () => {
    const elsewhere = await trap('127.0.0.2');
    const server = await rogueServer({ asked: '127.0.0.1', host: '127.0.0.2', port: elsewhere.port });
    const { events, outcome } = await bobAllows(server.port);
    expect(events.find((e) => e.kind === 'private_request')).toMatchObject({ from: 'mallory', host: '127.0.0.1' });
    expect(elsewhere.dialled()).toBe(0);
    expect(outcome).toMatchObject({
      state: 'closed',
      reason: 'failed',
      detail: `did not connect to mallory at 127.0.0.2:${elsewhere.port}: it is not 127.0.0.1, the address shown when you allowed; whispers go through the server`,
    });
    await until(() => server.received.some((f) => f.type === 'private_end'), 2000, 'private_end');
    expect(server.received.find((f) => f.type === 'private_end')).toMatchObject({ name: 'mallory', reason: 'failed' });
  });

  it('refuses a service port (below the ephemeral range) on the address shown', async () => {
    const server = await rogueServer({ asked: '127.0.0.1', host: '127.0.0.1', port: 22 });
    const { outcome } = await bobAllows(server.port);
    expect(outcome.detail).toBe('did not connect to mallory at 127.0.0.1:22: port 22 is not one a client listens on (10000-65535); whispers go through the server');
  });

  it('refuses to dial when the request did not say where the asker is', async () => {
    const target = await trap();
    const server = await rogueServer({ host: '127.0.0.1', port: target.port });
    const { events, outcome } = await bobAllows(server.port);
    expect(target.dialled()).toBe(0);
    expect(outcome.detail).toBe(`did not connect to mallory at 127.0.0.1:${target.port}: the server did not say where they are when they asked; whispers go through the server`);
    expect(events.some((e) => e.kind === 'private' && e.state === 'connecting')).toBe(false);
  });

  const lan = nonLoopbackAddress();
  it.skipIf(!lan)('a server on another address cannot point the client at its own machine', async () => {
    // The server is reached at a non-loopback address (TLS, as for any other machine): "127.0.0.1" from it
    // would name the client's own machine, where the peer cannot be.
    const identity = await testIdentity();
    const mine = await trap('127.0.0.1');
    const server = await rogueServer({ asked: '127.0.0.1', host: '127.0.0.1', port: mine.port }, { listenOn: lan, secure: identity.secureContext() });
    const { events, outcome } = await bobAllows(server.port, { host: lan, trust: identity.fingerprint });
    // Said with the question, before bob answers...
    const request = events.find((e) => e.kind === 'private_request')!;
    expect(request).toMatchObject({ host: '127.0.0.1', refused: '127.0.0.1 is this machine, but the server is not on this machine' });
    expect(formatPlain(request)!.line).toMatch(/mallory asks for a direct private chat; the server says they are at 127\.0\.0\.1, where your client will not connect \(127\.0\.0\.1 is this machine, but the server is not on this machine\): \/allow mallory/);
    // ...and held to after he allowed.
    expect(mine.dialled()).toBe(0);
    expect(outcome.detail).toBe(`did not connect to mallory at 127.0.0.1:${mine.port}: 127.0.0.1 is this machine, but the server is not on this machine; whispers go through the server`);
  });

  it('an honest server: the client connects to the address it showed, and says host:port as it dials', async () => {
    const peer = await trap('127.0.0.1');
    const server = await rogueServer({ asked: '::ffff:127.0.0.1', host: '127.0.0.1', port: peer.port });
    const { events, outcome } = await bobAllows(server.port);
    const request = events.find((e) => e.kind === 'private_request')!;
    expect(request).toMatchObject({ host: '127.0.0.1' });
    expect(formatPlain(request)!.line).toMatch(/^[\d:]+ -!- mallory asks for a direct private chat; allowing connects you to 127\.0\.0\.1 \(their address as the server sees it\): \/allow mallory or \/deny mallory$/);
    expect(outcome).toMatchObject({ state: 'connecting', detail: `connecting directly to mallory at 127.0.0.1:${peer.port}` });
    await until(() => peer.dialled() === 1, 2000, 'the dial');
  });
});
