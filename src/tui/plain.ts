import readline from 'node:readline';
import type { ChatEvent } from './core/events.js';
import { ParleyError } from './core/errors.js';
import { Session, type PasswordRequest, type SessionOptions } from './core/session.js';
import { askPasswordOnTerminal, passwordPrompt, type AskTerminal } from './screen/askpass.js';
import { formatPlain } from './format.js';
import type { ChatLog } from './log/chatlog.js';
import { logWhere, logged } from './log/record.js';

// Line mode: one line in, one event out, for pipes, scripts and people who like it plain. The output
// format is documented in the README ("Line mode") and is stable; --json writes each ChatEvent as NDJSON.

export interface PlainOptions {
  name: string;
  host: string;
  port: number;
  json: boolean;
  input: NodeJS.ReadableStream;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Show the one-line hint about /help (on a terminal). */
  hint: boolean;
  /** Print the room messages replayed on joining (--no-history: false). Default true. */
  history?: boolean;
  /** --reconnect: come back after a lost connection and send what was typed meanwhile, once. */
  reconnect?: boolean;
  /** From PARLEY_PASSWORD or --password-file: given once when the server asks for a password or on /register. */
  password?: string;
  /** When stdin is a terminal: where to ask for a password without echo if none was given. */
  terminal?: AskTerminal;
  /** Where conversations are logged; none when logging is off. */
  log?: ChatLog;
  /** The config's highlight words (a highlight shows as `mention: true` in --json). */
  highlight?: readonly string[];
  /** TLS and trust: --tls, --trust, and the terminal's question about a new server (see SessionOptions). */
  tls?: SessionOptions['tls'];
  trust?: string;
  askTrust?: SessionOptions['askTrust'];
  knownServers?: SessionOptions['knownServers'];
  /** Rooms to join once connected (the config's per-server `rooms`). */
  rooms?: readonly string[];
}


/** Run line mode until input ends or /quit. Resolves with the exit code; ParleyErrors reject. */
export async function runPlain(o: PlainOptions): Promise<number> {
  let away = false;
  const show = (ev: ChatEvent) => {
    if (ev.kind === 'message' && ev.history && o.history === false) return;
    if (ev.kind === 'status') {
      // With --reconnect, one line when the connection is lost; the welcome line says when it is back.
      if (ev.status === 'reconnecting' && !away && !o.json) o.err(`parley: ${ev.detail}`);
      away = ev.status === 'reconnecting';
    }
    if (o.json) {
      if (ev.kind !== 'status' && ev.kind !== 'pending') o.out(JSON.stringify({ event: ev.kind, ...ev, kind: undefined }));
      return;
    }
    const f = formatPlain(ev);
    if (f) (f.stream === 'out' ? o.out : o.err)(f.line);
  };
  // A password from the environment or a file is offered once to log in (a wrong one is not retried in a
  // loop against the lockout) and is its own confirmation for /register. Without one, on a terminal, it
  // is asked without echo (on stderr, so stdout stays the event stream); in a pipe there is nobody to ask.
  let offered = false;
  const askPassword = async (r: PasswordRequest): Promise<string | undefined> => {
    // The given password is the account's: its own confirmation for /register, the current one for
    // /password and /logout. A new password for /password is asked on a terminal only.
    if (o.password !== undefined && r.purpose !== 'new') {
      if (r.purpose === 'register' || r.purpose === 'current') return o.password;
      if (offered) return undefined;
      offered = true;
      return o.password;
    }
    if (!o.terminal) return undefined;
    const term = o.terminal;
    // The line reader must not also read what is typed here: it would be sent as a message.
    const readers = term.input.listeners('data') as ((chunk: Buffer) => void)[];
    for (const f of readers) term.input.off('data', f);
    try {
      return await askPasswordOnTerminal(term, `${r.why && r.purpose === 'login' ? r.why + '\n' : ''}${passwordPrompt(r)}: `);
    } finally {
      for (const f of readers) term.input.on('data', f);
      term.input.resume();
    }
  };
  // Line mode prints each line at once: its chat log line is written out first (logged, showsAtOnce).
  const session = new Session({ name: o.name, host: o.host, port: o.port, tls: o.tls, trust: o.trust, askTrust: o.askTrust, knownServers: o.knownServers, mode: 'plain', askPassword, ...(o.reconnect && { reconnect: true }), ...(o.rooms && { rooms: o.rooms }) }, logged(o.log, show, true));
  session.core.logWhere = logWhere(o.log);
  session.core.highlightWords = o.highlight ?? [];
  await session.start();
  if (o.hint) o.err('parley: type a line to talk, /help for commands, /quit or Ctrl+D to leave');

  const lines = readline.createInterface({ input: o.input, crlfDelay: Infinity, terminal: false });
  let quitting = false;
  const inputDone = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (quitting) return;
      if (session.input(line)) {
        quitting = true;
        lines.close();
      }
    });
    lines.on('close', resolve);
  });

  // Whichever comes first: input ends (send what is left, then quit), or the server goes away.
  const ended = await Promise.race([inputDone.then(() => 'input' as const), session.done.then(() => 'session' as const)]);
  if (ended === 'input' && !quitting) await session.finish();
  await session.done; // rejects with connection_lost if the server went away first
  lines.close();
  return 0;
}

export { ParleyError };
export { clock, formatPlain } from './format.js';
