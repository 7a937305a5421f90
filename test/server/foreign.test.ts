import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';

// Issue 12, item 7: a client of another protocol on the parley port gets one answer it can show, and the
// connection is closed — instead of a malformed_json per line and an open connection.

let server: RunningServer;
afterEach(() => server.close());

/** Everything the server writes until it closes the connection (or `ms` pass: then `closed` is false). */
function exchange(port: number, bytes: string, ms = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    let text = '';
    socket.on('data', (d) => (text += d.toString('utf8')));
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

describe('another protocol on the parley port', () => {
  it.each([
    ['a browser', 'GET / HTTP/1.1\r\nHost: localhost:7777\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n'],
    ['curl -X POST', 'POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'],
    ['an HTTP/1.0 HEAD', 'HEAD /index.html HTTP/1.0\r\n\r\n'],
  ])('%s gets one HTTP 400 saying this is a parley server, and is closed', async (_, request) => {
    server = await startServer({ port: 0 });
    const { text, closed } = await exchange(server.port, request);
    expect(closed).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(body).toBe('this port speaks parley (newline-delimited JSON over TCP), not HTTP: connect with the parley client or nc\n');
    expect(text).not.toContain('malformed_json');
  });

  it('an SSH client gets one not_parley error and is closed', async () => {
    server = await startServer({ port: 0 });
    const { text, closed } = await exchange(server.port, 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
    expect(closed).toBe(true);
    expect(text.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ type: 'error', code: 'not_parley', message: expect.stringContaining('not SSH') }]);
  });

  it.each([['CAP LS 302\r\nNICK alice\r\nUSER alice 0 * :Alice\r\n'], ['NICK alice\r\nUSER a 0 * :A\r\n']])('an IRC client (%j) gets one IRC ERROR and is closed', async (opening) => {
    server = await startServer({ port: 0 });
    const { text, closed } = await exchange(server.port, opening);
    expect(closed).toBe(true);
    expect(text).toBe('ERROR :this port speaks parley (newline-delimited JSON over TCP), not IRC\r\n');
  });

  it('a parley client whose text looks like HTTP later is not refused: only the first line is checked', async () => {
    server = await startServer({ port: 0 });
    const { text, closed } = await exchange(server.port, '{"type":"hello","name":"a","version":1}\nGET / HTTP/1.1\n', 500);
    expect(closed).toBe(false);
    expect(text).toContain('"welcome"');
    expect(text).toContain('malformed_json');
  });
});
