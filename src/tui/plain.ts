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
}

/** `HH:MM:SS` in local time. */
export function clock(time: number): string {
  const d = new Date(time);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** The line an event prints as, and where; null for events line mode does not show. */
export function formatPlain(ev: ChatEvent): { line: string; stream: 'out' | 'err' } | null {
  const out = (line: string) => ({ line, stream: 'out' as const });
  switch (ev.kind) {
    case 'welcome':
      return out(`* connected to ${ev.server} as ${ev.name}\n* ${ev.motd}\n* users (${ev.users.length}): ${ev.users.join(', ')}`);
    case 'message':
      return out(ev.action ? `${clock(ev.time)} * ${ev.from} ${ev.text}` : `${clock(ev.time)} <${ev.from}> ${ev.text}`);
    case 'whisper': {
      // `*bob*= psst`: the `=` marks a whisper that went over the direct link, not through the server.
      const mark = ev.direct === true ? '=' : '';
      return out(ev.outgoing ? `${clock(ev.time)} -> *${ev.to}*${mark} ${ev.text}` : `${clock(ev.time)} *${ev.from}*${mark} ${ev.text}`);
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
    case 'private_request':
      return out(`${clock(ev.time)} * ${ev.from} asks for a direct private chat: /allow ${ev.from} or /deny ${ev.from}`);
    case 'private':
      return out(`${clock(ev.time)} * ${ev.detail}`);
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
  const session = new Session({ name: o.name, host: o.host, port: o.port, mode: 'plain' }, show);
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
