import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { DirectManager } from '../../src/tui/core/direct.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { newLinkId, newSecret } from '../../src/wire/direct.js';
import type { ClientMessage } from '../../src/wire/messages.js';

function manager() {
  const sent: ClientMessage[] = [];
  const events: ChatEvent[] = [];
  const m = new DirectManager({ core: new ClientCore('bob', 'plain'), toServer: (x) => sent.push(x), emit: (e) => events.push(e), localAddress: () => '127.0.0.1', serverAddress: () => '127.0.0.1' });
  return { m, sent, events };
}

describe('DirectManager: only what the user consented to', () => {
  it('does not connect anywhere the server points it unless the user allowed that person', async () => {
    // A listener that would notice any connection attempt.
    let dialled = 0;
    const trap = net.createServer((s) => {
      dialled++;
      s.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    const port = (trap.address() as net.AddressInfo).port;
    const { m, sent, events } = manager();
    m.receive({ type: 'private_connect', with: 'mallory', link: newLinkId(), secret: newSecret(), host: '127.0.0.1', port });
    await new Promise((r) => setTimeout(r, 100));
    trap.close();
    expect(dialled).toBe(0);
    expect(sent).toEqual([{ type: 'private_end', name: 'mallory', reason: 'failed' }]);
    expect(events).toEqual([{ kind: 'error', text: 'ignored direct-chat details for mallory that you did not ask for or allow' }]);
  });

  it('does not listen unless the user asked, and refuses a host name in place of an address', () => {
    const { m, sent } = manager();
    m.receive({ type: 'private_listen', with: 'mallory', link: newLinkId(), secret: newSecret() });
    m.receive({ type: 'private_request', from: 'carol', time: 0 });
    m.outgoing({ type: 'allow', name: 'carol' });
    m.receive({ type: 'private_connect', with: 'carol', link: newLinkId(), secret: newSecret(), host: 'evil.example', port: 80 });
    expect(sent).toEqual([
      { type: 'private_end', name: 'mallory', reason: 'failed' },
      { type: 'private_end', name: 'carol', reason: 'failed' },
    ]);
  });

  it('answers /allow, /deny and /stopprivate for nobody locally, without bothering the server', () => {
    const { m, events } = manager();
    expect(m.outgoing({ type: 'allow', name: 'zed' })).toBe(true);
    expect(m.outgoing({ type: 'deny', name: 'zed' })).toBe(true);
    expect(m.outgoing({ type: 'private_end', name: 'zed', reason: 'stopped' })).toBe(true);
    expect(events.map((e) => (e.kind === 'error' ? e.text : e.kind))).toEqual([
      'zed has not asked you for a private chat',
      'zed has not asked you for a private chat',
      'you have no private chat with zed',
    ]);
  });

  it('follows a rename of the person who asked', () => {
    const { m } = manager();
    m.receive({ type: 'private_request', from: 'carol', time: 0 });
    m.receive({ type: 'renamed', old: 'carol', new: 'caz', time: 0 });
    expect(m.outgoing({ type: 'allow', name: 'caz' })).toBe(false); // known under the new name: goes to the server
  });
});
