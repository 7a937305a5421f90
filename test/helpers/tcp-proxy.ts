import net from 'node:net';

// A TCP proxy on a free loopback port in front of `target`: a test cuts it to act out a network outage
// between one process and another (a server and its Redis) while both keep running, and restores it.

export interface TcpProxy {
  port: number;
  /** Drop every connection through it and refuse new ones until restore(). */
  cut(): void;
  restore(): void;
  /** Hold what clients send (kept, not lost) until release(): the connections stay up, commands wait unanswered. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let refusing = false;
  const pipes = new Map<net.Socket, net.Socket>();
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    open.add(client).add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      pipes.delete(client);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    pipes.set(client, upstream);
    upstream.pipe(client);
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
    close() {
      for (const s of [...open]) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
