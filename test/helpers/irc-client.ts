import net from 'node:net';
import tls from 'node:tls';
import { SocketWaits } from './socket-waits.js';
import { parseLine, type IrcMessage } from '../../src/server/irc/codec.js';

/** A bare IRC client for gateway tests: raw lines out, parsed lines in, waits with deadlines. */
export class IrcClient extends SocketWaits {
  /** Every line received, raw (without CR LF), in order. */
  readonly raw: string[] = [];
  /** Parsed lines not yet taken by `next`. */
  readonly lines: IrcMessage[] = [];
  private buffer = Buffer.alloc(0);

  private constructor(socket: net.Socket) {
    super(socket);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      let nl: number;
      while ((nl = this.buffer.indexOf(0x0a)) !== -1) {
        const line = this.buffer.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        this.buffer = this.buffer.subarray(nl + 1);
        this.raw.push(line);
        const p = parseLine(line);
        // A relayed line someone sent whole may be longer than a client may send (the source in front):
        // it is kept in `raw` only, where tests that expect one read it.
        if (!p.ok && p.reason === 'too_long') continue;
        if (!p.ok) throw new Error(`the gateway sent a line that does not parse: ${JSON.stringify(line)}`);
        // Answer keepalive like any client would.
        if (p.message.command === 'PING' && this.autoPong) this.send(`PONG :${p.message.params[0] ?? ''}`);
        this.lines.push(p.message);
      }
      this.wake();
    });
  }

  autoPong = true;

  static connect(port: number, host = '127.0.0.1'): Promise<IrcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => resolve(new IrcClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connect over TLS (any certificate: the test checks the one presented itself). */
  static tls(port: number, host = '127.0.0.1'): Promise<IrcClient & { socket: tls.TLSSocket }> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => resolve(new IrcClient(socket) as IrcClient & { socket: tls.TLSSocket }));
      socket.once('error', reject);
    });
  }

  /** Connect, register with NICK/USER (and `before` lines first, e.g. PASS or CAP), and wait for 001 or a refusal. */
  static async register(port: number, nick: string, before: string[] = []): Promise<IrcClient> {
    const c = await IrcClient.connect(port);
    for (const l of before) c.send(l);
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick} the tester`);
    await c.next((m) => m.command === '001');
    await c.next((m) => m.command === '366');
    return c;
  }

  send(line: string): void {
    this.socket.write(line + '\r\n');
  }

  /** The first line (received so far or arriving) matching `pred`, removed from `lines`. */
  async next(pred: (m: IrcMessage) => boolean, timeoutMs = 5000): Promise<IrcMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex(pred);
      if (i !== -1) return this.lines.splice(i, 1)[0]!;
      if (this.closed) throw new Error(`closed before a matching line; got ${JSON.stringify(this.raw.slice(-20))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a line; got ${JSON.stringify(this.raw.slice(-20))}`);
      await this.wait(left);
    }
  }

  /** Everything the gateway sent before answering this PING has arrived. */
  async sync(): Promise<void> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    this.send(`PING ${token}`);
    await this.next((m) => m.command === 'PONG' && m.params[1] === token);
  }
}
