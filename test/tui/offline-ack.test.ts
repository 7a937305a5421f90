import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { Session } from '../../src/tui/core/session.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { until } from '../helpers/until.js';
import { RawClient } from '../helpers/raw-client.js';
import { addUser, startTestServer, tempDb, type TestServer } from '../server/helpers.js';

// Issue 10, item 9: offline whispers are delivered at least once. The server keeps them until the client
// acknowledges them, so the parley client must send `ack`, and a whisper that comes twice (the connection
// died before the ack reached the server) is shown once.

const servers: net.Server[] = [];
const sessions: Session[] = [];
const real: TestServer[] = [];
afterEach(async () => {
  for (const s of real.splice(0)) await s.stop();
  for (const s of sessions.splice(0)) await s.quit().catch(() => {});
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A scripted server: welcomes `me`, then sends `frames`; records every frame the client sends. */
async function scripted(frames: ServerMessage[]) {
  const got: Record<string, unknown>[] = [];
  const srv = net.createServer((sock) => {
    const dec = new FrameDecoder();
    sock.on('error', () => {});
    sock.on('data', (chunk) => {
      for (const ev of dec.push(chunk)) {
        if (ev.kind !== 'line') continue;
        const m = JSON.parse(ev.text) as Record<string, unknown>;
        got.push(m);
        if (m.type === 'hello') {
          sock.write(encodeFrame({ type: 'welcome', version: 1, name: 'bob', users: ['bob'], motd: '', account: true, token: 't' } satisfies ServerMessage));
          for (const f of frames) sock.write(encodeFrame(f));
        }
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, got };
}

const late = (id: number, text: string): ServerMessage => ({ type: 'whisper', id, from: 'alice', to: 'bob', text, time: 1, late: true });

describe('stored whispers in the client', () => {
  it('acknowledges the stored whispers it received, once for the burst, and shows a whisper delivered twice once', async () => {
    const { port, got } = await scripted([late(7, 'seven'), late(8, 'eight'), late(7, 'seven'), late(9, 'nine')]);
    const events: ChatEvent[] = [];
    const s = new Session({ name: 'bob', host: '127.0.0.1', port, mode: 'plain' }, (e) => events.push(e));
    sessions.push(s);
    await s.start();
    await until(() => got.some((m) => m.type === 'ack'), 3000, 'an ack');
    const shown = events.filter((e) => e.kind === 'whisper').map((e) => (e as { text: string }).text);
    expect(shown).toEqual(['seven', 'eight', 'nine']);
    const acks = got.filter((m) => m.type === 'ack');
    expect(acks).toEqual([{ type: 'ack', upTo: 9 }]);
  });

  it('end to end: the server forgets stored whispers only once the parley client has acknowledged them', async () => {
    const srv = await startTestServer(tempDb());
    real.push(srv);
    await addUser(srv.store, 'bob', 'bobs password');
    const alice = await RawClient.join(srv.port, 'alice');
    alice.send({ type: 'whisper', to: 'bob', text: 'while you were out', ref: 'w' });
    await alice.next((m) => m.type === 'whisper' && m.ref === 'w');
    alice.close();
    expect(srv.store.offlineCount('bob')).toBe(1);
    const events: ChatEvent[] = [];
    const s = new Session({ name: 'bob', host: '127.0.0.1', port: srv.port, mode: 'plain', askPassword: async () => 'bobs password' }, (e) => events.push(e));
    sessions.push(s);
    await s.start();
    await until(() => srv.store.offlineCount('bob') === 0, 3000, 'the stored whisper acknowledged');
    expect(events.filter((e) => e.kind === 'whisper').map((e) => (e as { text: string }).text)).toEqual(['while you were out']);
  });
});
