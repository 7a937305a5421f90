import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlaintextPolicy } from '../../src/server/host.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { KnownServers } from '../../src/tui/core/known-servers.js';
import { Session, type SessionOptions } from '../../src/tui/core/session.js';
import type { TrustQuestion } from '../../src/tui/core/verify.js';
import { askTrustOnTerminal } from '../../src/tui/screen/asktrust.js';
import { CLIENT, run, serverProcess } from '../helpers/cli.js';
import { caIssued, nonLoopbackAddress, recordingProxy, testIdentity, type RecordingProxy } from '../helpers/tls.js';
import { until } from '../helpers/until.js';
import { addUser, startTestServer, tempDb, type TestServer } from '../server/helpers.js';
import { tempDir } from '../helpers/tmp.js';

// The client's side of TLS: it checks whom it talks to before saying anything (a CA's word, or the key
// this user trusted before, or asks once), never sends a password or token in plaintext to another
// machine or to a server it has not verified, on reconnects too; and what someone on the path sees.

const PASSWORD = 'wonderland-password';
const servers: TestServer[] = [];
const sessions: Session[] = [];
const proxies: RecordingProxy[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  for (const p of proxies.splice(0)) await p.close();
  for (const c of closers.splice(0)) c();
  for (const s of servers.splice(0)) await s.stop();
});

function knownFile(): KnownServers {
  return new KnownServers(path.join(tempDir('parley-known-'), 'known_servers'));
}

async function tlsServer(o: { plaintext?: PlaintextPolicy; port?: number } = {}) {
  const identity = await testIdentity();
  const s = await startTestServer(tempDb(), { secureContext: identity.secureContext, ...o });
  servers.push(s);
  await addUser(s.store, 'alice', PASSWORD);
  return { s, port: s.port, fingerprint: identity.fingerprint };
}

function session(o: Partial<SessionOptions> & { port: number }) {
  const events: ChatEvent[] = [];
  const asked: string[] = [];
  const sess = new Session(
    {
      name: 'alice',
      host: '127.0.0.1',
      mode: 'tui',
      knownServers: knownFile(),
      backoffMs: [50],
      askPassword: async (r) => {
        asked.push(r.why);
        return PASSWORD;
      },
      ...o,
    },
    (e) => events.push(e),
  );
  sessions.push(sess);
  return { sess, events, asked };
}

const lan = nonLoopbackAddress();

describe('what someone on the path sees', () => {
  it.skipIf(!lan)('a recording proxy between client and server sees no password, token or message text, reconnect included', async () => {
    const { port, fingerprint } = await tlsServer();
    const proxy = await recordingProxy(port, lan);
    proxies.push(proxy);
    // Another machine's address: TLS by default, no flag needed.
    const { sess, events } = session({ host: lan, port: proxy.port, trust: fingerprint, reconnect: true });
    await sess.start();
    expect(sess.isSecure).toBe(true);
    sess.input('the launch code is 0000');
    await until(() => events.some((e) => e.kind === 'message' && e.own));
    const token = sess.core.token!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    proxy.cut(); // the client reconnects through the proxy and resumes with its token
    await until(() => events.filter((e) => e.kind === "status" && e.status === "connected").length === 2);
    sess.input('and the second one is 1111');
    await until(() => events.filter((e) => e.kind === 'message' && e.own).length === 2);

    const seen = proxy.recorded().toString('latin1');
    expect(seen.length).toBeGreaterThan(1000);
    for (const secret of [PASSWORD, token, sess.core.token!, 'launch code', '1111', '"hello"', '"welcome"']) expect(seen).not.toContain(secret);
  });

  it('the same proxy in front of a loopback plaintext connection sees everything (what TLS is for)', async () => {
    const { port } = await tlsServer();
    const proxy = await recordingProxy(port);
    proxies.push(proxy);
    const { sess, events } = session({ port: proxy.port });
    await sess.start();
    expect(sess.isSecure).toBe(false);
    sess.input('the launch code is 0000');
    await until(() => events.some((e) => e.kind === 'message' && e.own));
    const seen = proxy.recorded().toString('latin1');
    for (const secret of [PASSWORD, sess.core.token!, 'launch code']) expect(seen).toContain(secret);
  });
});

describe('an impostor on the port', () => {
  async function loggedIn() {
    const { s, port, fingerprint } = await tlsServer();
    const known = knownFile();
    const c = session({ port, tls: 'on', trust: fingerprint, reconnect: true, knownServers: known });
    await c.sess.start();
    expect(c.sess.core.token).toBeDefined();
    await s.stop();
    servers.splice(servers.indexOf(s), 1);
    return { ...c, port, fingerprint, known };
  }

  it('with another key gets no token and no password, and the user is told why with both fingerprints', async () => {
    const { sess, events, asked, port, fingerprint, known } = await loggedIn();
    const other = await testIdentity();
    const received: Buffer[] = [];
    const impostor = tls.createServer({ cert: fs.readFileSync(other.files.cert), key: fs.readFileSync(other.files.key) }, (socket) => {
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => impostor.listen(port, '127.0.0.1', resolve));
    closers.push(() => impostor.close());

    await expect(sess.done).rejects.toMatchObject({ code: 'untrusted' });
    const refusal = events.find((e) => e.kind === 'error' && e.code === 'untrusted');
    expect(refusal).toMatchObject({
      text: `THE KEY OF 127.0.0.1:${port} HAS CHANGED: it is now ${other.fingerprint}, you trusted ${fingerprint}. Someone may be impersonating the server, so nothing was sent. If its operator confirms the new key, delete line 1 of ${known.file} and connect again.`,
    });
    expect(events.at(-1)).toMatchObject({ kind: 'status', status: 'disconnected' });
    expect(Buffer.concat(received).length).toBe(0); // not even a hello
    expect(asked).toHaveLength(1); // the first login only: no password popup for the impostor
  });

  it('speaking plaintext gets only a TLS hello, however often the client retries', async () => {
    const { sess, events, port } = await loggedIn();
    const received: Buffer[] = [];
    let connections = 0;
    const impostor = net.createServer((socket) => {
      connections++;
      socket.on('data', (d: Buffer) => {
        received.push(d);
        // Answer as a plaintext parley server would, asking for the password.
        socket.write('{"type":"error","code":"password_required","message":"password please","ref":"hello"}\n');
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => impostor.listen(port, '127.0.0.1', resolve));
    closers.push(() => impostor.close());
    await until(() => connections >= 3);
    const seen = Buffer.concat(received).toString('latin1');
    expect(received.every((d) => d[0] === 0x16)).toBe(true);
    for (const secret of [PASSWORD, sess.core.token!, '"hello"', 'alice']) expect(seen).not.toContain(secret);
    expect(events.filter((e) => e.kind === 'status' && e.status === 'connected')).toHaveLength(1);
  });
});

describe('trust on first use', () => {
  it('asks once, remembers the key per host:port, and then connects without asking', async () => {
    const { port, fingerprint } = await tlsServer();
    const known = knownFile();
    const questions: TrustQuestion[] = [];
    const first = session({ port, tls: 'on', knownServers: known, askTrust: async (q) => (questions.push(q), true) });
    await first.sess.start();
    expect(questions).toEqual([{ server: `127.0.0.1:${port}`, fingerprint }]);
    expect(fs.readFileSync(known.file, 'utf8')).toBe(`127.0.0.1:${port} ${fingerprint}\n`);
    expect(fs.statSync(known.file).mode & 0o777).toBe(0o600);
    await first.sess.quit();

    // Remembered: no question, and TLS even though the host is loopback and --tls is not given.
    const second = session({ port, knownServers: known, askTrust: async (q) => (questions.push(q), false) });
    await second.sess.start();
    expect(second.sess.isSecure).toBe(true);
    expect(questions).toHaveLength(1);
  });

  it('refuses an unknown server nobody was asked about, or one the user declined, saying how to trust it', async () => {
    const { port, fingerprint } = await tlsServer();
    const noOne = session({ port, tls: 'on' });
    await expect(noOne.sess.start()).rejects.toMatchObject({
      code: 'untrusted',
      message: `the server at 127.0.0.1:${port} is not known (key ${fingerprint}); nothing was sent. If its operator confirms that fingerprint, run again with --trust ${fingerprint}`,
    });
    const declined = session({ port, tls: 'on', askTrust: async () => false });
    await expect(declined.sess.start()).rejects.toMatchObject({ code: 'untrusted' });
    const wrong = session({ port, tls: 'on', trust: 'SHA256:' + 'A'.repeat(43) });
    await expect(wrong.sess.start()).rejects.toMatchObject({ code: 'untrusted', message: expect.stringContaining(`has key ${fingerprint}, not SHA256:AAAA`) });
    expect(declined.asked).toEqual([]);
  });

  it('follows a server that requires TLS from a loopback client, and checks its key as usual', async () => {
    const { port, fingerprint } = await tlsServer({ plaintext: 'never' });
    const c = session({ port, trust: fingerprint });
    expect(c.sess.isSecure).toBe(false);
    await c.sess.start();
    expect(c.sess.isSecure).toBe(true);
    expect(c.sess.core.token).toBeDefined();
  });

  it('keeps the trusted keys in the XDG config directory of the test run', () => {
    expect(new KnownServers().file).toBe(path.join(process.env.XDG_CONFIG_HOME!, 'parley', 'known_servers'));
  });
});

describe('plaintext is for this machine only', () => {
  it.skipIf(!lan)('another machine gets TLS by default: the first byte is a TLS handshake, never a hello', async () => {
    const received: Buffer[] = [];
    const listener = net.createServer((socket) => {
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => listener.listen(0, lan, resolve));
    closers.push(() => listener.close());
    const c = session({ host: lan, port: (listener.address() as net.AddressInfo).port, connectTimeoutMs: 500 });
    await expect(c.sess.start()).rejects.toMatchObject({ code: 'unreachable' });
    expect(received[0]![0]).toBe(0x16);
    expect(Buffer.concat(received).toString('latin1')).not.toContain('alice');
  });
});

describe('the command line', () => {
  it('accepts a certificate a CA vouches for without asking, and refuses an unknown self-signed one from a pipe (exit 8)', async () => {
    const dir = tempDir('parley-ca-');
    const issued = await caIssued();
    for (const [name, text] of Object.entries(issued)) fs.writeFileSync(path.join(dir, `${name}.pem`), text);
    const srv = await serverProcess(['--tls-cert', path.join(dir, 'cert.pem'), '--tls-key', path.join(dir, 'key.pem')]);
    closers.push(() => srv.child.kill());
    const fingerprint = /TLS key fingerprint (SHA256:\S+)/.exec(await srv.waitFor(/TLS key fingerprint/))![1]!;

    const trusted = run(CLIENT, ['--plain', '--tls', 'alice', 'localhost', String(srv.port)], { NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') });
    trusted.child.stdin.end('hello via a CA\n');
    expect(await trusted.exit).toBe(0);
    expect(trusted.stdout()).toContain('<alice> hello via a CA');

    const unknown = run(CLIENT, ['--plain', '--tls', 'bob', 'localhost', String(srv.port)]);
    unknown.child.stdin.end('');
    expect(await unknown.exit).toBe(8);
    expect(unknown.stderr()).toBe(
      `parley: the server at localhost:${srv.port} is not known (key ${fingerprint}); nothing was sent. If its operator confirms that fingerprint, run again with --trust ${fingerprint}\n`,
    );
    const withTrust = run(CLIENT, ['--plain', '--tls', '--trust', fingerprint, 'bob', 'localhost', String(srv.port)]);
    withTrust.child.stdin.end('');
    expect(await withTrust.exit).toBe(0);
  });

  it('asks on a terminal in line mode, and only "yes" trusts', async () => {
    const q = { server: 'chat.example.org:7777', fingerprint: 'SHA256:' + 'b'.repeat(43) };
    for (const [typed, answer] of [['yes\n', true], ['y\n', false], ['no\n', false], ['', false]] as const) {
      const input = new PassThrough();
      const output = new PassThrough();
      const asked = askTrustOnTerminal({ input, output }, q);
      if (typed) input.write(typed);
      else input.end();
      expect(await asked).toBe(answer);
      expect(output.read()!.toString()).toContain(`parley has not talked to chat.example.org:7777 before.\nIts key fingerprint is ${q.fingerprint}.`);
    }
  });
});
