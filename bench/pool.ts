// The orchestrator's side of the worker processes: fork them, send commands, await typed replies (each
// with a time limit, so a stuck worker fails the run instead of hanging it).
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker } from './ipc.js';

type Ev = FromWorker['ev'];
type Reply<E extends Ev> = Extract<FromWorker, { ev: E }>;

interface Waiter {
  resolve(msg: FromWorker): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export class WorkerHandle {
  private readonly waiters = new Map<string, Waiter>();
  private exited = false;

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
  ) {
    child.on('message', (raw: unknown) => {
      const msg = raw as FromWorker;
      const key = `${msg.ev}:${'id' in msg ? msg.id : ''}`;
      const w = this.waiters.get(key);
      if (!w) return;
      this.waiters.delete(key);
      clearTimeout(w.timer);
      w.resolve(msg);
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const w of this.waiters.values()) {
        clearTimeout(w.timer);
        w.reject(new Error(`load worker ${index} exited (${signal ?? code})`));
      }
      this.waiters.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** A promise for the worker's `ev` reply carrying `id` (register before sending the command). */
  expect<E extends Ev>(ev: E, id: number | '', timeoutMs: number): Promise<Reply<E>> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`load worker ${this.index} has exited`));
      const key = `${ev}:${id}`;
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`load worker ${this.index}: no "${ev}" reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, { resolve: resolve as (m: FromWorker) => void, reject, timer });
    });
  }

  post(msg: ToWorker): void {
    if (!this.exited) this.child.send(msg);
  }
}

export class Pool {
  private nextId = 1;

  private constructor(readonly workers: WorkerHandle[]) {}

  static async start(count: number): Promise<Pool> {
    const script = path.join(here, 'worker.js');
    // BENCH_WORKER_PROF=DIR profiles the workers themselves (to check the generator is not the limit).
    const prof = process.env.BENCH_WORKER_PROF;
    const execArgv = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
    const workers = Array.from({ length: count }, (_, i) => new WorkerHandle(i, fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
    await Promise.all(workers.map((w) => w.expect('ready', '', 10_000)));
    return new Pool(workers);
  }

  id(): number {
    return this.nextId++;
  }

  /** Send one command to every worker (or those given) and await each one's reply of kind `ev`. */
  async all<E extends Ev>(make: (id: number, w: WorkerHandle) => ToWorker, ev: E, timeoutMs: number, only?: WorkerHandle[]): Promise<Array<Reply<E>>> {
    const targets = only ?? this.workers;
    const id = this.id();
    const replies = targets.map((w) => w.expect(ev, id, timeoutMs));
    for (const w of targets) w.post(make(id, w));
    return Promise.all(replies);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
            const t = setTimeout(() => w.child.kill('SIGKILL'), 3000);
            w.child.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            w.post({ cmd: 'exit' });
          }),
      ),
    );
  }
}
