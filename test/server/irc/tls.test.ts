import IRC from 'irc-framework';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { TlsIdentity } from '../../../src/server/certificate.js';
import { keyFingerprint } from '../../../src/wire/fingerprint.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { ircGatewayFixture } from '../../helpers/irc-gateway.js';
import { nonLoopbackAddress, testIdentity } from '../../helpers/tls.js';
import { Wire, type TestServer } from '../helpers.js';

// The gateway's TLS port (--irc-tls-port, the 6697 kind): the server's own certificate, a real IRC client
// library over it, and the plaintext IRC port following the parley port's plaintext policy.

const gateway = ircGatewayFixture();
const { open } = gateway;
let t: TestServer;

async function serve(identity: TlsIdentity, host = '127.0.0.1', plaintext?: 'loopback' | 'any') {
  t = await gateway.start({ host, secureContext: identity.secureContext, ...(plaintext && { plaintext }), ircTls: { port: 0, ratePerSecond: 0 } });
  return { plain: t.server.irc!.port, secure: t.server.ircTls!.port };
}
const lan = nonLoopbackAddress();

describe('IRC over TLS', () => {
  it("presents the server's certificate and registers an IRC client that talks with a parley client", async () => {
    const identity = await testIdentity();
    const { secure } = await serve(identity);
    const c = await IrcClient.tls(secure);
    open.push(c);
    expect(keyFingerprint(c.socket.getPeerCertificate().raw)).toBe(identity.fingerprint);
    c.send('NICK bob');
    c.send('USER bob 0 * :Bob');
    expect((await c.next((m) => m.command === '001')).params[0]).toBe('bob');
    await c.next((m) => m.command === '366');
    const alice = await Wire.hello(t.port, 'alice');
    open.push(alice);
    alice.send({ type: 'say', text: 'over tls?' });
    expect((await c.next((m) => m.command === 'PRIVMSG')).params).toEqual(['#lobby', 'over tls?']);
  });

  it('works with irc-framework as a TLS client (what a bot would use)', async () => {
    const { secure } = await serve(await testIdentity());
    const alice = await Wire.hello(t.port, 'alice');
    open.push(alice);
    const bob = new IRC.Client({ auto_reconnect: false });
    open.push({ close: () => bob.quit() });
    const registered = new Promise<void>((resolve) => bob.on('registered', () => resolve()));
    bob.connect({ host: '127.0.0.1', port: secure, tls: true, rejectUnauthorized: false, nick: 'bob', username: 'bob', gecos: 'Bob' });
    await registered;
    bob.say('#lobby', 'hello from 6697');
    expect(await alice.next((f) => f.type === 'message' && f.from === 'bob')).toMatchObject({ text: 'hello from 6697' });
  });

  it('does not serve a plaintext IRC client on the TLS port', async () => {
    const { secure } = await serve(await testIdentity());
    const c = await IrcClient.connect(secure);
    open.push(c);
    c.send('NICK bob');
    c.send('USER bob 0 * :Bob');
    await expect(c.next((m) => m.command === '001', 2000)).rejects.toThrow();
    await c.waitClosed();
  });

  it.skipIf(!lan)('the plaintext IRC port refuses clients from another machine, naming the TLS port, and serves this one', async () => {
    const { plain, secure } = await serve(await testIdentity(), lan);
    const far = await IrcClient.connect(plain, lan!);
    open.push(far);
    const error = await far.next((m) => m.command === 'ERROR');
    expect(error.params[0]).toContain(`connect with TLS on port ${secure}`);
    const overTls = await IrcClient.tls(secure, lan!);
    open.push(overTls);
    overTls.send('NICK bob');
    overTls.send('USER bob 0 * :Bob');
    await overTls.next((m) => m.command === '001');
  });

  it.skipIf(!lan)('the plaintext IRC port takes clients from another machine when the operator allows plaintext (behind a TLS proxy)', async () => {
    const { plain } = await serve(await testIdentity(), lan, 'any');
    const far = await IrcClient.connect(plain, lan!);
    open.push(far);
    far.send('NICK bob');
    far.send('USER bob 0 * :Bob');
    await far.next((m) => m.command === '001');
  });
});
