// A load-generating child process. It owns a share of the room's clients: it connects them, walks each
// through its protocol's handshake, answers keepalives, sends (if it holds senders) at an open-loop rate,
// and counts what its receivers get. The hot path works on raw Buffers: find the payload marker, read
// fixed-width digits, record the latency; no JSON.parse, no per-line strings.
import fs from 'node:fs';
import net from 'node:net';
import type { ClientSpec, FromWorker, ToWorker } from './ipc.js';
import { lineReader, MAX_CARRY, scan, type LineReader } from './receive.js';
import { Histogram } from './stats.js';
import {
  adapter,
  makePayload,
  nowUs,
  payloadRun,
  payloadSender,
  payloadTime,
  type ProtocolAdapter,
} from './protocols.js';

interface Client {
  nick: string;
  sender: number;
  socket: net.Socket;
  joined: boolean;
  dead: boolean;
  /** Partial line and layout between reads (the handshake's partial line too). */
  reader: LineReader;
}

/** Most messages one sender writes in one timer tick when it has fallen behind. */
const MAX_BATCH = 2000;
/**
 * Every socket of this worker reads into this one buffer (net.connect's `onread`): no Buffer per read and
 * no stream machinery per chunk. Safe because each chunk is consumed synchronously; partial lines are copied.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

let proto: ProtocolAdapter = adapter('parley');
let enterRoom = true;
let clients: Client[] = [];
const hist = new Histogram();
let run = -1;
let received = 0;
let stale = 0;
let firstUs = 0;
let lastUs = 0;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

function cpuTimes(): { cpuSec: number; sysSec: number; sleeps: number } {
  const u = process.cpuUsage();
  return { cpuSec: (u.user + u.system) / 1e6, sysSec: u.system / 1e6, sleeps: voluntarySwitches() };
}

/** voluntary_ctxt_switches of this process (all threads of the main one; the event loop is one thread). */
function voluntarySwitches(): number {
  try {
    return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** The client whose read scan() is going through, and the time of that read (0: not read yet). */
let reading: Client | undefined;
let readAt = 0;

/** Room traffic for a joined client: count and time every payload of the current run, answer keepalives. */
function traffic(c: Client, chunk: Buffer): void {
  reading = c;
  readAt = 0;
  scan(c.reader, chunk, proto.pingNeedle, onPayload, onKeepalive);
}

function onPayload(buf: Buffer, at: number): void {
  if (payloadRun(buf, at) !== run) stale++;
  else if (payloadSender(buf, at) !== reading!.sender) {
    // parley echoes a message to its sender; IRC does not. Both count the N-1 deliveries to others.
    if (readAt === 0) readAt = nowUs();
    received++;
    hist.record(readAt - payloadTime(buf, at));
    if (firstUs === 0) firstUs = readAt;
    lastUs = readAt;
  }
}

function onKeepalive(buf: Buffer, at: number): void {
  const reply = proto.pong(buf, at);
  if (reply !== null) reading!.socket.write(reply);
}

function connectAll(msg: Extract<ToWorker, { cmd: 'connect' }>): void {
  proto = adapter(msg.proto);
  enterRoom = msg.enterRoom;
  const total = msg.clients.length;
  // At most `maxInFlight` handshakes at once (0: everyone at once, the join storm).
  const limit = msg.maxInFlight > 0 ? msg.maxInFlight : Infinity;
  const errors: string[] = [];
  let joined = 0;
  let failed = 0;
  let lastJoinUs = 0;
  const connectUs: number[] = [];
  const joinUs: number[] = [];
  let next = 0;
  let inFlight = 0;
  let done = false;
  const failedSpecs: ClientSpec[] = [];

  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    // Failed clients are forgotten here; the orchestrator may connect them again.
    clients = clients.filter((c) => c.joined && !c.dead);
    send({ ev: 'connected', id: msg.id, joined, failed, lastJoinUs, connectUs, joinUs, errors: errors.slice(0, 5), failedSpecs, ...cpuTimes() });
  };
  const settled = (): void => {
    inFlight--;
    if (joined + failed >= total) finish();
    else launch();
  };
  const launch = (): void => {
    while (inFlight < limit && next < total && !done) {
      const spec = msg.clients[next++]!;
      inFlight++;
      const c = makeClient(spec, msg.host, msg.port, {
        onConnected() {
          connectUs.push(nowUs());
        },
        onJoined() {
          joined++;
          lastJoinUs = nowUs();
          joinUs.push(lastJoinUs);
          settled();
        },
        onFail(why) {
          if (errors.length < 5) errors.push(`${spec.nick}: ${why}`);
          failed++;
          failedSpecs.push(spec);
          settled();
        },
      });
      clients.push(c);
    }
  };
  const timer = setTimeout(() => {
    // Whoever has not joined by now counts as failed and is dropped; whoever has not started, too.
    for (const c of clients) {
      if (!c.joined && !c.dead) {
        c.dead = true;
        c.socket.destroy();
        failed++;
        failedSpecs.push({ nick: c.nick, sender: c.sender });
      }
    }
    failed += total - next;
    failedSpecs.push(...msg.clients.slice(next));
    if (errors.length < 5) errors.push(`timed out after ${msg.timeoutMs} ms`);
    finish();
  }, msg.timeoutMs);

  if (total === 0) finish();
  else launch();
}

function makeClient(spec: ClientSpec, host: string, port: number, on: { onConnected(): void; onJoined(): void; onFail(why: string): void }): Client {
  const socket = net.connect({
    host,
    port,
    onread: {
      buffer: READ_BUFFER,
      callback: (nread: number, buf: Uint8Array): boolean => {
        onData(c, Buffer.from(buf.buffer, buf.byteOffset, nread));
        return true;
      },
    },
  });
  const c: Client = { nick: spec.nick, sender: spec.sender, socket, joined: false, dead: false, reader: lineReader() };
  socket.setNoDelay(true);
  socket.on('connect', () => {
    on.onConnected();
    socket.write(proto.greeting(c.nick));
  });
  const lost = (why: string): void => {
    if (c.dead) return;
    c.dead = true;
    if (!c.joined) on.onFail(why);
  };
  socket.on('error', (err) => lost(err.message));
  socket.on('close', () => lost('closed by the server'));
  const onData = (c: Client, chunk: Buffer): void => {
    if (c.joined) return traffic(c, chunk);
    // Handshake: line by line until the server says we are in the room; the rest is room traffic.
    let buf = c.reader.carry === null ? chunk : Buffer.concat([c.reader.carry, chunk]);
    c.reader.carry = null;
    let pos = 0;
    while (!c.joined && !c.dead) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      let end = nl;
      if (end > pos && buf[end - 1] === 13) end--;
      const step = proto.handshake(buf.toString('utf8', pos, end), c.nick, c.sender >= 0, enterRoom);
      pos = nl + 1;
      if (step.reply !== undefined) socket.write(step.reply);
      if (step.error !== undefined) {
        lost(step.error);
        socket.destroy();
        return;
      }
      if (step.joined === true) {
        c.joined = true;
        on.onJoined();
      }
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      if (c.joined) traffic(c, rest);
      else if (rest.length <= MAX_CARRY) c.reader.carry = Buffer.from(rest);
      else {
        lost('handshake line too long');
        socket.destroy();
      }
    }
  };
  return c;
}

function startStep(msg: Extract<ToWorker, { cmd: 'start' }>): void {
  run = msg.run % 10_000;
  received = 0;
  stale = 0;
  firstUs = 0;
  lastUs = 0;
  hist.reset();
  send({ ev: 'started', id: msg.id, ...cpuTimes() });

  const senders = clients.filter((c) => c.sender >= 0 && c.joined && !c.dead);
  if (senders.length === 0) return;
  const intervalUs = 1e6 / msg.ratePerSender;
  const perSender = Math.floor((msg.durationMs / 1000) * msg.ratePerSender);
  const endUs = msg.startUs + msg.durationMs * 1000;
  // Stagger the senders across one interval so they do not all fire on the same tick.
  const state = senders.map((c, i) => ({ c, seq: 0, due: msg.startUs + (msg.stagger ? (i * intervalUs) / senders.length : 0) }));
  let maxLagUs = 0;
  const tick = (): void => {
    const now = nowUs();
    for (const s of state) {
      if (s.c.dead) continue;
      let out = '';
      let n = 0;
      while (s.seq < perSender && s.due <= now && n < MAX_BATCH) {
        if (now - s.due > maxLagUs) maxLagUs = now - s.due;
        out += proto.say(makePayload(run, s.c.sender, s.seq, now, msg.payloadBytes));
        s.seq++;
        s.due += intervalUs;
        n++;
      }
      if (out !== '') s.c.socket.write(out);
    }
    const finished = state.every((s) => s.seq >= perSender || s.c.dead);
    if (finished || now > endUs + 5_000_000) {
      clearInterval(timer);
      const sent = state.reduce((a, s) => a + s.seq, 0);
      send({ ev: 'sent', id: msg.id, run: msg.run, sent, target: perSender * state.length, maxLagMs: maxLagUs / 1000 });
    }
  };
  const timer = setInterval(tick, 1);
}

process.on('message', (raw: unknown) => {
  const msg = raw as ToWorker;
  switch (msg.cmd) {
    case 'connect':
      return connectAll(msg);
    case 'start':
      return startStep(msg);
    case 'count':
      return send({ ev: 'count', id: msg.id, received, dead: clients.filter((c) => c.dead).length });
    case 'collect':
      return send({
        ev: 'collected',
        id: msg.id,
        received,
        stale,
        dead: clients.filter((c) => c.dead).length,
        firstUs,
        lastUs,
        hist: hist.sparse(),
        maxUs: hist.max,
        ...cpuTimes(),
      });
    case 'close':
      for (const c of clients) {
        c.dead = true;
        c.socket.destroy();
      }
      clients = [];
      return send({ ev: 'closed', id: msg.id });
    case 'exit':
      for (const c of clients) c.socket.destroy();
      process.exit(0);
  }
});

process.on('disconnect', () => process.exit(0));
send({ ev: 'ready', pid: process.pid });
