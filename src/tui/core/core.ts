import { randomBytes } from 'node:crypto';
import { helpLines, helpRow, parseInput, findCommand, usage } from '../../wire/commands.js';
import { LEAVE_REASONS, type ClientMessage, type LastSeen, type ServerLimits, type ServerMessage } from '../../wire/messages.js';
import { compareNames, foldName } from '../../wire/names.js';
import { MAX_HISTORY, MAX_ROOMS_PER_USER, PROTOCOL_VERSION } from '../../wire/limits.js';
import { sanitizeText } from '../../wire/sanitize.js';
import type { ChatEvent } from './events.js';
import { highlighter, type Span } from '../notify/highlight.js';
import { markAway, renameAway, setAway } from './away.js';

// The client's chat state and command rules, with no socket and no timer: typed lines and server frames go
// in, frames to send and events to show come out. Session wires it to a connection; tests drive it directly.

export interface Outcome {
  send: ClientMessage[];
  events: ChatEvent[];
  /** The user asked to leave. */
  quit?: boolean;
  /**
   * The session must get a password (asked without echo, or from the environment) and then send:
   * `register` → register(); `password` (the current one, then a new one twice) → changePassword();
   * `logout` (the current one) → logout() with `logout`'s target.
   */
  needPassword?: 'register' | 'password' | 'logout';
  /** With needPassword 'logout': the session id to end, or 'all'. */
  logout?: string;
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
  /** Resumes this login after a dropped connection without the password (the server issues a new one each time). */
  token: string | undefined;
  /**
   * This connection's login was proven by the password (not a token): the server lets it end other
   * sessions without asking for the password again.
   */
  proven = false;
  /** The last hello carried a password. */
  private helloByPassword = false;
  /** Names we block, as the server last told us. */
  blocked: string[] = [];
  /** The rooms we are in, in the order we entered them (protocol version 2, issue 13). */
  rooms: string[] = [];
  /** Where a plain line goes and what /topic, /kick... act on: the last joined, or the one chosen with /window. */
  current: string | undefined;
  /** Members of each room we are in, by folded room name; `users` is the current room's. */
  private members = new Map<string, string[]>();
  /** Rooms the welcome put us in, whose `room` snapshot is part of the login (shown as the welcome is). */
  private atLogin = new Set<string>();
  /** The server's name for our session's remembered refs: sent again after a reconnect (PROTOCOL.md §5.3). */
  session: string | undefined;
  /** What the server said it allows, in its welcome (PROTOCOL.md §5.2); undefined for a server that does not say. */
  limits: ServerLimits | undefined;
  /** Message ids of each room we have shown (by room key; '' for a server without rooms): a replay never shows one twice. */
  private shown = new Map<string, ShownIds>();
  /** A welcome came before: the next one is a reconnect. */
  private welcomed = false;
  /** The last welcome, until it is shown (at once, or with the first room's frame when it left out the members). */
  private welcoming: { motd: string; server: string; again: boolean; rooms: boolean } | undefined;
  private nextRef = 1;
  /** What /log answers: where this session's conversations are logged, or that logging is off. */
  logWhere = 'chat logs are off (turn them on with [log] enabled = true in the config file)';
  /** Highlights besides our own name: the config's `highlight` words. */
  highlightWords: readonly string[] = [];
  /** The highlighter of `name` and `highlightWords`, made again only when either changes (not per line). */
  private matcher: { name: string; words: readonly string[]; match: (text: string) => Span[] } | undefined;
  /** Folded names of the people the server says are away (issue 17), ourselves included. */
  away: string[] = [];
  /** Our own away message while we are away ("" for none), said again after a reconnect. */
  awayMessage: string | undefined;

  /**
   * `refPrefix` makes this client's refs unique: the server recognises a resent line by (session, ref), and
   * a process that starts again must not match its predecessor's lines even if it continues the session.
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
    this.helloByPassword = password !== undefined;
    return {
      type: 'hello',
      name: this.name,
      version: PROTOCOL_VERSION,
      // This client shows a busy room's grouped join and leave notices on one line (PROTOCOL.md §15).
      grouped: true,
      // It takes the default room's members from that room's frame: the welcome need not list them too.
      usersOnce: true,
      ref: 'hello',
      ...(password !== undefined ? { password } : this.token !== undefined && { token: this.token }),
      ...(this.session !== undefined && { session: this.session }),
      ...(this.shown.size > 0 && { last: this.lastSeen() }),
      // A guest's blocks live with its connection on the server: a reconnect gives them again.
      ...(!this.account && this.blocked.length > 0 && { blocks: [...this.blocked] }),
    };
  }

  /** hello.last: the newest id we have of each room we are in, so the server replays only what is newer. */
  private lastSeen(): LastSeen[] {
    const last: LastSeen[] = [];
    for (const [room, ids] of this.shown) {
      if (last.length >= MAX_ROOMS_PER_USER) break;
      last.push(room === '' ? { id: ids.newest } : { room, id: ids.newest });
    }
    return last;
  }

  /** The register request, once the session has the password /register asked for. */
  register(password: string): Extract<ClientMessage, { type: 'register' }> {
    return { type: 'register', password, ref: this.refPrefix + String(this.nextRef++) };
  }

  /** /password's request, once the session has the current and the new password. */
  changePassword(old: string, password: string): Extract<ClientMessage, { type: 'password' }> {
    return { type: 'password', old, password, ref: this.refPrefix + String(this.nextRef++) };
  }

  /** /logout ID|all's request; `password` when this connection resumed with a token (not proven). */
  logout(target: string, password?: string): Extract<ClientMessage, { type: 'logout' }> {
    return { type: 'logout', ...(target === 'all' ? { all: true } : { session: target }), ...(password !== undefined && { password }), ref: this.refPrefix + String(this.nextRef++) };
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
        return this.request({ type: 'say', text: parsed.text, ...this.here() });
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
        return this.request({ type: 'list', ...this.here() });
      case 'w':
        return this.request({ type: 'whisper', to: a.name!, text: a.text! });
      case 'r':
        if (this.lastWhisperFrom === undefined) {
          return { send: [], events: [{ kind: 'error', text: 'no one has whispered you yet; use /w NAME text' }] };
        }
        return this.request({ type: 'whisper', to: this.lastWhisperFrom, text: a.text! });
      case 'me':
        return this.request({ type: 'say', text: a.action!, action: true, ...this.here() });
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
      case 'password':
        if (!this.account) return fail('you are a guest: /register claims your name with a password first');
        return { send: [], events: [], needPassword: 'password' };
      case 'sessions':
        if (!this.account) return fail('you are a guest: only an account has logins to list (/register claims your name)');
        return this.request({ type: 'sessions' });
      case 'logout': {
        if (!this.account) return fail('you are a guest: only an account has logins to end (/register claims your name)');
        const target = a['id|all']!;
        if (target !== 'all' && !/^[0-9a-f]{1,32}$/i.test(target)) return fail(`usage: ${usage(findCommand('logout')!)} (the id of a login as /sessions lists it, or "all")`);
        if (this.proven) return { send: [this.logout(target)], events: [] };
        return { send: [], events: [], needPassword: 'logout', logout: target };
      }
      case 'search':
        if (this.mode === 'plain') return { send: [], events: [{ kind: 'error', text: 'search needs the full-screen client; in line mode, search the logs (/log says where)' }] };
        return { send: [], events: [{ kind: 'search', query: a.text! }] };
      case 'log':
        return { send: [], events: [{ kind: 'help', lines: [this.logWhere] }] };
      case 'away':
        return this.request({ type: 'away', ...(a.message !== undefined && { message: a.message }) });
      case 'back':
        return this.request({ type: 'back' });
      case 'join':
        if (!a['#room']!.startsWith('#')) return fail('usage: /join #room (a room name starts with #)');
        return this.request({ type: 'join', room: a['#room']! });
      case 'part':
        return this.request({ type: 'part', ...this.here(a.room), ...(a.reason !== undefined && { reason: a.reason }) });
      case 'rooms':
        return this.request({ type: 'rooms' });
      case 'window':
        return this.window(a['#room|N|next|prev']!);
      case 'lock':
      case 'unlock':
        return this.request({ type: 'topic_lock', locked: parsed.name === 'lock', ...this.here(a.room) });
      case 'invite': {
        const room = this.here(a.room).room;
        if (room === undefined) return fail('usage: /invite [#room] NAME, from a room you are in');
        return this.request({ type: 'invite', room, name: a.name! });
      }
      case 'close':
        if (!a['#room']!.startsWith('#')) return fail('usage: /close #room [reason] (a room name starts with #)');
        return this.request({ type: 'close', room: a['#room']!, ...(a.reason !== undefined && { reason: a.reason }) });
      case 'topic':
        return this.request({ type: 'topic', ...this.here(a.room), ...(a.text !== undefined && { text: a.text }) });
      case 'kick':
        return this.request({ type: 'kick', name: a.name!, ...this.here(a.room), ...(a.reason !== undefined && { reason: a.reason }) });
      case 'ban':
      case 'mute': {
        const seconds = a.duration === undefined ? undefined : parseDuration(a.duration);
        if (seconds === null) return fail(`usage: /${parsed.name} [#room] NAME [DURATION]${parsed.name === 'ban' ? ' [REASON]' : ''} (DURATION like 30s, 10m, 2h, 1d)`);
        const how = { name: a.name!, ...this.here(a.room), ...(seconds !== undefined && { seconds }) };
        if (parsed.name === 'mute') return this.request({ type: 'mute', ...how });
        return this.request({ type: 'ban', ...how, ...(a.reason !== undefined && { reason: a.reason }) });
      }
      case 'unban':
      case 'unmute':
      case 'op':
      case 'deop':
        return this.request({ type: parsed.name, name: a.name!, ...this.here(a.room) });
      case 'quit':
        return { send: [{ type: 'quit', ...(a.reason !== undefined && { reason: a.reason }) }], events: [], quit: true };
    }
  }

  /** One frame from the server, already validated. Everything shown is sanitised again here. */
  receive(msg: ServerMessage, server: string): ChatEvent[] {
    switch (msg.type) {
      case 'welcome': {
        this.name = clean(msg.name);
        // Without `users` (we said usersOnce) the members come in the first room's frame, next: the
        // welcome is shown then, as it was when it listed them itself.
        this.users = (msg.users ?? []).map(clean).sort(compareNames);
        this.account = msg.account === true;
        // Resuming rotates the token: the one just used no longer works, this is the one to keep.
        if (msg.token !== undefined) this.token = msg.token;
        this.proven = this.account && this.helloByPassword;
        this.session = msg.session;
        this.limits = msg.limits;
        this.blocked = (msg.blocked ?? []).map(clean);
        this.rooms = (msg.rooms ?? []).map(clean);
        // Logged in again (another server of a cluster, after a reconnect): back in the room we were in if
        // it put us back there; its members come with its snapshot. The welcome's list is the first room's.
        const before = this.current;
        this.current = this.rooms.find((r) => before !== undefined && key(r) === key(before)) ?? this.rooms[0];
        this.members = new Map(this.rooms[0] !== undefined ? [[key(this.rooms[0]), [...this.users]]] : []);
        this.atLogin = new Set(this.rooms.map(key));
        this.away = markAway([], this.users, msg.away?.map(clean));
        // Ids of rooms we are no longer in would only make the next hello longer.
        for (const room of this.shown.keys()) if (room !== '' && !this.atLogin.has(room)) this.shown.delete(room);
        const again = this.welcomed;
        this.welcomed = true;
        this.welcoming = { motd: clean(msg.motd), server, again, rooms: msg.rooms !== undefined };
        return msg.users === undefined && this.rooms.length > 0 ? [] : [this.welcomeEvent()];
      }
      case 'message': {
        // A replayed line we have shown already (a server that does not honour hello.last) is not added again.
        if (!this.show(msg.room, msg.id) && msg.history === true) return [];
        const from = clean(msg.from);
        const text = clean(msg.text);
        // A replayed line is ours only if this is an account: a guest name is anyone's once its holder
        // leaves, and the earlier guest's lines are theirs, not the newcomer's.
        const own = foldName(from) === foldName(this.name) && (msg.history !== true || this.account);
        return [
          {
            kind: 'message',
            id: msg.id,
            from,
            text,
            time: msg.time,
            action: msg.action === true,
            own,
            mention: !own && this.highlights()(text).length > 0,
            ...(ourRef(msg.ref) && { ref: msg.ref }),
            ...(msg.history === true && { history: true }),
            ...this.tag(msg.room),
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
            ...(outgoing && msg.away !== undefined && { away: clean(msg.away) }),
          },
        ];
      }
      case 'joined': {
        // A busy room's notice may name several people (`names`, PROTOCOL.md §15): one line for all of them.
        const names = (msg.names ?? [msg.name]).map(clean);
        const keys = new Set(names.map(foldName));
        for (const n of names) this.away = setAway(this.away, n, false); // a new login is not away
        this.edit(msg.room, (users) => [...users.filter((u) => !keys.has(foldName(u))), ...names].sort(compareNames));
        const [name = clean(msg.name), ...others] = names;
        return [{ kind: 'joined', name, time: msg.time, ...this.tag(msg.room), ...(others.length > 0 && { others }) }];
      }
      case 'left': {
        const names = (msg.names ?? [msg.name]).map(clean);
        const keys = new Set(names.map(foldName));
        const [name = clean(msg.name), ...others] = names;
        const tag = this.tag(msg.room);
        this.edit(msg.room, (users) => users.filter((u) => !keys.has(foldName(u))));
        // A reason this client does not know (a newer server) still removes the user: shown as its words.
        const known = (LEAVE_REASONS as readonly string[]).includes(msg.reason);
        const message = msg.message !== undefined ? clean(msg.message) : known ? undefined : clean(msg.reason);
        const left: ChatEvent = {
          kind: 'left',
          name,
          reason: known ? msg.reason : 'lost',
          ...(message !== undefined && message !== '' && { message }),
          time: msg.time,
          ...tag,
          ...(msg.by !== undefined && { by: clean(msg.by) }),
          ...asked(msg.ref),
          ...(others.length > 0 && { others }),
        };
        // Our own `left` ends our membership of that room (/part, kicked, banned).
        if (msg.room !== undefined && foldName(name) === foldName(this.name)) return [left, this.leave(clean(msg.room), left)];
        return [left];
      }
      case 'renamed': {
        const old = clean(msg.old);
        const now = clean(msg.new);
        const self = foldName(old) === foldName(this.name);
        if (self) this.name = now;
        if (this.lastWhisperFrom !== undefined && foldName(this.lastWhisperFrom) === foldName(old)) this.lastWhisperFrom = now;
        for (const [room, users] of this.members) {
          if (users.some((u) => foldName(u) === foldName(old))) this.members.set(room, [...users.filter((u) => foldName(u) !== foldName(old)), now].sort(compareNames));
        }
        this.users = [...this.users.filter((u) => foldName(u) !== foldName(old)), now].sort(compareNames);
        this.away = renameAway(this.away, old, now);
        return [{ kind: 'renamed', old, new: now, time: msg.time, self }];
      }
      case 'users': {
        const users = msg.users.map(clean).sort(compareNames);
        this.away = markAway(this.away, users, msg.away?.map(clean));
        const current = this.edit(msg.room, () => users);
        if (msg.ref !== undefined) return [{ kind: 'users', users: [...users], away: this.awayAmong(users), ...this.tag(msg.room), ...asked(msg.ref) }];
        // Without a ref it is no answer but the server's word on who is here (after /block or /unblock).
        return current ? [{ kind: 'users', users: [...users], away: this.awayAmong(users), update: true }] : [];
      }
      case 'error': {
        const error: ChatEvent = {
          kind: 'error',
          text: clean(msg.message),
          code: clean(msg.code),
          ...(ourRef(msg.ref) && { ref: msg.ref }),
          ...(msg.seconds !== undefined && { seconds: msg.seconds }),
        };
        // Said once, as the end of the session: not also as an error line.
        const signedOut = SIGNED_OUT.get(msg.code);
        if (signedOut !== undefined) return [{ kind: 'signed_out', reason: signedOut, text: error.text }];
        return [error];
      }
      case 'registered':
        this.account = true;
        this.proven = true;
        this.token = msg.token;
        return [{ kind: 'registered', name: clean(msg.name) }];
      case 'password_changed':
        this.proven = true;
        this.token = msg.token;
        return [{ kind: 'password_changed', ended: msg.ended }];
      case 'sessions':
        return [
          {
            kind: 'sessions',
            sessions: msg.sessions.map((x) => ({ ...x, id: clean(x.id), ...(x.from !== undefined && { from: clean(x.from) }) })),
            ...(msg.ended !== undefined && { ended: msg.ended }),
          },
        ];
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
      case 'ok': // the acknowledgement of allow, deny, private_port, private_end: nothing to show
        return [];
      case 'private_request':
      case 'private_asked':
      case 'private_listen':
      case 'private_connect':
      case 'private_end':
        return []; // the session's DirectManager handles these: they set up links, not chat lines
      case 'invited':
        return [{ kind: 'invited', room: clean(msg.room), by: clean(msg.by), name: clean(msg.name), time: msg.time, self: foldName(msg.by) === foldName(this.name) }];
      case 'oper':
        return []; // the answer to IRC's OPER: this client never asks (its administrators log in to their account)
      case 'room': {
        const room = clean(msg.room);
        const users = msg.users.map(clean).sort(compareNames);
        this.away = markAway(this.away, users, msg.away?.map(clean));
        const login = this.atLogin.delete(key(room));
        // The welcome that left out the first room's members, shown now with them.
        const welcome: ChatEvent[] = [];
        if (login && this.welcoming !== undefined && key(room) === key(this.rooms[0]!)) {
          this.users = [...users];
          welcome.push(this.welcomeEvent());
        }
        if (!this.rooms.some((r) => key(r) === key(room))) this.rooms.push(room);
        this.members.set(key(room), users);
        const state = {
          kind: 'room' as const,
          room,
          users: [...users],
          away: this.awayAmong(users),
          operators: msg.operators.map(clean),
          ...(msg.topic !== undefined && msg.topic !== '' && { topic: clean(msg.topic) }),
          ...(msg.locked === true && { locked: true }),
        };
        // The welcome already showed the rooms it put us in; a /join makes the new room the current one.
        if (login) {
          const current = this.current !== undefined && key(this.current) === key(room);
          if (current) this.users = [...users];
          // The full screen keeps a window per room: it learns each one's members (and says nothing).
          if (this.mode === 'tui') return [...welcome, { ...state, current, login: true }];
          // Put back in the room we were in before a reconnect (not the first): shown, so its members
          // replace the welcome's.
          return current && key(room) !== key(this.rooms[0]!) ? [...welcome, { ...state, current: true }] : welcome;
        }
        this.current = room;
        this.users = [...users];
        return [{ ...state, current: true }];
      }
      case 'rooms':
        return [{ kind: 'rooms', rooms: msg.rooms.map((r) => ({ room: clean(r.room), users: r.users, ...(r.topic !== undefined && r.topic !== '' && { topic: clean(r.topic) }) })) }];
      case 'topic':
        return [{ kind: 'topic', topic: clean(msg.topic), ...(msg.by !== undefined && { by: clean(msg.by) }), ...(msg.time !== undefined && { time: msg.time }), ...this.tag(msg.room), ...asked(msg.ref) }];
      case 'moderation':
        return [
          {
            kind: 'moderation',
            action: msg.action,
            by: clean(msg.by),
            ...(msg.name !== undefined && { name: clean(msg.name) }),
            ...(msg.seconds !== undefined && { seconds: msg.seconds }),
            ...(msg.reason !== undefined && { reason: clean(msg.reason) }),
            time: msg.time,
            ...this.tag(msg.room),
            ...asked(msg.ref),
          },
        ];
      case 'away': {
        const name = clean(msg.name);
        const self = foldName(name) === foldName(this.name);
        const was = this.isAway(name);
        this.away = setAway(this.away, name, msg.away);
        const message = msg.message === undefined ? undefined : clean(msg.message);
        if (self) this.awayMessage = msg.away ? (message ?? '') : undefined;
        // In a cluster the same change may come once per shared room: shown once. Our own echo always shows.
        if (!self && was === msg.away) return [];
        return [{ kind: 'away', name, away: msg.away, ...(message !== undefined && message !== '' && { message }), time: msg.time, self }];
      }
      case 'closed': {
        const room = clean(msg.room);
        const why = `${room} was closed by ${clean(msg.by)}${msg.reason !== undefined ? ': ' + clean(msg.reason) : ''}`;
        // Gone first, then why: the full screen says why in the room it shows next.
        return [this.leave(room), { kind: 'error', text: why, code: 'closed' }];
      }
    }
  }

  /**
   * After a reconnect: the away request that puts us back where we were (the server forgets away with the
   * connection), or nothing when we were not away.
   */
  awayAgain(): ClientMessage | undefined {
    if (this.awayMessage === undefined) return undefined;
    return this.request({ type: 'away', ...(this.awayMessage !== '' && { message: this.awayMessage }) }).send[0];
  }

  /** Whether `name` is away, as the server last said. */
  isAway(name: string): boolean {
    return this.away.includes(foldName(name));
  }

  /** The welcome as shown, with the members of the first room (from the welcome or that room's frame). */
  private welcomeEvent(): ChatEvent {
    const w = this.welcoming!;
    this.welcoming = undefined;
    return { kind: 'welcome', name: this.name, users: [...this.users], motd: w.motd, server: w.server, account: this.account, blocked: [...this.blocked], away: this.awayAmong(this.users), ...(w.again && { again: true }), ...(w.rooms && { rooms: [...this.rooms] }) };
  }

  /** Which of `users` are away. */
  private awayAmong(users: readonly string[]): string[] {
    return users.filter((u) => this.isAway(u));
  }

  /** Notes that message `id` of `room` is shown; false if it was shown before. */
  private show(room: string | undefined, id: number): boolean {
    const k = room === undefined ? '' : key(clean(room));
    let ids = this.shown.get(k);
    if (!ids) this.shown.set(k, (ids = new ShownIds()));
    return ids.add(id);
  }

  /** `room` for a request: the one named, else the current room (none before the welcome: the server's default). */
  private here(room?: string): { room?: string } {
    const r = room ?? this.current;
    return r !== undefined ? { room: r } : {};
  }

  /** The `room` an event carries: only while we are in more than one room (one-room output stays as it was). */
  private tag(room: string | undefined): { room?: string } {
    return room !== undefined && this.rooms.length > 1 ? { room: clean(room) } : {};
  }

  /** Changes the member list of `room` (the current one when the frame names none); true if that is the current room. */
  private edit(room: string | undefined, change: (users: string[]) => string[]): boolean {
    const r = room !== undefined ? clean(room) : this.current;
    if (r === undefined) {
      this.users = change(this.users);
      return true;
    }
    const next = change(this.members.get(key(r)) ?? []);
    this.members.set(key(r), next);
    if (this.current === undefined || key(this.current) !== key(r)) return false;
    this.users = [...next];
    return true;
  }

  /** We are no longer in `room` (`how`: our own `left` from it): the current room becomes the last one we are still in. */
  private leave(room: string, how?: Extract<ChatEvent, { kind: 'left' }>): ChatEvent {
    this.rooms = this.rooms.filter((r) => key(r) !== key(room));
    this.members.delete(key(room));
    this.shown.delete(key(room));
    if (this.current === undefined || key(this.current) === key(room)) {
      this.current = this.rooms[this.rooms.length - 1];
      this.users = this.current !== undefined ? [...(this.members.get(key(this.current)) ?? [])] : [];
    }
    return {
      kind: 'parted',
      room,
      ...(this.current !== undefined && { current: this.current }),
      ...(how && { reason: how.reason, ...(how.by !== undefined && { by: how.by }), ...(how.message !== undefined && { message: how.message }) }),
    };
  }

  /** /window #room, /window N (1 = the first room entered), /window next or prev (around the list). */
  private window(which: string): Outcome {
    const at = this.current === undefined ? -1 : this.rooms.findIndex((r) => key(r) === key(this.current!));
    const step = { next: 1, prev: -1 }[which.toLowerCase()];
    const room =
      step !== undefined
        ? this.rooms[(at + step + this.rooms.length) % Math.max(1, this.rooms.length)]
        : /^\d{1,3}$/.test(which)
          ? this.rooms[Number(which) - 1]
          : this.rooms.find((r) => key(r) === key(which));
    if (room === undefined) {
      const list = this.rooms.map((r, i) => `${i + 1} ${r}`).join(', ');
      return fail(`you are not in ${which}; your rooms: ${list || 'none'}`);
    }
    this.current = room;
    this.users = [...(this.members.get(key(room)) ?? [])];
    return { send: [], events: [{ kind: 'window', room }] };
  }

  private highlights(): (text: string) => Span[] {
    const m = this.matcher;
    if (m !== undefined && m.name === this.name && m.words === this.highlightWords) return m.match;
    const match = highlighter(this.name, this.highlightWords);
    this.matcher = { name: this.name, words: this.highlightWords, match };
    return match;
  }

  private request(msg: ClientMessage): Outcome {
    return { send: [{ ...msg, ref: this.refPrefix + String(this.nextRef++) } as ClientMessage], events: [] };
  }
}

/**
 * The ids of one room's messages shown, the most recent MAX_HISTORY of them: as many as a server replays
 * at most, so a replayed line that was shown is always among them.
 */
class ShownIds {
  private ids = new Set<number>();
  /** The greatest id shown (ids increase per server; across a cluster's nodes roughly). */
  newest = 0;

  add(id: number): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > MAX_HISTORY) this.ids.delete(this.ids.values().next().value!);
    this.newest = Math.max(this.newest, id);
    return true;
  }
}

/**
 * Errors that end the session for good, said once as its end and never followed by a reconnect: the
 * account logged in elsewhere, went idle, or had its password changed or was removed (its token is void).
 */
const SIGNED_OUT = new Map<string, Extract<ChatEvent, { kind: 'signed_out' }>['reason']>([
  ['session_replaced', 'replaced'],
  ['idle_timeout', 'idle'],
  ['session_revoked', 'revoked'],
]);

function fail(text: string): Outcome {
  return { send: [], events: [{ kind: 'error', text }] };
}

/** Room names are unique ignoring case (PROTOCOL.md §15). */
function key(room: string): string {
  return room.toLowerCase();
}

/** `90`, `30s`, `10m`, `2h`, `1d` → seconds; null if it is none of those. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,7})([smhd]?)$/i.exec(text);
  if (!m) return null;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
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

/** `asked` on the answer to one of our own requests (it carries our ref): shown where the person asked. */
function asked(ref: string | undefined): { asked?: true } {
  return ourRef(ref) ? { asked: true } : {};
}

function clean(s: string): string {
  return sanitizeText(s);
}

/** Whether `text` names `name` as a word (`@alice`, `alice:`, but not `malice`): highlight.ts's rule. */
export function mentions(text: string, name: string): boolean {
  return highlighter(name, [])(text).length > 0;
}
