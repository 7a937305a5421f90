import { PROTOCOL_VERSION, IRC_LINE_BYTES } from '../../wire/limits.js';
import type { ClientMessage, ServerMessage } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { CapState, SaslExchange } from './caps.js';
import { serializeLine, splitUtf8, type IrcMessage } from './codec.js';
import { ircSafe, parseCtcp, stripFormatting } from './formatting.js';
import { isupportLines, LOBBY } from './isupport.js';
import * as N from './numerics.js';

// One IRC connection translated to parley's domain and back, with no sockets and no chat rules of its own:
// every name, message, rename, login and limit is decided by the core; this only maps IRC's commands to
// the core's requests and the core's events to IRC's lines. The gateway's mapping is documented in
// PROTOCOL.md ("IRC gateway").

/** What a session needs from the world around it. */
export interface SessionPort {
  /** A request to the chat core on behalf of this connection; its answers come back through `event`. */
  request(msg: ClientMessage): void;
  /** One serialized line (CR LF included) to the IRC client. */
  write(line: string): void;
  /** End the connection once what is written has gone out. */
  close(): void;
}

export interface SessionOptions {
  /** The server's name in sources and numerics. */
  serverName: string;
  /** NETWORK= in ISUPPORT. */
  network: string;
  /** RPL_YOURHOST's version string. */
  version: string;
  /** RPL_CREATED's date text. */
  created: string;
  /** Clock for tags (server-time) on the server's own lines; ms since the epoch. */
  clock?: () => number;
  /** A per-connection prefix for request refs, unique across connections (the core remembers refs per name). */
  refPrefix: string;
}

/** The host part shown for every user: parley does not hand out addresses. */
export const USER_HOST = 'parley';

/** Events held while a SASL login waits for CAP END; more is not a person registering. */
const MAX_HELD_EVENTS = 500;

/** A request whose answer the session must recognise: by the `ref` it carries. */
type Pending =
  | { kind: 'privmsg'; target: string; notice: boolean }
  | { kind: 'names'; channel: string }
  | { kind: 'who'; mask: string }
  | { kind: 'whois'; nick: string }
  | { kind: 'list' }
  | { kind: 'ison'; nicks: string[] }
  | { kind: 'userhost'; nicks: string[] }
  | { kind: 'nick'; nick: string };

type RegistrationState = 'new' | 'hello_sent' | 'sasl_checking' | 'sasl_done' | 'registered' | 'closed';

/** `nick!user@host` for a parley name: the user part is the name too, the host is always USER_HOST. */
export function sourceOf(name: string): string {
  return `${name}!${name}@${USER_HOST}`;
}

export class IrcSession {
  private state: RegistrationState = 'new';
  /** The nick the client asked for (before registration) or has (after). */
  private nick: string | undefined;
  private user: string | undefined;
  private realname = '';
  private password: string | undefined;
  readonly caps = new CapState();
  private readonly sasl = new SaslExchange();
  private account = false;
  private welcome: Extract<ServerMessage, { type: 'welcome' }> | undefined;
  private held: ServerMessage[] = [];
  private readonly pending = new Map<string, Pending>();
  private nextRef = 1;
  private readonly clock: () => number;
  /** Why the core ended us, for the final ERROR line. */
  private lastError: string | undefined;
  /** IRC PING tokens passed on to the core, answered when its pong returns. */
  private readonly pings: string[] = [];
  /** Lines of the event being encoded, while encode runs. */
  private sink: string[] | undefined;

  constructor(
    private readonly port: SessionPort,
    private readonly opts: SessionOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
  }

  get registered(): boolean {
    return this.state === 'registered';
  }

  /** The nick the client is known by, `*` before it has one (the target of numerics before registration). */
  get me(): string {
    return this.nick ?? '*';
  }

  // ---------------------------------------------------------------- IRC -> core

  /** One parsed line from the client. */
  line(m: IrcMessage): void {
    if (this.state === 'closed') return;
    const p = m.params;
    switch (m.command) {
      case 'CAP':
        return this.cap(p);
      case 'AUTHENTICATE':
        return this.authenticate(p);
      case 'PASS':
        if (this.state !== 'new') return this.numeric(N.ERR_ALREADYREGISTERED, 'You may not reregister');
        if (p.length < 1) return this.needMore('PASS');
        this.password = p[0];
        return;
      case 'NICK':
        return this.nickCommand(p);
      case 'USER':
        if (this.state === 'registered' || this.user !== undefined) return this.numeric(N.ERR_ALREADYREGISTERED, 'You may not reregister');
        if (p.length < 4 || p[0] === '') return this.needMore('USER');
        this.user = p[0]!;
        this.realname = p[3]!;
        return this.tryRegister();
      case 'PING':
        if (p.length < 1) return this.needMore('PING');
        // Answered by the core's pong, so a reply means the core is alive too and the core hears us.
        this.pings.push(p[0]!);
        return this.request({ type: 'ping', token: `irc${this.pings.length}` });
      case 'PONG':
        return this.request({ type: 'pong', ...(p[0] !== undefined && { token: p[0].slice(0, 64) }) });
      case 'QUIT':
        if (this.state !== 'registered') {
          this.lastError = `Closing Link: ${this.opts.serverName} (Quit)`;
          return this.finish();
        }
        this.lastError = `Closing Link: ${this.opts.serverName} (Quit${p[0] ? `: ${ircSafe(stripFormatting(p[0]))}` : ''})`;
        return this.request({ type: 'quit', ...(p[0] !== undefined && p[0] !== '' && { reason: stripFormatting(p[0]) }) });
    }
    if (this.state !== 'registered') {
      if (m.command === 'USER' || /^\d{3}$/.test(m.command)) return;
      return this.numeric(N.ERR_NOTREGISTERED, 'You have not registered');
    }
    switch (m.command) {
      case 'PRIVMSG':
      case 'NOTICE':
        return this.privmsg(p, m.command === 'NOTICE');
      case 'TAGMSG':
        return; // typing notices and reactions: parley has nothing to carry them
      case 'JOIN':
        return this.join(p);
      case 'PART':
        if (p.length < 1) return this.needMore('PART');
        for (const ch of p[0]!.split(',')) {
          if (foldName(ch) === LOBBY) this.notice(`parley has one room, ${LOBBY}; you stay in it while connected (QUIT to leave)`);
          else this.numeric(N.ERR_NOSUCHCHANNEL, ch, 'No such channel');
        }
        return;
      case 'NAMES':
        return this.ask({ kind: 'names', channel: (p[0] ?? LOBBY).split(',')[0]! });
      case 'WHO':
        return this.ask({ kind: 'who', mask: p[0] ?? '*' });
      case 'WHOIS':
        if (p.length < 1) return this.numeric(N.ERR_NONICKNAMEGIVEN, 'No nickname given');
        return this.ask({ kind: 'whois', nick: (p[p.length - 1] ?? '').split(',')[0]! });
      case 'LIST':
        return this.ask({ kind: 'list' });
      case 'ISON':
        return this.ask({ kind: 'ison', nicks: p.flatMap((x) => x.split(' ')).filter((x) => x !== '') });
      case 'USERHOST':
        return this.ask({ kind: 'userhost', nicks: p.slice(0, 5) });
      case 'TOPIC':
        if (p.length < 1) return this.needMore('TOPIC');
        if (foldName(p[0]!) !== LOBBY) return this.numeric(N.ERR_NOSUCHCHANNEL, p[0]!, 'No such channel');
        if (p.length > 1) return this.numeric(N.ERR_CHANOPRIVSNEEDED, LOBBY, 'parley rooms have no topic to set');
        return this.numeric(N.RPL_NOTOPIC, LOBBY, 'No topic is set');
      case 'MODE':
        return this.mode(p);
      case 'MOTD':
        return this.motd();
      case 'AWAY':
        return this.numeric(N.ERR_UNKNOWNCOMMAND, 'AWAY', 'parley has no away status');
      default:
        return this.numeric(N.ERR_UNKNOWNCOMMAND, m.command, 'Unknown command');
    }
  }

  /** The line was longer than IRC allows; it was dropped, the connection goes on. */
  tooLong(): void {
    this.numeric(N.ERR_INPUTTOOLONG, 'Input line was too long');
  }

  /** The line was not UTF-8 (the gateway advertises UTF8ONLY); it was dropped. */
  notUtf8(): void {
    this.write({ command: 'FAIL', params: ['*', 'INVALID_UTF8', 'Message rejected for containing invalid UTF-8'] });
  }

  /** The connection is ending (the core closed it, or the socket went): say why, once. */
  finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.write({ command: 'ERROR', params: [this.lastError ?? `Closing Link: ${this.opts.serverName}`] });
    // From inside encode the ERROR line is still on its way out through the core: close after it.
    if (this.sink) queueMicrotask(() => this.port.close());
    else this.port.close();
  }

  private cap(p: string[]): void {
    const sub = (p[0] ?? '').toUpperCase();
    const result = this.caps.handle(sub, p.slice(1), this.state === 'registered');
    if ('invalid' in result) return this.numeric('410', sub, 'Invalid CAP command');
    for (const r of result.replies) this.write({ command: 'CAP', params: [this.me, ...r] });
    if (sub === 'END') this.tryRegister();
  }

  private authenticate(p: string[]): void {
    if (!this.caps.has('sasl')) return this.numeric(N.ERR_UNKNOWNCOMMAND, 'AUTHENTICATE', 'Enable the sasl capability first');
    if (this.account || this.state === 'registered' || this.state === 'sasl_done') return this.numeric(N.ERR_SASLALREADY, 'You have already authenticated using SASL');
    if (this.state === 'sasl_checking') return this.numeric(N.ERR_SASLFAIL, 'SASL authentication is still being checked');
    if (p.length < 1) return this.needMore('AUTHENTICATE');
    const step = this.sasl.step(p[0]!);
    switch (step.kind) {
      case 'continue':
        return this.write({ command: 'AUTHENTICATE', params: ['+'] });
      case 'more':
        return;
      case 'fail':
        if (step.numeric === 'mechanism') {
          this.numeric(N.RPL_SASLMECHS, 'PLAIN', 'are available SASL mechanisms');
          return this.numeric(N.ERR_SASLFAIL, 'SASL authentication failed');
        }
        if (step.numeric === 'toolong') return this.numeric(N.ERR_SASLTOOLONG, 'SASL message too long');
        if (step.numeric === 'aborted') return this.numeric(N.ERR_SASLABORTED, 'SASL authentication aborted');
        return this.numeric(N.ERR_SASLFAIL, 'SASL authentication failed');
      case 'credentials':
        // parley's account is its name: authorising as someone else is not a thing here.
        if (step.authzid !== '' && foldName(step.authzid) !== foldName(step.authcid)) return this.numeric(N.ERR_SASLFAIL, 'SASL authentication failed: authzid must be empty or the account');
        this.state = 'sasl_checking';
        return this.request({ type: 'hello', name: step.authcid, version: PROTOCOL_VERSION, password: step.password, ref: this.ref({ kind: 'nick', nick: step.authcid }) });
    }
  }

  private nickCommand(p: string[]): void {
    if (p.length < 1 || p[0] === '') return this.numeric(N.ERR_NONICKNAMEGIVEN, 'No nickname given');
    const nick = p[0]!;
    if (this.state === 'registered') return this.request({ type: 'nick', name: nick, ref: this.ref({ kind: 'nick', nick }) });
    if (this.state === 'hello_sent') return; // the core is answering the previous one; its answer decides
    this.nick = nick;
    this.tryRegister();
  }

  /** NICK and USER given and CAP negotiation over: ask the core to let this name in. */
  private tryRegister(): void {
    if (this.nick === undefined || this.user === undefined || this.caps.negotiating) return;
    if (this.state === 'sasl_done') return this.completeRegistration();
    if (this.state !== 'new') return;
    this.state = 'hello_sent';
    this.request({
      type: 'hello',
      name: this.nick,
      version: PROTOCOL_VERSION,
      ...(this.password !== undefined && { password: this.password }),
      ref: this.ref({ kind: 'nick', nick: this.nick }),
    });
  }

  private privmsg(p: string[], notice: boolean): void {
    const command = notice ? 'NOTICE' : 'PRIVMSG';
    if (p.length < 1 || p[0] === '') return this.numeric(N.ERR_NORECIPIENT, `No recipient given (${command})`);
    if (p.length < 2 || p[1] === '') return this.numeric(N.ERR_NOTEXTTOSEND, 'No text to send');
    const ctcp = parseCtcp(p[1]!);
    if (ctcp && ctcp.verb !== 'ACTION') return; // CTCP VERSION, PING, DCC…: parley users cannot answer them
    const text = stripFormatting(ctcp ? ctcp.params : p[1]!);
    const action = ctcp !== null;
    for (const target of p[0]!.split(',').slice(0, 4)) {
      if (target === '') continue;
      if (target.startsWith('#')) {
        if (foldName(target) !== LOBBY) {
          this.numeric(N.ERR_NOSUCHCHANNEL, target, 'No such channel');
          continue;
        }
        this.request({ type: 'say', text, ...(action && { action: true }), ref: this.ref({ kind: 'privmsg', target: LOBBY, notice }) });
      } else {
        // parley's whisper has no action flag; an action whispered reads as one.
        this.request({ type: 'whisper', to: target, text: action ? `* ${this.nick} ${text}` : text, ref: this.ref({ kind: 'privmsg', target, notice }) });
      }
    }
  }

  private join(p: string[]): void {
    if (p.length < 1) return this.needMore('JOIN');
    if (p[0] === '0') return this.notice(`parley has one room, ${LOBBY}; you stay in it while connected`);
    for (const ch of p[0]!.split(',')) {
      if (ch === '') continue;
      // Already in the room since registration: joining again is ignored, as for any channel one is in.
      if (foldName(ch) !== LOBBY) this.numeric(N.ERR_NOSUCHCHANNEL, ch, `No such channel: parley has one room, ${LOBBY}`);
    }
  }

  private mode(p: string[]): void {
    if (p.length < 1) return this.needMore('MODE');
    const target = p[0]!;
    if (target.startsWith('#')) {
      if (foldName(target) !== LOBBY) return this.numeric(N.ERR_NOSUCHCHANNEL, target, 'No such channel');
      if (p.length === 1) return this.numeric(N.RPL_CHANNELMODEIS, LOBBY, '+');
      if (/^[+-]?b$/.test(p[1]!) && p.length === 2) return this.numeric('368', LOBBY, 'End of channel ban list');
      return this.numeric(N.ERR_CHANOPRIVSNEEDED, LOBBY, 'parley rooms have no modes to change');
    }
    if (foldName(target) !== foldName(this.me)) return this.numeric(N.ERR_USERSDONTMATCH, "Can't change mode for other users");
    if (p.length === 1) return this.numeric(N.RPL_UMODEIS, '+');
    return this.numeric(N.ERR_UMODEUNKNOWNFLAG, 'parley has no user modes');
  }

  /** A query answered from the core's user list (the answer comes back as `users` with this ref). */
  private ask(q: Pending): void {
    this.request({ type: 'list', ref: this.ref(q) });
  }

  private ref(p: Pending): string {
    const ref = `${this.opts.refPrefix}.${this.nextRef++}`;
    this.pending.set(ref, p);
    return ref;
  }

  // ---------------------------------------------------------------- core -> IRC

  /**
   * The IRC lines for one event from the core (the connection's codec), or null when IRC shows nothing.
   * Requests the translation makes (declining a direct-chat request) and a close wait until the core has
   * finished delivering: the core is mid-delivery when it calls this.
   */
  encode(ev: ServerMessage): Buffer | null {
    const sink: string[] = [];
    this.sink = sink;
    try {
      this.event(ev);
    } finally {
      this.sink = undefined;
    }
    return sink.length === 0 ? null : Buffer.from(sink.join(''), 'utf8');
  }

  /** One event from the core for this connection. */
  private event(ev: ServerMessage): void {
    if (this.state === 'closed') return;
    const ref = 'ref' in ev ? ev.ref : undefined;
    const pending = ref === undefined ? undefined : this.pending.get(ref);
    if (pending) this.pending.delete(ref!);
    if (this.state === 'sasl_done' && ev.type !== 'error' && ev.type !== 'ping' && ev.type !== 'shutdown') {
      if (this.held.length < MAX_HELD_EVENTS) this.held.push(ev);
      return;
    }
    switch (ev.type) {
      case 'welcome':
        return this.welcomed(ev);
      case 'message':
        return this.roomMessage(ev, pending);
      case 'whisper':
        return this.whisper(ev, pending);
      case 'joined':
        return this.write({ source: sourceOf(ev.name), command: 'JOIN', params: [LOBBY] }, ev.time);
      case 'left': {
        const why = ev.reason === 'quit' ? (ev.message !== undefined ? `Quit: ${ev.message}` : 'Quit') : ev.reason === 'lost' ? 'Connection lost' : ev.reason === 'timeout' ? 'Ping timeout' : `Kicked${ev.message ? `: ${ev.message}` : ''}`;
        return this.write({ source: sourceOf(ev.name), command: 'QUIT', params: [why] }, ev.time);
      }
      case 'renamed':
        this.write({ source: sourceOf(ev.old), command: 'NICK', params: [ev.new] }, ev.time);
        if (this.nick !== undefined && foldName(ev.old) === foldName(this.nick)) this.nick = ev.new;
        return;
      case 'users':
        return this.answer(pending, ev.users);
      case 'error':
        return this.error(ev, pending);
      case 'shutdown':
        this.lastError = `Closing Link: ${this.opts.serverName} (${ev.reason})`;
        return;
      case 'ping':
        return this.write({ command: 'PING', params: [ev.token ?? this.opts.serverName] });
      case 'pong': {
        const token = this.pings.shift();
        if (token !== undefined) this.write({ source: this.opts.serverName, command: 'PONG', params: [this.opts.serverName, token] });
        return;
      }
      case 'private_request':
        // A direct chat needs parley's client; say so, and tell the asker no rather than leave them waiting.
        this.notice(`${ev.from} asked for a direct private chat, which needs the parley client; declined`);
        return this.request({ type: 'deny', name: ev.from });
      case 'registered':
        return this.notice(`registered ${ev.name}: from now on this name needs its password`);
      case 'seen':
      case 'blocks':
      case 'private_asked':
      case 'private_listen':
      case 'private_connect':
      case 'private_end':
        return; // answers to requests an IRC client cannot make
    }
  }

  private welcomed(ev: Extract<ServerMessage, { type: 'welcome' }>): void {
    this.welcome = ev;
    this.account = ev.account === true;
    if (this.state === 'sasl_checking') {
      this.state = 'sasl_done';
      this.numeric(N.RPL_LOGGEDIN, `${ev.name}!${ev.name}@${USER_HOST}`, ev.name, `You are now logged in as ${ev.name}`);
      this.numeric(N.RPL_SASLSUCCESS, 'SASL authentication successful');
      return this.tryRegister();
    }
    this.completeRegistration();
  }

  private completeRegistration(): void {
    const ev = this.welcome!;
    const oldNick = this.nick;
    this.state = 'registered';
    this.nick = ev.name;
    const s = this.opts.serverName;
    // The core may have given another spelling (an account's own case): the client learns its nick from 001.
    if (oldNick !== undefined && oldNick !== ev.name) this.write({ source: `${oldNick}!${this.user}@${USER_HOST}`, command: 'NICK', params: [ev.name] });
    this.numeric(N.RPL_WELCOME, `Welcome to the ${this.opts.network} IRC gateway, ${sourceOf(ev.name)}`);
    this.numeric(N.RPL_YOURHOST, `Your host is ${s}, running version ${this.opts.version}`);
    this.numeric(N.RPL_CREATED, `This server was created ${this.opts.created}`);
    this.numeric(N.RPL_MYINFO, s, this.opts.version, 'i', 'o');
    for (const tokens of isupportLines(this.opts.network)) this.numeric(N.RPL_ISUPPORT, ...tokens, 'are supported by this server');
    this.numeric(N.RPL_LUSERCLIENT, `There are ${ev.users.length} users on 1 server`);
    this.motd();
    this.write({ source: sourceOf(ev.name), command: 'JOIN', params: [LOBBY] });
    this.numeric(N.RPL_NOTOPIC, LOBBY, 'No topic is set');
    this.names(LOBBY, ev.users);
    const held = this.held;
    this.held = [];
    for (const h of held) this.event(h);
  }

  private motd(): void {
    const text = this.welcome?.motd ?? '';
    if (text === '') return this.numeric(N.ERR_NOMOTD, 'MOTD File is missing');
    this.numeric(N.RPL_MOTDSTART, `- ${this.opts.serverName} Message of the day - `);
    for (const line of text.split('\n')) {
      for (const piece of splitUtf8(ircSafe(line), 400)) this.numeric(N.RPL_MOTD, `- ${piece}`);
    }
    this.numeric(N.RPL_ENDOFMOTD, 'End of /MOTD command.');
  }

  private roomMessage(ev: Extract<ServerMessage, { type: 'message' }>, pending: Pending | undefined): void {
    const own = this.nick !== undefined && foldName(ev.from) === foldName(this.nick);
    // History replays only with timestamps: without them, old lines would read as said just now.
    if (ev.history && !this.caps.has('server-time')) return;
    if (own && !ev.history && !this.caps.has('echo-message')) return;
    const command = pending?.kind === 'privmsg' && pending.notice ? 'NOTICE' : 'PRIVMSG';
    this.text(sourceOf(ev.from), command, LOBBY, ev.text, ev.action === true, ev.time, ev.id);
  }

  private whisper(ev: Extract<ServerMessage, { type: 'whisper' }>, pending: Pending | undefined): void {
    const toMe = this.nick !== undefined && foldName(ev.to) === foldName(this.nick);
    const fromMe = this.nick !== undefined && foldName(ev.from) === foldName(this.nick);
    const command = pending?.kind === 'privmsg' && pending.notice ? 'NOTICE' : 'PRIVMSG';
    if (fromMe && ev.stored) this.notice(`${ev.to} is offline; they get your whisper at their next login`);
    if (fromMe && !toMe) {
      if (this.caps.has('echo-message')) this.text(sourceOf(ev.from), command, ev.to, ev.text, false, ev.time, ev.id);
      return;
    }
    if (fromMe && toMe && pending !== undefined && !this.caps.has('echo-message')) return; // to oneself: the echo is the delivery
    this.text(sourceOf(ev.from), command, this.me, ev.text, false, ev.time, ev.id);
  }

  /** A PRIVMSG/NOTICE of parley text, split into lines that fit IRC_LINE_BYTES. */
  private text(source: string, command: string, target: string, text: string, action: boolean, time: number, id: number): void {
    const overhead = Buffer.byteLength(`:${source} ${command} ${target} :\r\n`) + (action ? '\x01ACTION \x01'.length : 0);
    for (const piece of splitUtf8(ircSafe(text), IRC_LINE_BYTES - overhead)) {
      this.write({ source, command, params: [target, action ? `\x01ACTION ${piece}\x01` : piece], ...(this.caps.has('message-tags') && { tags: { msgid: String(id) } }) }, time);
    }
  }

  private names(channel: string, users: string[]): void {
    if (foldName(channel) === LOBBY) {
      const head = `:${this.opts.serverName} ${N.RPL_NAMREPLY} ${this.me} = ${LOBBY} :`;
      let line: string[] = [];
      let bytes = Buffer.byteLength(head) + 2;
      for (const u of users) {
        if (line.length > 0 && bytes + u.length + 1 > IRC_LINE_BYTES) {
          this.numeric(N.RPL_NAMREPLY, '=', LOBBY, line.join(' '));
          line = [];
          bytes = Buffer.byteLength(head) + 2;
        }
        line.push(u);
        bytes += u.length + 1;
      }
      if (line.length > 0) this.numeric(N.RPL_NAMREPLY, '=', LOBBY, line.join(' '));
    }
    this.numeric(N.RPL_ENDOFNAMES, channel, 'End of /NAMES list');
  }

  /** Turn the core's user list into the reply the IRC query wanted. */
  private answer(q: Pending | undefined, users: string[]): void {
    if (!q) return;
    const find = (nick: string) => users.find((u) => foldName(u) === foldName(nick));
    switch (q.kind) {
      case 'names':
        return this.names(q.channel, users);
      case 'list':
        this.numeric(N.RPL_LISTSTART, 'Channel', 'Users  Name');
        this.numeric(N.RPL_LIST, LOBBY, String(users.length), '');
        return this.numeric(N.RPL_LISTEND, 'End of /LIST');
      case 'who': {
        const mask = q.mask;
        const who = foldName(mask) === LOBBY || mask === '*' || mask === '0' ? users : users.filter((u) => matchMask(mask, u));
        for (const u of who) this.numeric(N.RPL_WHOREPLY, LOBBY, u, USER_HOST, this.opts.serverName, u, 'H', `0 ${u}`);
        return this.numeric(N.RPL_ENDOFWHO, mask, 'End of WHO list');
      }
      case 'whois': {
        const u = find(q.nick);
        if (u === undefined) {
          this.numeric(N.ERR_NOSUCHNICK, q.nick, 'No such nick/channel');
          return this.numeric(N.RPL_ENDOFWHOIS, q.nick, 'End of /WHOIS list');
        }
        this.numeric(N.RPL_WHOISUSER, u, u, USER_HOST, '*', foldName(u) === foldName(this.me) ? this.realname || u : u);
        this.numeric(N.RPL_WHOISCHANNELS, u, LOBBY);
        this.numeric(N.RPL_WHOISSERVER, u, this.opts.serverName, this.opts.network);
        return this.numeric(N.RPL_ENDOFWHOIS, u, 'End of /WHOIS list');
      }
      case 'ison':
        return this.numeric('303', q.nicks.map(find).filter((u): u is string => u !== undefined).join(' '));
      case 'userhost':
        return this.numeric(
          '302',
          q.nicks
            .map(find)
            .filter((u): u is string => u !== undefined)
            .map((u) => `${u}=+${u}@${USER_HOST}`)
            .join(' '),
        );
      default:
        return;
    }
  }

  /** A refusal from the core, as the numeric an IRC client understands. */
  private error(ev: Extract<ServerMessage, { type: 'error' }>, q: Pending | undefined): void {
    const msg = ircSafe(ev.message);
    if (ev.code === 'registration_timeout' || ev.code === 'idle_timeout' || ev.code === 'session_replaced' || ev.code === 'too_many_connections' || ev.code === 'not_parley') {
      this.lastError = `Closing Link: ${this.opts.serverName} (${msg})`;
      return;
    }
    if (ev.re === 'hello') return this.registrationRefused(ev, msg, q);
    if (q?.kind === 'privmsg') {
      if (q.target === LOBBY) return this.numeric(N.ERR_CANNOTSENDTOCHAN, LOBBY, msg);
      if (ev.code === 'no_such_user') return this.numeric(N.ERR_NOSUCHNICK, q.target, 'No such nick/channel');
      return this.numeric(N.ERR_CANNOTSENDTOCHAN, q.target, msg);
    }
    if (q?.kind === 'nick') {
      if (ev.code === 'invalid_name') return this.numeric(N.ERR_ERRONEUSNICKNAME, q.nick, msg);
      if (ev.code === 'name_taken' || ev.code === 'name_registered') return this.numeric(N.ERR_NICKNAMEINUSE, q.nick, msg);
    }
    this.notice(msg);
  }

  private registrationRefused(ev: Extract<ServerMessage, { type: 'error' }>, msg: string, q: Pending | undefined): void {
    const nick = q?.kind === 'nick' ? q.nick : this.me;
    if (this.state === 'sasl_checking') {
      this.state = 'new';
      if (ev.code === 'busy') return this.numeric(N.ERR_SASLFAIL, `SASL authentication failed: ${msg}`);
      return this.numeric(N.ERR_SASLFAIL, `SASL authentication failed: ${msg}`);
    }
    if (this.state !== 'hello_sent') return this.notice(msg);
    this.state = 'new';
    switch (ev.code) {
      case 'invalid_name':
        this.nick = undefined;
        return this.numeric(N.ERR_ERRONEUSNICKNAME, nick, msg);
      case 'name_taken':
      case 'name_registered':
      case 'password_required':
        this.nick = undefined;
        return this.numeric(N.ERR_NICKNAMEINUSE, nick, msg);
      case 'login_failed':
      case 'locked':
      case 'bad_token':
        this.lastError = `Closing Link: ${this.opts.serverName} (${msg})`;
        this.numeric(N.ERR_PASSWDMISMATCH, msg);
        return this.finish();
      default:
        this.notice(msg);
    }
  }

  // ---------------------------------------------------------------- output

  private numeric(code: string, ...params: string[]): void {
    this.write({ source: this.opts.serverName, command: code, params: [this.me, ...params] });
  }

  private needMore(command: string): void {
    this.numeric(N.ERR_NEEDMOREPARAMS, command, 'Not enough parameters');
  }

  private notice(text: string): void {
    this.write({ source: this.opts.serverName, command: 'NOTICE', params: [this.me, ircSafe(text)] });
  }

  /** Write one message, with server-time when the client asked for it. */
  private write(m: IrcMessage, time?: number): void {
    if (this.caps.has('server-time')) m.tags = { time: new Date(time ?? this.clock()).toISOString(), ...m.tags };
    const line = serializeLine(m);
    if (this.sink) this.sink.push(line);
    else this.port.write(line);
  }

  /** A request to the core; from inside encode it waits until the core's delivery is over. */
  private request(msg: ClientMessage): void {
    if (this.sink) queueMicrotask(() => this.state !== 'closed' && this.port.request(msg));
    else this.port.request(msg);
  }
}

/** IRC masks: `*` any run, `?` one character, ASCII case ignored. */
export function matchMask(mask: string, name: string): boolean {
  const re = new RegExp(`^${mask.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}
