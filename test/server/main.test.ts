import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SERVER, run } from '../helpers/cli.js';
import { IrcClient } from '../helpers/irc-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { makeSelfSigned } from '../../src/server/certificate.js';
import { keyFingerprint } from '../../src/wire/fingerprint.js';
import { Wire } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';

// The real parley-server process: its command line, its console, its log and its signals.

function tmpLog(): string {
  return path.join(tempDir('parley-main-'), 'server.log');
}

/** --log and --db in a fresh temp dir: a test never writes into the checkout. */
function tmpFiles(): string[] {
  const log = tmpLog();
  return ['--log', log, '--db', path.join(path.dirname(log), 'parley.db')];
}

describe('parley-server', () => {
  it('prints where it listens and each connection, logs, and shuts down cleanly on SIGTERM', async () => {
    const log = tmpLog();
    const server = run(SERVER, ['0', '--log', log, '--db', path.join(path.dirname(log), 'parley.db')]);
    const listening = await server.waitFor(/^parley-server listening on /);
    const port = Number(/:(\d+);/.exec(listening)![1]);
    const alice = await RawClient.join(port, 'alice');
    const connect = await server.waitFor(/^connect 127\.0\.0\.1:\d+/);
    expect(connect).toContain(`127.0.0.1:${alice.socket.localPort}`);
    server.child.kill('SIGTERM');
    expect(await alice.next((m) => m.type === 'shutdown')).toEqual({ type: 'shutdown', reason: 'the server is shutting down' });
    expect(await server.exit).toBe(0);
    const text = fs.readFileSync(log, 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z start host=127\.0\.0\.1 port=\d+ pid=\d+ db=\S+ auth=optional tls_cert=\S+\.cert\.pem fingerprint=SHA256:\S{43} self_signed=true created=true$/m);
    expect(text).toMatch(/ join conn=1 name=alice addr=127\.0\.0\.1:\d+$/m);
    expect(text).toMatch(/ stop reason="the server is shutting down" code=0$/m);
  });

  it('refuses a port in use with one line and exit code 2', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const server = run(SERVER, [String(port), ...tmpFiles()]);
    expect(await server.exit).toBe(2);
    expect(server.stderr()).toBe(`parley-server: port ${port} is already in use on 127.0.0.1; stop the other server or pick another port: parley-server PORT\n`);
    busy.close();
  });

  it.each([
    [['70000'], /^parley-server: .*port.* a port is a whole number from 0 to 65535\. \(see parley-server --help\)\n$/],
    [['--frobnicate'], /^parley-server: unknown option '--frobnicate' \(see parley-server --help\)\n$/],
    [['0', '--log', '/nonexistent/dir/server.log', '--db', '/tmp/never-created.db'], /^parley-server: cannot open the log file \/nonexistent\/dir\/server\.log: ENOENT.*\n$/],
    [['0', '--irc-port', '0', '--irc-server-name', 'bad name'], /^parley-server: option '--irc-server-name <name>' argument 'bad name' is invalid\. a server name is letters, digits, dots and dashes, like a host name, at most 63 characters\. \(see parley-server --help\)\n$/],
    [['0', '--require-tls', '--irc-port', '0'], /^parley-server: --require-tls refuses plaintext, and --irc-port is plaintext IRC; use --irc-tls-port instead\n$/],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const server = run(SERVER, args);
    expect(await server.exit).toBe(2);
    expect(server.stderr()).toMatch(message);
  });

  it('explains itself with --help, examples included', async () => {
    const server = run(SERVER, ['--help']);
    expect(await server.exit).toBe(0);
    expect(server.stdout()).toContain('parley-server --host 0.0.0.0');
  });
});

describe('parley-server and its console', () => {
  it('keeps running when nobody reads its console any more (EPIPE on stdout)', async () => {
    const log = tmpLog();
    const server = run(SERVER, ['0', '--log', log, '--db', path.join(path.dirname(log), 'parley.db')]);
    onTestFinished(() => void server.child.kill('SIGKILL')); // a failing run must not leave a server spinning
    const listening = await server.waitFor(/^parley-server listening on /);
    const port = Number(/:(\d+);/.exec(listening)![1]);
    server.child.stdout.destroy(); // the terminal is gone: the next console line fails with EPIPE
    server.child.stderr.destroy();
    const first = await RawClient.join(port, 'first'); // its "connect" line goes nowhere
    first.close();
    await new Promise((r) => setTimeout(r, 200));
    const second = await RawClient.join(port, 'second');
    second.send({ type: 'list' });
    expect(await second.next((m) => m.type === 'users')).toMatchObject({ users: ['second'] });
    second.close();
    expect(fs.readFileSync(log, 'utf8')).not.toContain(' crash ');
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('makes its TLS key (mode 0600) on first start, prints its fingerprint, keeps it, and reloads a named certificate on SIGHUP', async () => {
    const dir = tempDir('parley-tls-cli-');
    const files = ['--log', path.join(dir, 'server.log'), '--db', path.join(dir, 'parley.db')];
    const first = run(SERVER, ['0', ...files]);
    const line = await first.waitFor(/^TLS key fingerprint /, 15_000); // the first start makes the key
    const fingerprint = /(SHA256:\S{43})/.exec(line)![1]!;
    expect(line).toBe(`TLS key fingerprint ${fingerprint} (self-signed, made now in ${path.join(dir, 'parley.db')}.cert.pem); plaintext accepted from this machine only`);
    expect(fs.statSync(path.join(dir, 'parley.db.key.pem')).mode & 0o777).toBe(0o600);
    expect(keyFingerprint(fs.readFileSync(path.join(dir, 'parley.db.cert.pem')))).toBe(fingerprint);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    const second = run(SERVER, ['0', ...files, '--require-tls']);
    expect(await second.waitFor(/^TLS key fingerprint /)).toBe(`TLS key fingerprint ${fingerprint} (self-signed, kept in ${path.join(dir, 'parley.db')}.cert.pem); plaintext refused`);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);

    // A named certificate, renewed in place, then SIGHUP.
    const one = await makeSelfSigned();
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    fs.writeFileSync(cert, one.cert);
    fs.writeFileSync(key, one.key);
    const third = run(SERVER, ['0', ...files, '--tls-cert', cert, '--tls-key', key]);
    const port = Number(/:(\d+);/.exec(await third.waitFor(/^parley-server listening on /))![1]);
    expect(await third.waitFor(/^TLS key fingerprint /)).toContain(keyFingerprint(one.cert));
    const two = await makeSelfSigned();
    fs.writeFileSync(cert, two.cert);
    fs.writeFileSync(key, two.key);
    third.child.kill('SIGHUP');
    expect(await third.waitFor(/^reloaded TLS certificate /)).toBe(`reloaded TLS certificate ${cert}; key fingerprint ${keyFingerprint(two.cert)}`);
    const w = await Wire.tls(port);
    expect(keyFingerprint(w.socket.getPeerCertificate().raw)).toBe(keyFingerprint(two.cert));
    w.close();
    third.child.kill('SIGTERM');
    expect(await third.exit).toBe(0);
  });

  it('serves IRC over TLS on --irc-tls-port with its certificate, under --irc-server-name, and says so', async () => {
    const server = run(SERVER, ['0', ...tmpFiles(), '--irc-tls-port', '0', '--irc-server-name', 'irc.example.org']);
    onTestFinished(() => void server.child.kill('SIGKILL'));
    // The first start makes the key: on a loaded machine that takes a while.
    const fingerprint = /fingerprint (SHA256:\S{43})/.exec(await server.waitFor(/^TLS key fingerprint /, 30_000))![1];
    const line = await server.waitFor(/^IRC gateway over TLS on /);
    const port = Number(/:(\d+);/.exec(line)![1]);
    expect(line).toContain(`/connect -tls 127.0.0.1 ${port}`);
    const c = await IrcClient.tls(port);
    expect(keyFingerprint(c.socket.getPeerCertificate().raw)).toBe(fingerprint);
    c.send('NICK bob');
    c.send('USER bob 0 * :Bob');
    expect(await c.next((m) => m.command === '001')).toMatchObject({ source: 'irc.example.org', params: ['bob', expect.any(String)] });
    c.close();
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('refuses --tls-cert without --tls-key in one line', async () => {
    const server = run(SERVER, ['0', ...tmpFiles(), '--tls-cert', '/tmp/x.pem']);
    expect(await server.exit).toBe(2);
    expect(server.stderr()).toBe('parley-server: --tls-cert and --tls-key go together: give both files, or neither for a self-signed certificate\n');
  });
});
