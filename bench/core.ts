// The core's work per room line without sockets: a Hub with its real Store (a database file, the server's
// default history) and the NDJSON codec, N members in the default room, the bench's `say` lines handed to
// hub.receive as the host does, and per turn the commit the host runs before its flush. What is measured is
// parley's own work per line above the sockets (parse, rules, history, encoding, fan-out into the send
// queues); the outbox only keeps the frames of the turn, as a send queue would, and drops them at its end.
// Builds alternate within each round, so an A/B is taken in the same minutes on a shared machine.
//
//   node bench/dist/core.js [--build DIR]... [--n 10] [--per-turn 1,100] [--lines 50000] [--rounds 5]
//
// DIR is a checkout with a built dist/ (default: this one). `--per-turn 1`: one line a turn (open loop);
// 100: a saturated turn (the host reads many lines before it flushes).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchFlags, buildLabel, runAlternated } from './alternate.js';
import { makePayload } from './protocols.js';

interface StoreLike {
  commit(): void;
  close(): void;
}

interface HubLike {
  connect(id: number, ip: string, port: number): boolean;
  receive(id: number, line: string): void;
}

interface Build {
  label: string;
  Store: new (file: string) => StoreLike;
  Hub: new (out: { send(id: number, frame: Buffer): void; close(id: number): void }, opts: object) => HubLike;
  history: number;
}

function args(): { builds: string[]; n: number; perTurn: number[]; lines: number; rounds: number } {
  const { builds, one } = benchFlags();
  return {
    builds,
    n: Number(one('--n', '10')),
    perTurn: one('--per-turn', '1,100').split(',').map(Number),
    lines: Number(one('--lines', '50000')),
    rounds: Number(one('--rounds', '5')),
  };
}

async function load(dir: string): Promise<Build> {
  const dist = path.resolve(dir, 'dist');
  const imp = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(dist, file)).href)) as T;
  const { Store } = await imp<{ Store: Build['Store'] }>('server/store.js');
  const { Hub } = await imp<{ Hub: Build['Hub'] }>('server/hub.js');
  const { DEFAULT_HISTORY } = await imp<{ DEFAULT_HISTORY: number }>('wire/limits.js');
  return { label: buildLabel(dir), Store, Hub, history: DEFAULT_HISTORY };
}

/** CPU µs per line, and frames and bytes handed to the outbox per line, for `lines` lines said `perTurn` a turn. */
function measure(build: Build, file: string, n: number, perTurn: number, lines: number): { cpuUs: number; framesPerLine: number; bytesPerLine: number } {
  const store = new build.Store(file);
  let frames = 0;
  let bytes = 0;
  const queues = new Map<number, Buffer[]>();
  const out = {
    send(id: number, frame: Buffer): void {
      frames++;
      bytes += frame.length;
      let q = queues.get(id);
      if (q === undefined) queues.set(id, (q = []));
      q.push(frame);
    },
    close(): void {},
  };
  let clock = 1_700_000_000_000;
  const hub = new build.Hub(out, { store, historySize: build.history, ratePerSecond: 0, maxConnectionsPerIp: 0, clock: () => clock });
  for (let id = 1; id <= n; id++) {
    hub.connect(id, '127.0.0.1', 40_000 + id);
    hub.receive(id, JSON.stringify({ type: 'hello', name: `s${String(id).padStart(3, '0')}`, version: 2, grouped: true, usersOnce: true }));
  }
  const senders = Math.min(10, n);
  // The bench's say line and 64-byte payload (bench/protocols.ts).
  const line = (k: number): string => `{"type":"say","text":"${makePayload(1, k % senders, k, 1e12 + k)}"}`;
  let k = 0;
  const turn = (): void => {
    for (let i = 0; i < perTurn; i++, k++) hub.receive((k % senders) + 1, line(k));
    store.commit();
    for (const q of queues.values()) q.length = 0;
    clock += 1;
  };
  const turns = Math.ceil(lines / perTurn);
  for (let t = 0; t < Math.ceil(turns / 5); t++) turn(); // warm: compiled, statements prepared
  frames = 0;
  bytes = 0;
  const before = process.cpuUsage();
  for (let t = 0; t < turns; t++) turn();
  const used = process.cpuUsage(before);
  store.close();
  const said = turns * perTurn;
  return { cpuUs: (used.user + used.system) / said, framesPerLine: frames / said, bytesPerLine: bytes / said };
}

async function main(): Promise<void> {
  const opts = args();
  runAlternated({
    title: `core per room line, N = ${opts.n}, ${opts.lines} lines per measure`,
    tmpPrefix: 'parley-core-',
    builds: await Promise.all(opts.builds.map(load)),
    sizes: opts.perTurn,
    rounds: opts.rounds,
    sizeColumn: 'lines/turn',
    countColumns: 'frames/line\tbytes/line',
    measure: (b, file, perTurn) => {
      const r = measure(b, file, opts.n, perTurn, opts.lines);
      return { cpuUs: r.cpuUs, counts: `${r.framesPerLine.toFixed(2)}\t${r.bytesPerLine.toFixed(0)}` };
    },
  });
}

await main();
