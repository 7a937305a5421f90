import { randomBytes } from 'node:crypto';
import { helpLines, helpRow, parseInput, findCommand, usage } from '../../wire/commands.js';
import { LEAVE_REASONS, type ClientMessage, type ServerMessage } from '../../wire/messages.js';
import { compareNames, foldName } from '../../wire/names.js';
import { sanitizeText } from '../../wire/sanitize.js';
import type { ChatEvent } from './events.js';
import { highlighter } from '../notify/highlight.js';

// The client's chat state and command rules, with no socket and no timer: typed lines and server frames go
// in, frames to send and events to show come out. Session wires it to a connection; tests drive it directly.

export interface Outcome {
  send: ClientMessage[];
  events: ChatEvent[];
  /** The user asked to leave. */
  quit?: boolean;
  /** /register: the session must get a password (asked without echo, or from the environment) and call register(). */
  needPassword?: 'register';
}

/** Which renderer asks; help mentions keys only where there are keys. */
export type Mode = 'plain' | 'tui';

export class ClientCore {
  /** The name the server knows us by (or the one we asked for, before the welcome). */
  name: string;
  users: string[] = [];
  lastWhisperFrom: string | undefined;
  /** Logged in to a registered name. */
  account = false;
  /** Resumes this login after a dropped connection without the password. */
  token: string | undefined;
  /** Names we block, as the server last told us. */
  blocked: string[] = [];
  private nextRef = 1;
  /** What /log answers: where this session's conversations are logged, or that logging is off. */
  logWhere = 'chat logs are off (turn them on with [log] enabled = true in the config file)';
  /** Highlights besides our own name: the config's `highlight` words. */
  highlightWords: readonly string[] = [];

  /**
   * `refPrefix` makes this client's refs unique among everyone who ever uses the same name: the server
   * recognises a resent line by (name, ref), so another process starting again at ref 1 must not match.
   */
  constructor(
    name: string,
    private readonly mode: Mode,
    private readonly refPrefix = randomBytes(4).toString('hex') + '-',
  ) {
    this.name = name;
  }

  /** The hello to send: with the session token when we have one, or with `password` when asked for it. */
  hello(password?: string): ClientMessage {
    return {
      type: 'hello',
      name: this.name,
      // Version 1 until this client shows rooms: the server then keeps it in the default room.
      version: 1,
      ref: 'hello',
      ...(password !== undefined ? { password } : this.token !== undefined && { token: this.token }),
    };
  }

  /** The register request, once the session has the password /register asked for. */
  register(password: string): Extract<ClientMessage, { type: 'register' }> {
    return { type: 'register', password, ref: this.refPrefix + String(this.nextRef++) };
  }

  /** One line the user typed. */
  input(line: string): Outcome {
    const parsed = parseInput(line);
    switch (parsed.kind) {
      case 'empty':
        return none();
      case 'error':
        return { send: [], events: [{ kind: 'error', text: parsed.message }] };
      case 'say':
        return this.request({ type: 'say', text: parsed.text });
    }
    const a = parsed.args;
    switch (parsed.name) {
      case 'help': {
        if (a.command !== undefined) {
          const spec = findCommand(a.command);
          if (!spec) return { send: [], events: [{ kind: 'error', text: `no command "${a.command}"; /help lists them all` }] };
          const [use, summary] = helpRow(spec, this.mode === 'tui');
          return { send: [], events: [{ kind: 'help', lines: [`${use}  ${summary}`] }] };
        }
        return { send: [], events: [{ kind: 'help', lines: helpLines(this.mode === 'tui') }] };
      }
      case 'nick':
        return this.request({ type: 'nick', name: a.name! });
      case 'list':
        return this.request({ type: 'list' });
      case 'w':
        return this.request({ type: 'whisper', to: a.name!, text: a.text! });
      case 'r':
        if (this.lastWhisperFrom === undefined) {
          return { send: [], events: [{ kind: 'error', text: 'no one has whispered you yet; use /w NAME text' }] };
        }
        return this.request({ type: 'whisper', to: this.lastWhisperFrom, text: a.text! });
      case 'me':
        return this.request({ type: 'say', text: a.action!, action: true });
      case 'private':
        return this.request({ type: 'private', to: a.name! });
      case 'allow':
        return this.request({ type: 'allow', name: a.name! });
      case 'deny':
        return this.request({ type: 'deny', name: a.name! });
      case 'stopprivate':
        return this.request({ type: 'private_end', name: a.name!, reason: 'stopped' });
      case 'whoelse':
        return this.request({ type: 'whoelse' });
      case 'whoelsesince': {
        // The same usage line as a missing argument gets (from the command table), whichever alias was typed.
        if (!/^\d{1,10}$/.test(a.seconds!)) return { send: [], events: [{ kind: 'error', text: `usage: ${usage(findCommand('whoelsesince')!)} (a whole number of seconds, e.g. 3600 for the last hour)` }] };
        return this.request({ type: 'whoelse', since: Number(a.seconds) });
      }
      case 'block':
        return this.request({ type: 'block', ...(a.name !== undefined && { name: a.name }) });
      case 'unblock':
        return this.request({ type: 'unblock', name: a.name! });
      case 'register':
        if (this.account) return { send: [], events: [{ kind: 'error', text: `${this.name} is already registered and you are logged in` }] };
        return { send: [], events: [], needPassword: 'register' };
      case 'search':
        if (this.mode === 'plain') return { send: [], events: [{ kind: 'error', text: 'search needs the full-screen client; in line mode, search the logs (/log says where)' }] };
        return { send: [], events: [{ kind: 'search', query: a.text! }] };
      case 'log':
        return { send: [], events: [{ kind: 'help', lines: [this.logWhere] }] };
      case 'quit':
        return { send: [{ type: 'quit', ...(a.reason !== undefined && { reason: a.reason }) }], events: [], quit: true };
    }
  }

  /** One frame from the server, already validated. Everything shown is sanitised again here. */
  receive(msg: ServerMessage, server: string): ChatEvent[] {
    switch (msg.type) {
      case 'welcome':
        this.name = clean(msg.name);
        this.users = msg.users.map(clean).sort(compareNames);
        this.account = msg.account === true;
        if (msg.token !== undefined) this.token = msg.token;
        this.blocked = (msg.blocked ?? []).map(clean);
        return [{ kind: 'welcome', name: this.name, users: [...this.users], motd: clean(msg.motd), server, account: this.account, blocked: [...this.blocked] }];
      case 'message': {
        const from = clean(msg.from);
        const text = clean(msg.text);
        const own = foldName(from) === foldName(this.name);
        return [
          {
            kind: 'message',
            id: msg.id,
            from,
            text,
            time: msg.time,
            action: msg.action === true,
            own,
            mention: !own && highlighter(this.name, this.highlightWords)(text).length > 0,
            ...(ourRef(msg.ref) && { ref: msg.ref }),
            ...(msg.history === true && { history: true }),
          },
        ];
      }
      case 'whisper': {
        const from = clean(msg.from);
        const outgoing = foldName(from) === foldName(this.name);
        if (!outgoing) this.lastWhisperFrom = from;
        return [
          {
            kind: 'whisper',
            id: msg.id,
            from,
            to: clean(msg.to),
            text: clean(msg.text),
            time: msg.time,
            outgoing,
            ...(ourRef(msg.ref) && { ref: msg.ref }),
            ...(msg.late === true && { late: true }),
            ...(msg.stored === true && { stored: true }),
          },
        ];
      }
      case 'joined': {
        const name = clean(msg.name);
        this.users = [...this.users.filter((u) => foldName(u) !== foldName(name)), name].sort(compareNames);
        return [{ kind: 'joined', name, time: msg.time }];
      }
      case 'left': {
        const name = clean(msg.name);
        this.users = this.users.filter((u) => foldName(u) !== foldName(name));
        // A reason this client does not know (a newer server) still removes the user: shown as its words.
        const known = (LEAVE_REASONS as readonly string[]).includes(msg.reason);
        const message = msg.message !== undefined ? clean(msg.message) : known ? undefined : clean(msg.reason);
        return [{ kind: 'left', name, reason: known ? msg.reason : 'lost', ...(message !== undefined && message !== '' && { message }), time: msg.time }];
      }
      case 'renamed': {
        const old = clean(msg.old);
        const now = clean(msg.new);
        const self = foldName(old) === foldName(this.name);
        if (self) this.name = now;
        if (this.lastWhisperFrom !== undefined && foldName(this.lastWhisperFrom) === foldName(old)) this.lastWhisperFrom = now;
        this.users = [...this.users.filter((u) => foldName(u) !== foldName(old)), now].sort(compareNames);
        return [{ kind: 'renamed', old, new: now, time: msg.time, self }];
      }
      case 'users':
        this.users = msg.users.map(clean).sort(compareNames);
        return [{ kind: 'users', users: [...this.users] }];
      case 'error': {
        const error: ChatEvent = {
          kind: 'error',
          text: clean(msg.message),
          code: clean(msg.code),
          ...(ourRef(msg.ref) && { ref: msg.ref }),
          ...(msg.seconds !== undefined && { seconds: msg.seconds }),
        };
        if (msg.code === 'session_replaced' || msg.code === 'idle_timeout') {
          return [error, { kind: 'signed_out', reason: msg.code === 'session_replaced' ? 'replaced' : 'idle', text: error.text }];
        }
        return [error];
      }
      case 'registered':
        this.account = true;
        this.token = msg.token;
        return [{ kind: 'registered', name: clean(msg.name) }];
      case 'seen':
        return [
          {
            kind: 'seen',
            users: msg.users.map((u) => ({ name: clean(u.name), online: u.online, ...(u.lastSeen !== undefined && { lastSeen: u.lastSeen }) })),
            ...(msg.since !== undefined && { since: msg.since }),
          },
        ];
      case 'blocks':
        this.blocked = msg.names.map(clean);
        return [{ kind: 'blocks', names: [...this.blocked] }];
      case 'shutdown':
        return [{ kind: 'shutdown', reason: clean(msg.reason) }];
      case 'ping':
      case 'pong':
        return [];
      case 'private_request':
      case 'private_asked':
      case 'private_listen':
      case 'private_connect':
      case 'private_end':
        return []; // the session's DirectManager handles these: they set up links, not chat lines
      case 'room':
      case 'rooms':
      case 'topic':
      case 'moderation':
      case 'closed':
        return []; // protocol version 2 only; this client says hello with version 1
    }
  }

  private request(msg: ClientMessage): Outcome {
    return { send: [{ ...msg, ref: this.refPrefix + String(this.nextRef++) } as ClientMessage], events: [] };
  }
}

function none(): Outcome {
  return { send: [], events: [] };
}

/**
 * A ref the server echoes is ours (hex and digits) or, from a server that is not ours, anything: only a
 * short printable-ASCII one is passed on, so --json output never carries another's control bytes.
 */
function ourRef(ref: string | undefined): ref is string {
  return ref !== undefined && /^[\x21-\x7e]{1,64}$/.test(ref);
}

function clean(s: string): string {
  return sanitizeText(s);
}

/** Whether `text` names `name` as a word (`@alice`, `alice:`, but not `malice`): highlight.ts's rule. */
export function mentions(text: string, name: string): boolean {
  return highlighter(name, [])(text).length > 0;
}
