import net from 'node:net';

// A TCP proxy on a free loopback port in front of `target`: a test cuts it to act out a network outage
// between one process and another (a server and its Redis) while both keep running, and restores it; or
// holds one direction, or the answers on some of its connections only (a cluster server's journal reader
// lagging while its commands go through).

export interface TcpProxy {
  port: number;
  /** Drop every connection through it and refuse new ones until restore(). */
  cut(): void;
  restore(): void;
  /** Hold what clients send (kept, not lost) until release(): the connections stay up, commands wait unanswered. */
  hold(): void;
  release(): void;
  /**
   * Hold what the target answers on the connections whose client sent bytes matching `sender` (say a Redis
   * client's CLIENT SETNAME: READER_CONNECTION), those open and those to come; kept, and delivered in
   * order by releaseAnswers(). The other connections go on.
   */
  holdAnswers(sender: RegExp): void;
  releaseAnswers(): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let refusing = false;
  const pipes = new Map<net.Socket, net.Socket>();
  let holding: RegExp | undefined;
  /** Per client connection: the first bytes it sent (what holdAnswers matches), and the answers held for it. */
  const answers = new Map<net.Socket, { sent: string; held: Buffer[] }>();
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    open.add(client).add(upstream);
    const state = { sent: '', held: [] as Buffer[] };
    answers.set(client, state);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      pipes.delete(client);
      answers.delete(client);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (d: Buffer) => {
      if (state.sent.length < 1024) state.sent += d.toString('latin1', 0, 1024);
    });
    client.pipe(upstream);
    pipes.set(client, upstream);
    upstream.on('data', (d: Buffer) => {
      if (holding?.test(state.sent)) state.held.push(d);
      else client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      refusing = true;
      for (const s of [...open]) s.destroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
    hold() {
      for (const [client, upstream] of pipes) client.unpipe(upstream);
    },
    release() {
      for (const [client, upstream] of pipes) client.pipe(upstream);
    },
    holdAnswers(sender) {
      holding = sender;
    },
    releaseAnswers() {
      holding = undefined;
      for (const [client, state] of answers) for (const d of state.held.splice(0)) client.write(d);
    },
    close() {
      for (const s of [...open]) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
