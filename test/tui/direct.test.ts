import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { Handshake, newLinkId, newSecret, parseDirectMessage, proofFor, type DirectMessage } from '../../src/wire/direct.js';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.js';
import { RecordOpener, RecordSealer } from '../../src/wire/direct-records.js';
import { parseServerMessage, type ServerMessage } from '../../src/wire/messages.js';
import { connectDirect, DEFAULT_LINK_OPTIONS, DirectListener, type LinkHandlers, type OutgoingWhisper } from '../../src/tui/core/directlink.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session } from '../../src/tui/core/session.js';

// Direct private chat over real sockets on 127.0.0.1. Clients reach the server through a recording proxy,
// so "the server never sees it" is checked against every byte the server received, plus its log.

const FAST = { ...DEFAULT_LINK_OPTIONS, connectTimeoutMs: 3000, handshakeTimeoutMs: 2000, ackTimeoutMs: 2000 };
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 4000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A TCP proxy in front of the server that records every byte clients send it; `rewrite` may alter lines. */
async function recordingProxy(target: number, rewrite: (line: string) => string = (l) => l) {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    sockets.add(client).add(upstream);
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const out = Buffer.from(rewrite(line) + '\n');
        received.push(out);
        upstream.write(out);
      }
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { port: (server.address() as net.AddressInfo).port, received: () => Buffer.concat(received).toString('utf8') };
}

async function room(rewrite?: (line: string) => string) {
  const logLines: string[] = [];
  const server: RunningServer = await startServer({ port: 0, log: (event, fields) => logLines.push(`${event} ${JSON.stringify(fields)}`), logWhisperText: true });
  cleanup.push(() => server.close());
  const hubLines: string[] = [];
  const receive = server.hub.receive.bind(server.hub);
  server.hub.receive = (id, line) => {
    hubLines.push(line);
    receive(id, line);
  };
  const proxy = await recordingProxy(server.port, rewrite);
  const seen = () => [proxy.received(), hubLines.join('\n'), logLines.join('\n')].join('\n');
  return { server, port: proxy.port, seen };
}

async function join(name: string, port: number) {
  const events: ChatEvent[] = [];
  const s = new Session({ name, host: '127.0.0.1', port, mode: 'plain', direct: FAST }, (e) => events.push(e));
  await s.start();
  cleanup.push(() => s.destroy());
  const find = <K extends ChatEvent['kind']>(kind: K, pred: (e: Extract<ChatEvent, { kind: K }>) => boolean = () => true) =>
    events.find((e): e is Extract<ChatEvent, { kind: K }> => e.kind === kind && pred(e as Extract<ChatEvent, { kind: K }>));
  const wait = <K extends ChatEvent['kind']>(kind: K, pred?: (e: Extract<ChatEvent, { kind: K }>) => boolean) => waitFor(`${name}: ${kind}`, () => find(kind, pred));
  return { s, events, find, wait };
}

/**
 * A raw peer on the link: does the connector side of the handshake with `secret`, then lets the test speak
 * through `send` (bytes, sealed into records as PROTOCOL.md §10.3 says; the test picks the bytes).
 */
async function rawPeer(port: number, secret: string, link: string, host = '127.0.0.1') {
  const socket = net.connect({ host, port });
  cleanup.push(() => socket.destroy());
  const frames: DirectMessage[] = [];
  const hs = new Handshake('connector', secret, link);
  const decoder = new FrameDecoder();
  let sealer: RecordSealer | undefined;
  let opener: RecordOpener | undefined;
  const read = (bytes: Buffer) => {
    for (const ev of decoder.push(bytes)) {
      if (ev.kind !== 'line') continue;
      const m = (parseDirectMessage(ev.text) as { message: DirectMessage }).message;
      frames.push(m);
      if (!hs.done) {
        const step = hs.receive(m);
        if (step.kind === 'send') for (const x of step.messages) socket.write(encodeFrame(x));
        if (hs.done) {
          sealer = new RecordSealer(hs.keys().send);
          opener = new RecordOpener(hs.keys().receive);
        }
      }
    }
  };
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    // Until the handshake is done, one line at a time: records may follow `ready` in the same chunk.
    while (!opener && chunk.length > 0) {
      const nl = chunk.indexOf(0x0a);
      read(nl === -1 ? chunk : chunk.subarray(0, nl + 1));
      chunk = nl === -1 ? Buffer.alloc(0) : chunk.subarray(nl + 1);
    }
    const opened = opener && chunk.length > 0 ? opener.push(chunk) : undefined;
    if (opened?.ok) for (const p of opened.plaintext) read(p);
  });
  for (const m of hs.start()) socket.write(encodeFrame(m));
  const send = (bytes: string | Buffer) => socket.write(sealer!.seal(Buffer.from(bytes)));
  return { socket, frames, hs, send };
}

type User = Awaited<ReturnType<typeof join>>;

/**
 * A TCP proxy on the path between the two clients (someone on their network): records both directions, and
 * after `tamper()` flips one bit of the next chunk the connector sends. `aim` sets where it forwards to.
 */
async function pathProxy() {
  let target = 0;
  let flip = false;
  const seen: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((connector) => {
    const listener = net.connect({ host: '127.0.0.1', port: target });
    sockets.add(connector).add(listener);
    connector.on('data', (chunk: Buffer) => {
      const c = Buffer.from(chunk);
      seen.push(Buffer.from(c));
      if (flip) {
        flip = false;
        c[c.length - 1]! ^= 0x01;
      }
      listener.write(c);
    });
    listener.on('data', (chunk: Buffer) => {
      seen.push(Buffer.from(chunk));
      connector.write(chunk);
    });
    const end = () => {
      connector.destroy();
      listener.destroy();
    };
    connector.on('close', end).on('error', end);
    listener.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  const port = (server.address() as net.AddressInfo).port;
  return { port, aim: (p: number) => (target = p), tamper: () => (flip = true), recorded: () => Buffer.concat(seen).toString('latin1') };
}

async function openPrivate(alice: User, bob: User) {
  alice.s.input('/private bob');
  await bob.wait('private_request', (e) => e.from === 'alice');
  bob.s.input('/allow alice');
  await alice.wait('private', (e) => e.state === 'open');
  await bob.wait('private', (e) => e.state === 'open');
}

describe('direct private chat between two clients', () => {
  it('with consent, whispers go client to client and the server never sees them; stopping falls back to the relay', async () => {
    const { port, seen } = await room();
    const alice = await join('alice', port);
    const bob = await join('bob', port);

    alice.s.input('/private bob');
    const request = await bob.wait('private_request');
    expect(request.from).toBe('alice');
    await alice.wait('private', (e) => e.state === 'asked');
    bob.s.input('/allow alice');
    await alice.wait('private', (e) => e.state === 'open');
    await bob.wait('private', (e) => e.state === 'open');
    expect(alice.s.direct.isDirect('bob')).toBe(true);

    alice.s.input('/w bob psst-direct-one');
    const got = await bob.wait('whisper', (e) => e.text === 'psst-direct-one');
    expect(got).toMatchObject({ from: 'alice', to: 'bob', outgoing: false, direct: true });
    expect(await alice.wait('whisper', (e) => e.outgoing && e.text === 'psst-direct-one')).toMatchObject({ direct: true, to: 'bob' });
    bob.s.input('/r reply-direct-two');
    expect(await alice.wait('whisper', (e) => e.text === 'reply-direct-two')).toMatchObject({ from: 'bob', direct: true });

    const everything = seen();
    expect(everything).toContain('"type":"private"'); // the recording works: the ask went through it
    expect(everything).not.toContain('psst-direct-one');
    expect(everything).not.toContain('reply-direct-two');

    alice.s.input('/stopprivate bob');
    expect(await alice.wait('private', (e) => e.state === 'closed')).toMatchObject({ reason: 'stopped' });
    expect((await bob.wait('private', (e) => e.state === 'closed')).detail).toMatch(/alice closed the direct chat|they closed it/);
    expect(alice.s.direct.isDirect('bob')).toBe(false);

    alice.s.input('/w bob via-the-server');
    const relayed = await bob.wait('whisper', (e) => e.text === 'via-the-server');
    expect(relayed.direct).toBeUndefined();
    expect(seen()).toContain('via-the-server');
  });

  it('a refusal tells the asker; no port or secret is handed to anyone, and only the asker\'s own address to the target', async () => {
    const { port, seen } = await room();
    const alice = await join('alice', port);
    const bob = await join('bob', port);
    const bobFrames: ServerMessage[] = [];
    const aliceFrames: ServerMessage[] = [];
    const tap = (s: Session, into: ServerMessage[]) => {
      const receive = s.direct.receive.bind(s.direct);
      s.direct.receive = (m) => {
        into.push(m);
        receive(m);
      };
    };
    tap(alice.s, aliceFrames);
    tap(bob.s, bobFrames);

    alice.s.input('/private bob');
    await bob.wait('private_request');
    bob.s.input('/deny alice');
    expect(await alice.wait('private', (e) => e.state === 'closed')).toMatchObject({ reason: 'denied', detail: 'bob refused your private-chat request; whispers go through the server' });
    expect(bob.find('private', (e) => e.state === 'closed')?.detail).toBe("you refused alice's private-chat request");
    const handed = [...aliceFrames, ...bobFrames].filter((m) => m.type === 'private_listen' || m.type === 'private_connect');
    expect(handed).toEqual([]);
    expect(JSON.stringify([...aliceFrames, ...bobFrames])).not.toMatch(/"port"|"secret"/);
    // The one address that moved: alice's own, to bob, with her question (asking is consent to be dialled).
    expect(aliceFrames.filter((m) => JSON.stringify(m).includes('"host"'))).toEqual([]);
    expect(bobFrames.find((m) => m.type === 'private_request')).toMatchObject({ from: 'alice', host: '127.0.0.1' });
    // Asking again at once is held off.
    alice.s.input('/private bob');
    expect((await alice.wait('error', (e) => e.code === 'private_refused')).text).toMatch(/bob declined; you can ask again in \d+ s/);
    expect(seen()).toContain('"type":"deny"');
  });

  it('when the direct connection cannot be made, both sides are told and whispers use the relay', async () => {
    // A port nothing listens on stands in for a peer behind a firewall: the proxy rewrites the port alice reports.
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { port } = await room((line) => line.replace(/("type":"private_port".*"port":)\d+/, `$1${deadPort}`));
    const alice = await join('alice', port);
    const bob = await join('bob', port);

    alice.s.input('/private bob');
    await bob.wait('private_request');
    bob.s.input('/allow alice');
    expect((await bob.wait('private', (e) => e.state === 'closed')).detail).toBe(
      'could not connect directly with alice: connection refused; whispers go through the server',
    );
    expect(await alice.wait('private', (e) => e.state === 'closed')).toMatchObject({ reason: 'unreachable' });
    expect(alice.find('private', (e) => e.state === 'open')).toBeUndefined();

    alice.s.input('/w bob still-arrives');
    expect((await bob.wait('whisper', (e) => e.text === 'still-arrives')).direct).toBeUndefined();
  });

  it('a whisper the peer never confirmed is resent through the server when the link dies', async () => {
    const { server, port } = await room();
    const alice = await join('alice', port);
    // bob is a raw client: he consents, connects, authenticates, takes the whisper without acknowledging it, and drops.
    const bob = net.connect({ host: '127.0.0.1', port: server.port });
    cleanup.push(() => bob.destroy());
    const fromServer: ServerMessage[] = [];
    const decoder = new FrameDecoder(1 << 20);
    bob.on('data', (c: Buffer) => {
      for (const ev of decoder.push(c)) if (ev.kind === 'line') fromServer.push((parseServerMessage(ev.text) as { message: ServerMessage }).message);
    });
    bob.write(encodeFrame({ type: 'hello', name: 'bob', version: 1 }));
    await waitFor('bob welcomed', () => fromServer.find((m) => m.type === 'welcome'));
    alice.s.input('/private bob');
    await waitFor('request', () => fromServer.find((m) => m.type === 'private_request'));
    bob.write(encodeFrame({ type: 'allow', name: 'alice' }));
    const c = (await waitFor('connect details', () => fromServer.find((m) => m.type === 'private_connect'))) as Extract<ServerMessage, { type: 'private_connect' }>;
    const peer = await rawPeer(c.port, c.secret, c.link, c.host);
    await alice.wait('private', (e) => e.state === 'open');

    alice.s.input('/w bob are-you-there');
    await waitFor('the direct whisper', () => peer.frames.find((m) => m.type === 'whisper'));
    peer.socket.destroy();
    const closed = await alice.wait('private', (e) => e.state === 'closed');
    expect(closed.detail).toBe('direct chat with bob closed: the direct link dropped; whispers go through the server; 1 unconfirmed whisper was resent through the server');
    expect(await waitFor('relayed copy', () => fromServer.find((m) => m.type === 'whisper' && m.text === 'are-you-there'))).toMatchObject({ from: 'alice', to: 'bob' });
    // alice told the server the link is gone, and the server passed it on to bob.
    expect(await waitFor('ended on the server', () => fromServer.find((m) => m.type === 'private_end'))).toMatchObject({ with: 'alice', reason: 'lost' });
    expect(alice.s.direct.isDirect('bob')).toBe(false);
  });

  it('blocking the peer closes the link: nothing of theirs arrives, directly or through the server', async () => {
    const { port } = await room();
    const alice = await join('alice', port);
    const bob = await join('bob', port);
    await openPrivate(alice, bob);
    alice.s.input('/block bob');
    expect((await alice.wait('private', (e) => e.state === 'closed')).detail).toBe('direct chat with bob closed: you block them');
    await bob.wait('private', (e) => e.state === 'closed');
    expect(alice.s.direct.isDirect('bob')).toBe(false);
    bob.s.input('/w alice are you there?');
    await bob.wait('error', (e) => e.code === 'not_delivered');
    expect(alice.find('whisper', (e) => e.text === 'are you there?')).toBeUndefined();
  });

  it('the peer quitting closes the link with a notice', async () => {
    const { port } = await room();
    const alice = await join('alice', port);
    const bob = await join('bob', port);
    await openPrivate(alice, bob);
    await bob.s.quit();
    const closed = await alice.wait('private', (e) => e.state === 'closed');
    expect(closed.detail).toMatch(/^(direct chat with bob closed: they quit|bob left, so the private chat is over); whispers go through the server$/);
    expect(alice.s.direct.isDirect('bob')).toBe(false);
  });
});

describe('the direct link is encrypted (issue 10, item 14)', () => {
  it('someone on the path between the clients sees no whisper text; one bit changed ends the link with a clear line', async () => {
    const hop = await pathProxy();
    // alice's reported port is swapped for the proxy's, which forwards to alice: bob dials through it.
    const { port } = await room((line) =>
      line.replace(/("type":"private_port".*"port":)(\d+)/, (_all, head: string, p: string) => {
        hop.aim(Number(p));
        return `${head}${hop.port}`;
      }),
    );
    const alice = await join('alice', port);
    const bob = await join('bob', port);
    await openPrivate(alice, bob);
    alice.s.input('/w bob launch-code-0000');
    expect(await bob.wait('whisper', (e) => e.text === 'launch-code-0000')).toMatchObject({ direct: true });
    bob.s.input('/w alice reply-code-1111');
    expect(await alice.wait('whisper', (e) => e.text === 'reply-code-1111')).toMatchObject({ direct: true });
    await alice.wait('whisper', (e) => e.outgoing && e.text === 'launch-code-0000'); // bob's ack crossed too

    const seen = hop.recorded();
    expect(seen).toContain('"type":"hello"'); // the proxy really is on the path: it saw the handshake
    expect(seen.length).toBeGreaterThan(400);
    for (const text of ['launch-code', '0000', 'reply-code', '1111', '"whisper"', '"ack"', '"text"']) expect(seen).not.toContain(text);

    hop.tamper();
    bob.s.input('/w alice bent-in-transit');
    const closed = await alice.wait('private', (e) => e.state === 'closed');
    expect(closed.detail).toBe(
      'direct chat with bob closed: the link was tampered with (a record failed authentication: altered, replayed or reordered on the way); whispers go through the server',
    );
    await bob.wait('private', (e) => e.state === 'closed');
    // Nothing of the altered record was shown; bob's unconfirmed whisper came through the server instead.
    expect((await alice.wait('whisper', (e) => e.text === 'bent-in-transit')).direct).toBeUndefined();
    expect(alice.events.filter((e) => e.kind === 'whisper' && e.text === 'bent-in-transit')).toHaveLength(1);
  });
});

describe('DirectListener and connectDirect over real sockets', () => {
  function recorder() {
    const log: string[] = [];
    const whispers: string[] = [];
    let closed: { why: string; wasOpen: boolean; unsent: OutgoingWhisper[] } | undefined;
    const handlers: LinkHandlers = {
      onOpen: () => log.push('open'),
      onWhisper: (_n, text) => whispers.push(text),
      onDelivered: (n) => log.push(`delivered ${n}`),
      onRefused: (message) => log.push(`refused ${message}`),
      onClose: (why, wasOpen, unsent) => (closed = { why, wasOpen, unsent }),
    };
    return { handlers, log, whispers, closed: () => closed };
  }

  async function listener(secret: string, link: string) {
    const r = recorder();
    const l = await DirectListener.open('127.0.0.1', () => new Handshake('listener', secret, link), r.handlers, FAST);
    cleanup.push(() => l.stop());
    return { l, r };
  }

  it('a third party who knows the port but not the secret is turned away; the real peer still gets in', async () => {
    const secret = newSecret();
    const link = newLinkId();
    const { l, r } = await listener(secret, link);
    const port = l.port;
    // The intruder plays the protocol to the letter, with a guessed secret.
    const intruder = net.connect({ host: '127.0.0.1', port });
    cleanup.push(() => intruder.destroy());
    const heard: string[] = [];
    let intruderClosed = false;
    intruder.on('close', () => (intruderClosed = true));
    const nonce = 'N'.repeat(43);
    intruder.on('data', (chunk: Buffer) => {
      heard.push(chunk.toString());
      const challenge = JSON.parse(chunk.toString().split('\n')[0]!) as { nonce: string };
      intruder.write(encodeFrame({ type: 'proof', proof: proofFor(newSecret(), 'connector', link, nonce, challenge.nonce) }));
    });
    intruder.write(encodeFrame({ type: 'hello', version: 1, link, nonce }));
    await waitFor('intruder dropped', () => intruderClosed);
    expect(heard.join('')).not.toContain('ready');
    expect(r.log).toEqual([]);
    expect(r.closed()).toBeUndefined(); // one failure does not end the wait for the real peer

    const peer = await rawPeer(l.port, secret, link);
    await waitFor('peer authenticated', () => peer.hs.done);
    await waitFor('listener open', () => r.log.includes('open'));
    // One peer only: the port is closed now.
    await expect(new Promise((resolve, reject) => net.connect({ host: '127.0.0.1', port }).on('connect', resolve).on('error', reject))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('gives up after too many failed handshakes, and tells its owner', async () => {
    const { l, r } = await listener(newSecret(), newLinkId());
    for (let i = 0; i < FAST.maxAttempts; i++) {
      const s = net.connect({ host: '127.0.0.1', port: l.port });
      cleanup.push(() => s.destroy());
      s.on('error', () => {});
      s.write('{"type":"whisper","n":1,"text":"let me in"}\n');
    }
    const closed = await waitFor('listener gave up', () => r.closed());
    expect(closed.wasOpen).toBe(false);
    expect(closed.why).toMatch(/^4 connections failed to authenticate/);
  });

  it('an impostor listener without the secret is rejected by the connector', async () => {
    const link = newLinkId();
    const { l } = await listener(newSecret(), link);
    const r = recorder();
    connectDirect('127.0.0.1', l.port, new Handshake('connector', newSecret(), link), r.handlers, FAST);
    const closed = await waitFor('connector refused', () => r.closed());
    expect(closed).toMatchObject({ wasOpen: false, why: 'the listener does not hold the secret' });
    expect(r.log).toEqual([]);
  });

  it('the link applies the server-link limits: oversize frames, floods and escape sequences', async () => {
    const secret = newSecret();
    const link = newLinkId();
    const { l, r } = await listener(secret, link);
    const peer = await rawPeer(l.port, secret, link);
    await waitFor('open', () => r.log.includes('open') && peer.hs.done);

    peer.send(JSON.stringify({ type: 'whisper', n: 1, text: 'x'.repeat(9000) }) + '\n');
    await waitFor('frame_too_large', () => peer.frames.find((f) => f.type === 'error' && f.code === 'frame_too_large'));
    peer.send(encodeFrame({ type: 'whisper', n: 2, text: '\x1b]0;pwned\x07hi \x1b[2Jthere\u202e' }));
    await waitFor('ack 2', () => peer.frames.find((f) => f.type === 'ack' && f.n === 2));
    expect(r.whispers).toEqual(['hi there']);

    const burst = Array.from({ length: 30 }, (_, i) => encodeFrame({ type: 'whisper', n: 10 + i, text: `flood ${i}` }));
    peer.send(Buffer.concat(burst));
    await waitFor('rate limited', () => peer.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited').length >= 15);
    const acked = peer.frames.filter((f) => f.type === 'ack' && f.n >= 10).length;
    const limited = peer.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(acked + limited.length).toBe(30); // every whisper is either taken or refused by number, none vanish
    expect(limited.every((f) => f.type === 'error' && typeof f.n === 'number')).toBe(true);
    expect(r.closed()).toBeUndefined(); // still open after all that
  });
});
