// The two wire protocols the load clients speak, behind one small adapter: what to send on connect, how to
// get from a fresh TCP connection to "in the room", how to say a room message, and how to answer the
// server's keepalive. Counting deliveries does not need a protocol at all: every room message carries a
// fixed-layout payload (below) that the receivers find by its marker, without parsing JSON or IRC.

/** `parley1`: parley's protocol version 1, for builds from before rooms (bench --parley-build). */
export type ProtoName = 'parley' | 'parley1' | 'irc';

/** The IRC channel that plays parley's one room. */
export const CHANNEL = '#bench';
/** Credentials of the [Operator] block in the generated ngircd.conf (senders become opers to get +F). */
export const OPER_NAME = 'bench';
export const OPER_PASSWORD = 'bench';

// ---- payload ------------------------------------------------------------------------------------------
// 64 bytes: "~B~" RRRR "|" SSSS "|" QQQQQQQQ "|" TTTTTTTTTTTTTTTT "|" then padding.
// R = run (one per measured step, so stragglers of an earlier step are not counted), S = sender index,
// Q = sequence number, T = send time in µs on the monotonic clock shared by all processes on the machine.

export const PAYLOAD_BYTES = 64;
/** The fields alone (marker to the last '|'): the shortest payload, and all a receiver needs to read. */
export const PAYLOAD_FIELDS_BYTES = 39;
export const MARKER = Buffer.from('~B~', 'latin1');
const RUN_AT = 3;
const SENDER_AT = 8;
const SEQ_AT = 13;
const TIME_AT = 22;


function digits(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A payload of `bytes` (≥ PAYLOAD_FIELDS_BYTES) bytes: the fields, then padding. */
export function makePayload(run: number, sender: number, seq: number, timeUs: number, bytes = PAYLOAD_BYTES): string {
  return `~B~${digits(run % 10_000, 4)}|${digits(sender, 4)}|${digits(seq % 100_000_000, 8)}|${digits(Math.floor(timeUs), 16)}|`.padEnd(bytes, 'x');
}

function readDigits(buf: Buffer, at: number, width: number): number {
  let n = 0;
  for (let i = at; i < at + width; i++) n = n * 10 + (buf[i]! - 48);
  return n;
}

/** Fields of the payload whose marker starts at `at` (the caller checks there are 64 bytes). */
export const payloadRun = (buf: Buffer, at: number): number => readDigits(buf, at + RUN_AT, 4);
export const payloadSender = (buf: Buffer, at: number): number => readDigits(buf, at + SENDER_AT, 4);
export const payloadSeq = (buf: Buffer, at: number): number => readDigits(buf, at + SEQ_AT, 8);
export const payloadTime = (buf: Buffer, at: number): number => readDigits(buf, at + TIME_AT, 16);

/** Microseconds on CLOCK_MONOTONIC: the same clock in every process, so sender and receiver agree. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

// ---- adapters -----------------------------------------------------------------------------------------

export interface HandshakeStep {
  /** Bytes to write back. */
  reply?: string;
  /** The client is now in the room. */
  joined?: boolean;
  /** The server refused us; the text says why. */
  error?: string;
}

export interface ProtocolAdapter {
  readonly name: ProtoName;
  /** Written as soon as the TCP connection is up. */
  greeting(nick: string): string;
  /**
   * One line (no line terminator) received before the client is in the room. With `enterRoom` false an
   * IRC client stops once registered, outside the channel (parley has no such state: hello enters the room).
   */
  handshake(line: string, nick: string, isSender: boolean, enterRoom: boolean): HandshakeStep;
  /** A room message carrying `payload`, ready to write. */
  say(payload: string): string;
  /** Marks a server keepalive inside a chunk of room traffic; cheap to search for. */
  readonly pingNeedle: Buffer;
  /** The answer to the keepalive found at `at` (the needle's position), or null if it is not one. */
  pong(buf: Buffer, at: number): string | null;
}

function lineAt(buf: Buffer, at: number): string {
  const nl = buf.indexOf(10, at);
  let end = nl < 0 ? buf.length : nl;
  if (end > at && buf[end - 1] === 13) end--;
  return buf.toString('utf8', at, end);
}

/** A parley reply to a keepalive, an error that ends the handshake, or nothing; both versions alike. */
function parleyHandshakeLine(line: string): HandshakeStep {
  let msg: { type?: unknown; token?: unknown; code?: unknown; message?: unknown };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    return { error: `not JSON: ${line.slice(0, 80)}` };
  }
  if (msg.type === 'ping') return { reply: JSON.stringify({ type: 'pong', token: msg.token }) + '\n' };
  if (msg.type === 'error' || msg.type === 'shutdown') return { error: `${String(msg.code ?? msg.type)}: ${String(msg.message ?? '')}` };
  return {};
}

const parleyPong = (buf: Buffer, at: number): string | null => {
  try {
    const msg = JSON.parse(lineAt(buf, at)) as { type?: unknown; token?: unknown };
    return msg.type === 'ping' ? JSON.stringify({ type: 'pong', token: msg.token }) + '\n' : null;
  } catch {
    return null;
  }
};

export const parley: ProtocolAdapter = {
  name: 'parley',
  // As parley's own client speaks: version 2, reading a busy room's grouped join and leave notices, and
  // taking the room's members from its `room` frame only (the welcome then leaves them out).
  greeting: (nick) => JSON.stringify({ type: 'hello', name: nick, version: 2, grouped: true, usersOnce: true }) + '\n',
  handshake(line) {
    // In the room once its members are here, as IRC's end of NAMES: the default room's `room` frame, which
    // follows the welcome. It lists the whole room, so it is told by its start, not parsed.
    if (line.startsWith('{"type":"room"')) return { joined: true };
    return parleyHandshakeLine(line);
  },
  say: (payload) => `{"type":"say","text":"${payload}"}\n`,
  pingNeedle: Buffer.from('{"type":"ping"', 'latin1'),
  pong: parleyPong,
};

/**
 * parley's protocol version 1, the only one a build from before rooms (before commit cff57a7) speaks: the
 * one room, entered by hello; the welcome lists its members, so it ends the handshake. Room messages are
 * said and delivered as in version 2 (without a room), so deliveries are counted the same way.
 */
export const parley1: ProtocolAdapter = {
  ...parley,
  name: 'parley1',
  greeting: (nick) => JSON.stringify({ type: 'hello', name: nick, version: 1 }) + '\n',
  handshake(line) {
    if (line.startsWith('{"type":"welcome"')) return { joined: true };
    return parleyHandshakeLine(line);
  },
};

/** Numerics that end a handshake badly (ERR_*), except 422 "MOTD missing", which is harmless. */
function isErrorNumeric(code: string): boolean {
  return /^[45]\d\d$/.test(code) && code !== '422';
}

export const irc: ProtocolAdapter = {
  name: 'irc',
  greeting: (nick) => `NICK ${nick}\r\nUSER ${nick} 0 * :parley bench\r\n`,
  handshake(line, nick, isSender, enterRoom) {
    if (line.startsWith('PING ')) return { reply: `PONG ${line.slice(5)}\r\n` };
    if (line.startsWith('ERROR')) return { error: line };
    const parts = line.split(' ');
    const code = line.startsWith(':') ? (parts[1] ?? '') : (parts[0] ?? '');
    if (code === '001' && !enterRoom) return { joined: true };
    if (code === '001') {
      // Senders become operators with user mode +F, which exempts them from ngIRCd's flood throttling
      // (parley runs with --no-rate-limit for the same reason).
      const oper = isSender ? `OPER ${OPER_NAME} ${OPER_PASSWORD}\r\nMODE ${nick} +F\r\n` : '';
      return { reply: `${oper}JOIN ${CHANNEL}\r\n` };
    }
    if (code === '366') return { joined: true }; // end of NAMES: in the channel, with the member list
    if (isErrorNumeric(code)) return { error: line };
    return {};
  },
  say: (payload) => `PRIVMSG ${CHANNEL} :${payload}\r\n`,
  pingNeedle: Buffer.from('PING ', 'latin1'),
  pong(buf, at) {
    if (at > 0 && buf[at - 1] !== 10) return null; // only at the start of a line
    return `PONG ${lineAt(buf, at).slice(5)}\r\n`;
  },
};

export function adapter(name: ProtoName): ProtocolAdapter {
  return name === 'parley' ? parley : name === 'parley1' ? parley1 : irc;
}
