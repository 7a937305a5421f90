// Where a perf profile of parley-server spent its samples, by the part of the server that did the work:
// each sample goes to the innermost frame of its stack that names a part (so JSON.parse called from the
// request check counts as JSON.parse, a scavenge inside encoding as GC). Takes `perf script` output of a
// server run with --perf-basic-prof (node bench/dist/run.js --profile with BENCH_PERF=FILE records one):
//
//   perf script -i FILE | node bench/dist/perfsplit.js [--lines N]
//
// `--lines N`: room lines the server handled while recorded (the step's messages), to print µs per line
// as well (from the samples' period, i.e. CPU time on all the server's threads).
//
// Caveat: --perf-basic-prof never retracts a name, so a JIT address that V8 reused after a collection may
// carry an older function's name; native frames (SQLite, V8's JSON, the kernel) are always right. Read the
// JavaScript split beside a --cpu-prof profile of the same load (node bench/dist/run.js --profile).
import { createInterface } from 'node:readline';

/** Parts of the server, tried in order on each frame from the innermost out; the first that matches names it. */
const PARTS: [string, RegExp][] = [
  ['GC', /Scavenge|MarkCompact|ConcurrentMarking|Sweeper|Heap::|MinorMC|MemoryAllocator|IncrementalMarking/],
  // insertHistory is inlined into the transaction's callback once optimised, so its samples show the wrapper.
  ['history write (INSERT statements, BEGIN/COMMIT, WAL)', /JS:.*(insertHistory|writeHistory|sqliteTransaction|addHistory)|JS:.*store\.js/],
  ['JSON.parse', /Builtin_JsonParse|JsonParser/],
  ['request check (parseWith)', /JS:.*(parseWith|parseClientMessage|decodeRequest)/],
  ['frame encoding (JSON.stringify, Buffer.from)', /JS:.*(encodeFrame|lastOne|encodeNdjson)/],
  ['line split and UTF-8 check (FrameDecoder)', /JS:.*frame\.js:\d+:\d+|JS:.*(endLine|isBlank)/],
  ['sanitise and length check', /JS:.*(checkText|sanitizeText|cleanText)/],
  ['fan-out into send queues (Room, outbox.send)', /JS:.*(fanout|publish|deliver)|JS:.*host\.js.*send|JS:.*context\.js.*(send|echo)/],
  ['socket write (flush, Writable, write())', /JS:.*(flushAll|writeOrBuffer|Writable|_write|writeGeneric|writev|handleWriteReq)|JS:.*host\.js:\d+:\d+ *$|ksys_write|__x64_sys_write|tcp_sendmsg/],
  ['socket read (Readable, read())', /JS:.*(onRead|Readable|Socket\.read|onStreamRead|flow|resume_)|ksys_read|tcp_recvmsg/],
  ['say rules (talk.ts, hub.handle)', /JS:.*(talk\.js|hub\.js|context\.js)/],
  ['host pump (host.ts)', /JS:.*host\.js/],
  ['epoll and the event loop', /uv__io_poll|epoll_wait|uv_run|processImmediate|processTimers/],
];

const PRUNE = /JS:.*(pruneHistory|pruneGrown)/;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const linesAt = argv.indexOf('--lines');
  const lines = linesAt >= 0 ? Number(argv[linesAt + 1]) : 0;
  const totals = new Map<string, number>();
  let all = 0;
  let period = 0;
  let stack: string[] = [];
  const finish = (): void => {
    if (stack.length === 0) return;
    // A prune's statements run through the same wrappers as the inserts: it is told apart by its caller.
    let part = stack.some((f) => PRUNE.test(f)) ? 'history prune (DELETE)' : 'other';
    for (const frame of part === 'other' ? stack : []) {
      const found = PARTS.find(([, re]) => re.test(frame));
      if (found) {
        part = found[0];
        break;
      }
    }
    totals.set(part, (totals.get(part) ?? 0) + period);
    all += period;
    stack = [];
  };
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') {
      finish();
      continue;
    }
    if (!line.startsWith('\t') && !line.startsWith(' ')) {
      // A sample's header: "comm pid time: period event:"
      finish();
      const m = /:\s+(\d+)\s+[\w-]+(?::\w+)?:\s*$/.exec(line);
      period = m ? Number(m[1]) : 1;
      continue;
    }
    // "\t    addr symbol (dso)"
    const frame = line.trim().replace(/^[0-9a-f]+\s+/, '');
    stack.push(frame);
  }
  finish();
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  console.log(`part\tshare of samples${lines > 0 ? '\tµs per line' : ''}`);
  for (const [part, n] of rows) {
    console.log(`${part}\t${((100 * n) / all).toFixed(1)}%${lines > 0 ? `\t${(n / 1000 / lines).toFixed(2)}` : ''}`);
  }
  console.log(`total\t100%${lines > 0 ? `\t${(all / 1000 / lines).toFixed(2)}` : ''}`);
}

await main();
