import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { tempDir } from './tmp.js';

// A real redis-server (Debian's package) for cluster tests: on a free loopback port, in its own temp dir.
// Without `durable` it keeps nothing on disk; with it, it writes an append-only file fsynced at every
// write (what the README recommends for a cluster), so a restart keeps every acknowledged write.

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  pid: number;
  /** Stop it (SIGTERM: with `durable`, the AOF is complete) and wait for it to exit. */
  stop(): Promise<void>;
  /** kill -9 and wait for it to exit. */
  kill(): Promise<void>;
  /** Start it again on the same port and dir (after stop or kill). */
  restart(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Launched {
  child: ChildProcess;
  exit: Promise<void>;
}

function launch(port: number, dir: string, durable: boolean): Promise<Launched> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', '', '--protected-mode', 'no'];
  args.push(...(durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start in 10 s:\n${out}`)), 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err) => fail(new Error(`cannot run redis-server (apt-get install redis-server): ${err.message}`)));
    void exit.then(() => fail(new Error(`redis-server exited:\n${out}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!exited && /Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve({ child, exit });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  });
}

/** Start a redis-server for one test file; stop() it in afterAll. */
export async function startRedis(opts: { durable?: boolean } = {}): Promise<RedisServer> {
  const dir = tempDir('parley-redis-');
  const durable = opts.durable ?? false;
  let port = 0;
  let child: Launched | undefined;
  for (let attempt = 0; !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, durable);
    } catch (err) {
      if (attempt >= 3) throw err; // the port was taken between the probe and the start: try another
    }
  }
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    dir,
    get pid() {
      return child!.child.pid!;
    },
    async stop() {
      child!.child.kill('SIGTERM');
      await child!.exit;
    },
    async kill() {
      child!.child.kill('SIGKILL');
      await child!.exit;
    },
    async restart() {
      child = await launch(port, dir, durable);
    },
  };
  return server;
}
