import readline from 'node:readline';
import { LEAVE_WORDS, type ChatEvent } from './core/events.js';
import { ParleyError } from './core/errors.js';
import { Session } from './core/session.js';

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
  /** From PARLEY_PASSWORD or --password-file: given once when the server asks for a password or on /register. */
  password?: string;
}

/** `HH:MM:SS` in local time. */
export function clock(time: number): string {
  const d = new Date(time);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `YYYY-MM-DD HH:MM:SS` in local time, for times that may be days old. */
export function dateTime(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${clock(time)}`;
}

/** The line an event prints as, and where; null for events line mode does not show. */
export function formatPlain(ev: ChatEvent): { line: string; stream: 'out' | 'err' } | null {
  const out = (line: string) => ({ line, stream: 'out' as const });
  switch (ev.kind) {
    case 'welcome':
      return out(
        `* connected to ${ev.server} as ${ev.name}${ev.account ? ' (logged in)' : ''}\n* ${ev.motd}\n* users (${ev.users.length}): ${ev.users.join(', ')}` +
          (ev.blocked.length > 0 ? `\n* blocked: ${ev.blocked.join(', ')}` : ''),
      );
    case 'message': {
      const when = clock(ev.time) + (ev.history ? ' [history]' : '');
      return out(ev.action ? `${when} * ${ev.from} ${ev.text}` : `${when} <${ev.from}> ${ev.text}`);
    }
    case 'whisper': {
      if (ev.outgoing) return out(`${clock(ev.time)} -> *${ev.to}* ${ev.text}${ev.stored ? ` [stored: ${ev.to} is offline and gets it at next login]` : ''}`);
      return out(`${clock(ev.time)}${ev.late ? ' [late]' : ''} *${ev.from}* ${ev.text}`);
    }
    case 'joined':
      return out(`${clock(ev.time)} * ${ev.name} has joined`);
    case 'left':
      return out(`${clock(ev.time)} * ${ev.name} has left (${LEAVE_WORDS[ev.reason]}${ev.message ? ': ' + ev.message : ''})`);
    case 'renamed':
      return out(ev.self ? `${clock(ev.time)} * you are now known as ${ev.new}` : `${clock(ev.time)} * ${ev.old} is now known as ${ev.new}`);
    case 'users':
      return out(`* users (${ev.users.length}): ${ev.users.join(', ')}`);
    case 'help':
      return out(ev.lines.join('\n'));
    case 'error':
      return { line: `parley: ${ev.text}`, stream: 'err' };
    case 'shutdown':
      return out(`* the server is going down: ${ev.reason}`);
    case 'registered':
      return out(`* registered ${ev.name}: from now on this name needs its password`);
    case 'seen': {
      const what = ev.since === undefined ? 'online' : `online or seen in the last ${ev.since} s`;
      const names = ev.users.map((u) => (u.online ? u.name : `${u.name} (last seen ${u.lastSeen === undefined ? '?' : dateTime(u.lastSeen)})`));
      return out(`* ${what} (${names.length}): ${names.length > 0 ? names.join(', ') : 'nobody'}`);
    }
    case 'blocks':
      return out(`* blocked: ${ev.names.length > 0 ? ev.names.join(', ') : 'nobody'}`);
    case 'signed_out':
    case 'status':
    case 'pending':
      return null;
  }
}

/** Run line mode until input ends or /quit. Resolves with the exit code; ParleyErrors reject. */
export async function runPlain(o: PlainOptions): Promise<number> {
  const show = (ev: ChatEvent) => {
    if (o.json) {
      if (ev.kind !== 'status' && ev.kind !== 'pending') o.out(JSON.stringify({ event: ev.kind, ...ev, kind: undefined }));
      return;
    }
    const f = formatPlain(ev);
    if (f) (f.stream === 'out' ? o.out : o.err)(f.line);
  };
  // The password is offered once: a wrong one is not retried in a loop against the lockout.
  let offered = false;
  const askPassword = async (): Promise<string | undefined> => {
    if (offered || o.password === undefined) return undefined;
    offered = true;
    return o.password;
  };
  const session = new Session({ name: o.name, host: o.host, port: o.port, mode: 'plain', askPassword }, show);
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
