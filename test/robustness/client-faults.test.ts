import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { ParleyError } from '../../src/tui/core/errors.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session } from '../../src/tui/core/session.js';
import { RawClient } from '../helpers/raw-client.js';
import { FORBIDDEN } from '../helpers/corpus.js';
import { until } from '../helpers/until.js';

// 12. The server vanishing, a server sending garbage or oversize frames, a server that never answers hello:
//     the client reports it clearly and reconnects where it should. (Terminal restoration is covered by the
//     full-screen client's tests; line mode's exit codes by test/tui/plain.test.ts.)

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fake server that runs `script` on each connection. */
async function fakeServer(script: (socket: net.Socket) => void): Promise<number> {
  const srv = net.createServer((s) => {
    s.on('error', () => {}).resume(); // read and ignore what the client says, so its close is seen
    script(s);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((r) => srv.close(r)));
  return (srv.address() as net.AddressInfo).port;
}

function session(port: number, extra: Partial<ConstructorParameters<typeof Session>[0]> = {}) {
  const events: ChatEvent[] = [];
  const s = new Session({ name: 'bob', host: '127.0.0.1', port, mode: 'plain', ...extra }, (e) => events.push(e));
  cleanups.push(() => s.destroy());
  return { s, events };
}

const WELCOME = '{"type":"welcome","version":1,"name":"bob","users":["bob"],"motd":"hi"}\n';


describe('a client facing a bad server', () => {
  it('gives up with one clear line on a server that accepts but never welcomes', async () => {
    const port = await fakeServer(() => {});
    const { s } = session(port, { connectTimeoutMs: 300 });
    const err = await s.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParleyError);
    expect((err as ParleyError).message).toBe(`127.0.0.1:${port} accepted the connection but sent no welcome within 0.3 s; is it a parley server?`);
  });

  it('asks again when the server answers a login with busy, and gets in once it has room', async () => {
    const hellos: string[] = [];
    const port = await fakeServer((sock) => {
      let buf = '';
      sock.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          hellos.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (hellos.length < 3) sock.write('{"type":"error","code":"busy","message":"the server is busy checking other logins","ref":"hello"}\n');
          else sock.write(WELCOME);
        }
      });
    });
    const { s } = session(port);
    await s.start();
    expect(hellos.map((h) => (JSON.parse(h) as { type: string }).type)).toEqual(['hello', 'hello', 'hello']);
  });

  it('reports garbage and oversize frames, ignores them (a type it does not know quietly), and keeps chatting', async () => {
    const port = await fakeServer((sock) => {
      sock.write(WELCOME);
      // A newer server's kind of event: ignored without a word (PROTOCOL.md §3.3).
      sock.write('{"type":"from_the_future","name":"bob"}\n');
      sock.write('not json at all\n');
      sock.write('{"type":"message","id":"x"}\n');
      sock.write(Buffer.from([0xff, 0xfe, 0x0a]));
      sock.write('{"type":"message","id":1,"from":"eve\\u001b[2J","text":"still \\u009b31m fine","time":0}\n');
    });
    const { s, events } = session(port);
    await s.start();
    await until(() => events.some((e) => e.kind === 'message'));
    const errors = events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.text : ''));
    expect(errors).toEqual([
      'the server sent a frame parley does not understand (malformed_json); ignored',
      'the server sent a frame parley does not understand (invalid_message); ignored',
      'the server sent a bad frame (invalid_utf8); ignored',
    ]);
    const msg = events.find((e) => e.kind === 'message');
    expect(msg).toMatchObject({ from: 'eve', text: 'still  fine' });
    expect(JSON.stringify(msg)).not.toMatch(FORBIDDEN);
  });

  it('disconnects from a server that sends more than 1 MiB without a newline', async () => {
    const port = await fakeServer((sock) => {
      sock.write(WELCOME);
      sock.write(Buffer.alloc(2 * 1024 * 1024, 0x61));
    });
    const { s, events } = session(port);
    await s.start();
    const err = await s.done.catch((e: unknown) => e);
    expect((err as ParleyError).code).toBe('connection_lost');
    expect(events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.text : ''))).toContain(
      'the server sent a line longer than 1 MiB; disconnecting',
    );
  });

  it('reconnects with backoff when the server restarts, and sends what was typed meanwhile exactly once', async () => {
    let server: RunningServer = await startServer({ port: 0 });
    const port = server.port;
    cleanups.push(() => server.close());
    const { s, events } = session(port, { mode: 'tui', reconnect: true, backoffMs: [100, 200] });
    await s.start();
    await server.close('restart');
    await until(() => events.some((e) => e.kind === 'status' && e.status === 'reconnecting'));
    s.input('typed while the server was down');
    expect(events.at(-1)).toMatchObject({ kind: 'pending', text: 'typed while the server was down' });

    server = await startServer({ port });
    const watcher = await RawClient.join(port, 'watcher');
    cleanups.push(() => watcher.close());
    await until(() => events.filter((e) => e.kind === 'status' && e.status === 'connected').length === 2, 5000);
    expect(await watcher.next((m) => m.type === 'message')).toMatchObject({ from: 'bob', text: 'typed while the server was down' });
    const pending = events.find((e) => e.kind === 'pending');
    await until(() => events.some((e) => e.kind === 'message' && e.own));
    expect(events.find((e) => e.kind === 'message' && e.own)).toMatchObject({ ref: pending?.kind === 'pending' ? pending.ref : 'none' });
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.all('message')).toEqual([]); // once, not twice
  });
});
