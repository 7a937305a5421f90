import { PROTOCOL_VERSION, IRC_LINE_BYTES, MAX_NAME_CHARS, MAX_ROOMS_PER_USER } from '../../wire/limits.js';
import type { ClientMessage, ServerMessage } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { foldRoom } from '../../wire/rooms.js';
import { truncateCodePoints } from '../../wire/sanitize.js';
import { CapState, SaslExchange } from './caps.js';
import { Channels } from './channels.js';
import { serializeLine, splitUtf8, type IrcMessage } from './codec.js';
import { ircSafe, parseCtcp, shownText, stripFormatting } from './formatting.js';
import { isupportLines, LOBBY } from './isupport.js';
import { matchMask } from './mask.js';
import type { IrcIdentity, IrcPeople } from './people.js';
import * as N from './numerics.js';
import { ungroup } from '../events.js';

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
  /** The user and real names of this server's IRC clients, for WHO and WHOIS of each other. */
  people?: IrcPeople;
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
  /** `only`: the folded names of the channels asked about (LIST #a,#b), else every room. */
  | { kind: 'list'; only?: string[] }
  /** A request about a channel: the numeric of a refusal depends on which. */
  | { kind: 'channel'; re: 'join' | 'part' | 'topic' | 'kick' | 'mode'; channel: string; nick?: string; query?: boolean }
  | { kind: 'ison'; nicks: string[] }
  | { kind: 'userhost'; nicks: string[] }
  | { kind: 'nick'; nick: string }
  | { kind: 'away' }
  | { kind: 'lusers' }
  | { kind: 'oper' }
  | { kind: 'invite'; nick: string; channel: string }
  | { kind: 'kill'; nick: string };

/** The IRC command that made a request, by what its answer is awaited as (a channel request names its own). */
const COMMAND_OF: Record<Exclude<Pending['kind'], 'channel'>, string> = {
  privmsg: 'PRIVMSG',
  names: 'NAMES',
  who: 'WHO',
  whois: 'WHOIS',
  list: 'LIST',
  ison: 'ISON',
  userhost: 'USERHOST',
  nick: 'NICK',
  away: 'AWAY',
  lusers: 'LUSERS',
  oper: 'OPER',
  invite: 'INVITE',
  kill: 'KILL',
};

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
  /** The rooms this client is in, as it has been shown them. */
  private readonly channels = new Channels();
  /**
   * Who is away (folded name → their message, '' when the core did not say it), as far as this client has
   * been told: the people it shares a room with, and itself. WHO's H/G, WHOIS's 301 and USERHOST's `-`.
   */
  private readonly awayOf = new Map<string, string>();
  /**
   * The channels this client was invited to and has not joined since (INVITE with no parameter lists
   * them), oldest first, at most MAX_ROOMS_PER_USER.
   */
  private readonly invitedTo = new Map<string, string>();
  /** User modes: `o` once OPER succeeded (a server administrator's rights), `w` to receive WALLOPS. */
  private oper = false;
  private wallops = false;
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
      case 'USER': {
        if (this.state === 'registered' || this.user !== undefined) return this.numeric(N.ERR_ALREADYREGISTERED, 'You may not reregister');
        // Both are shown to others (WHO, WHOIS, WHOWAS): terminal-safe as any text, and the user name one
        // word of at most a name's length, as it sits in the middle of those lines.
        const user = p.length < 4 ? '' : truncateCodePoints(shownText(p[0]!).replace(/\s/g, ''), MAX_NAME_CHARS);
        // An empty real name is not a real name (modern.ircdocs.horse USER: 461), as an empty user name.
        if (user === '' || p[3] === '') return this.needMore('USER');
        this.user = user;
        this.realname = shownText(p[3]!) || user;
        return this.tryRegister();
      }
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
        for (const ch of p[0]!.split(',')) if (ch !== '') this.request({ type: 'part', room: ch, ...(p[1] ? { reason: stripFormatting(p[1]) } : {}), ref: this.ref({ kind: 'channel', re: 'part', channel: ch }) });
        return;
      case 'NAMES':
        if (p.length === 0) {
          for (const c of this.channels.all()) this.ask({ kind: 'names', channel: c.name }, c.name);
          return;
        }
        for (const ch of p[0]!.split(',').slice(0, 1)) {
          if (!this.channels.get(ch)) this.numeric(N.RPL_ENDOFNAMES, ch, 'End of /NAMES list');
          else this.ask({ kind: 'names', channel: ch }, ch);
        }
        return;
      case 'WHO': {
        const mask = p[0] ?? '*';
        if (mask.startsWith('#')) {
          if (!this.channels.get(mask)) return this.numeric(N.RPL_ENDOFWHO, mask, 'End of WHO list');
          return this.ask({ kind: 'who', mask }, mask);
        }
        return this.request({ type: 'whoelse', ref: this.ref({ kind: 'who', mask }) });
      }
      case 'WHOIS':
        if (p.length < 1) return this.numeric(N.ERR_NONICKNAMEGIVEN, 'No nickname given');
        return this.request({ type: 'whoelse', ref: this.ref({ kind: 'whois', nick: (p[p.length - 1] ?? '').split(',')[0]! }) });
      case 'INVITE':
        if (p.length === 0) {
          for (const ch of this.invitedTo.values()) this.numeric(N.RPL_INVITELIST, ch);
          return this.numeric(N.RPL_ENDOFINVITELIST, 'End of /INVITE list');
        }
        if (p.length < 2) return this.needMore('INVITE');
        return this.request({ type: 'invite', name: p[0]!, room: p[1]!, ref: this.ref({ kind: 'invite', nick: p[0]!, channel: p[1]! }) });
      case 'WHOWAS':
        return this.whowas(p);
      case 'LIST':
        // LIST #a,#b: those channels only (RFC 2812 §3.2.6); no error for one that does not exist.
        return this.request({ type: 'rooms', ref: this.ref({ kind: 'list', ...(p[0] !== undefined && p[0] !== '' && { only: p[0].split(',').map(foldRoom) }) }) });
      case 'ISON':
        return this.request({ type: 'whoelse', ref: this.ref({ kind: 'ison', nicks: p.flatMap((x) => x.split(' ')).filter((x) => x !== '') }) });
      case 'USERHOST':
        return this.request({ type: 'whoelse', ref: this.ref({ kind: 'userhost', nicks: p.slice(0, 5) }) });
      case 'TOPIC':
        if (p.length < 1) return this.needMore('TOPIC');
        return this.request({ type: 'topic', room: p[0]!, ...(p.length > 1 && { text: stripFormatting(p[1]!) }), ref: this.ref({ kind: 'channel', re: 'topic', channel: p[0]!, query: p.length === 1 }) });
      case 'KICK': {
        if (p.length < 2) return this.needMore('KICK');
        const reason = p[2] === undefined || p[2] === '' ? undefined : stripFormatting(p[2]);
        // RFC 2812 §3.2.8: one channel and several users, or as many channels as users, taken in pairs.
        const rooms = p[0]!.split(',');
        const nicks = p[1]!.split(',');
        if (rooms.length !== 1 && rooms.length !== nicks.length) return this.needMore('KICK');
        nicks.forEach((nick, i) => {
          const room = rooms.length === 1 ? rooms[0]! : rooms[i]!;
          if (nick !== '' && room !== '') this.request({ type: 'kick', room, name: nick, ...(reason !== undefined && { reason }), ref: this.ref({ kind: 'channel', re: 'kick', channel: room, nick }) });
        });
        return;
      }
      case 'MODE':
        return this.mode(p);
      case 'MOTD':
        return this.motd();
      case 'OPER':
        if (p.length < 2) return this.needMore('OPER');
        return this.request({ type: 'oper', name: p[0]!, password: p[1]!, ref: this.ref({ kind: 'oper' }) });
      case 'KILL':
        if (p.length < 1 || p[0] === '') return this.needMore('KILL');
        return this.request({ type: 'kill', name: p[0]!, ...(p[1] ? { reason: stripFormatting(p[1]) } : {}), ref: this.ref({ kind: 'kill', nick: p[0]! }) });
      case 'WALLOPS': {
        if (p.length < 1 || p[0] === '') return this.needMore('WALLOPS');
        // Only operators send them (modern.ircdocs.horse); they reach the gateway's IRC clients with +w.
        if (!this.oper) return this.numeric(N.ERR_NOPRIVILEGES, 'Permission Denied- You are not an IRC operator');
        const text = shownText(p[0]!);
        if (text === '') return this.numeric(N.ERR_NOTEXTTOSEND, 'No text to send');
        return this.opts.people?.wallop(sourceOf(this.me), text);
      }
      case 'INFO':
        for (const line of [`${this.opts.version}: the IRC gateway of parley, a chat server for the terminal`, 'IRC clients and parley clients talk in the same rooms']) this.numeric(N.RPL_INFO, line);
        return this.numeric(N.RPL_ENDOFINFO, 'End of INFO list');
      case 'LUSERS':
        return this.request({ type: 'whoelse', ref: this.ref({ kind: 'lusers' }) });
      case 'TIME':
        return this.numeric(N.RPL_TIME, this.opts.serverName, new Date(this.clock()).toUTCString());
      case 'AWAY': {
        // RFC 2812 §4.1: AWAY with a message marks one away, without (or empty) marks one back.
        const text = p[0] === undefined ? '' : stripFormatting(p[0]);
        if (text.trim() === '') return this.request({ type: 'back', ref: this.ref({ kind: 'away' }) });
        return this.request({ type: 'away', message: text, ref: this.ref({ kind: 'away' }) });
      }
      default:
        return this.numeric(N.ERR_UNKNOWNCOMMAND, m.command, 'Unknown command');
    }
  }

  /** The line was longer than IRC allows; it was dropped, the connection goes on. */
  tooLong(): void {
    this.numeric(N.ERR_INPUTTOOLONG, 'Input line was too long');
  }

  /** A `command` line was not UTF-8 (the gateway advertises UTF8ONLY); it was dropped (IRCv3 UTF8ONLY: FAIL <command> INVALID_UTF8). */
  notUtf8(command: string): void {
    this.write({ command: 'FAIL', params: [/^[A-Za-z]+$|^\d{3}$/.test(command) ? command : '*', 'INVALID_UTF8', 'Message rejected for containing invalid UTF-8'] });
  }

  /** The connection is ending (the core closed it, or the socket went): say why, once. */
  finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.nick !== undefined) this.opts.people?.forget(this.nick, this);
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
    if (this.state === 'registered') {
      // A change to the very nick one has is no change: nothing to say, to anyone (irctest regressions).
      if (nick === this.nick) return;
      return this.request({ type: 'nick', name: nick, ref: this.ref({ kind: 'nick', nick }) });
    }
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
        this.request({ type: 'say', room: target, text, ...(action && { action: true }), ...(notice && { notice: true }), ref: this.ref({ kind: 'privmsg', target, notice }) });
      } else {
        // parley's whisper has no action flag; an action whispered reads as one.
        this.request({ type: 'whisper', to: target, text: action ? `* ${this.nick} ${text}` : text, ...(notice && { notice: true }), ref: this.ref({ kind: 'privmsg', target, notice }) });
      }
    }
  }

  /**
   * WHOWAS nick [count]: who had the nick (a mask may match several), newest first; a count that is not
   * positive means all (RFC 2812 §3.6.3). The gateway remembers its own IRC clients' departures (IrcPeople).
   */
  private whowas(p: string[]): void {
    // modern.ircdocs.horse: no nick is ERR_NEEDMOREPARAMS.
    if (p.length < 1 || p[0] === '') return this.needMore('WHOWAS');
    const count = Number.parseInt(p[1] ?? '', 10);
    for (const nick of p[0]!.split(',').slice(0, 1)) {
      const found = this.opts.people?.was((n) => matchMask(nick, n), count > 0 ? count : undefined) ?? [];
      if (found.length === 0) this.numeric(N.ERR_WASNOSUCHNICK, nick, 'There was no such nickname');
      for (const d of found) {
        this.numeric(N.RPL_WHOWASUSER, d.nick, d.user, USER_HOST, '*', d.realname);
        this.numeric(N.RPL_WHOISSERVER, d.nick, this.opts.serverName, this.opts.network);
      }
      this.numeric(N.RPL_ENDOFWHOWAS, nick, 'End of WHOWAS');
    }
  }

  private join(p: string[]): void {
    if (p.length < 1) return this.needMore('JOIN');
    if (p[0] === '0') {
      for (const c of this.channels.all()) this.request({ type: 'part', room: c.name, ref: this.ref({ kind: 'channel', re: 'part', channel: c.name }) });
      return;
    }
    // Already in it (the core puts people back in their rooms at login, which an IRC client may not expect):
    // the core answers with the room's state again, shown as JOIN, topic and NAMES, so a client that waits
    // for its JOIN to come back gets it.
    for (const ch of p[0]!.split(',')) if (ch !== '') this.request({ type: 'join', room: ch, ref: this.ref({ kind: 'channel', re: 'join', channel: ch }) });
  }

  /**
   * Channel modes parley has: `o` (operator), `b` (ban, by name: the nick of a `nick!user@host` mask) and
   * `t` (only operators set the topic). User modes: none.
   */
  private mode(p: string[]): void {
    if (p.length < 1) return this.needMore('MODE');
    const target = p[0]!;
    if (!target.startsWith('#')) {
      if (foldName(target) !== foldName(this.me)) return this.numeric(N.ERR_USERSDONTMATCH, "Can't change mode for other users");
      if (p.length === 1) return this.numeric(N.RPL_UMODEIS, `+${this.oper ? 'o' : ''}${this.wallops ? 'w' : ''}`);
      return this.userModes(p[1]!);
    }
    const c = this.channels.get(target);
    if (p.length === 1) {
      if (!c) return this.numeric(N.ERR_NOSUCHCHANNEL, target, 'No such channel');
      return this.numeric(N.RPL_CHANNELMODEIS, c.name, c.locked ? '+t' : '+');
    }
    let sign = '+';
    let arg = 2;
    for (const ch of p[1]!) {
      if (ch === '+' || ch === '-') {
        sign = ch;
        continue;
      }
      const ref = (nick?: string) => this.ref({ kind: 'channel', re: 'mode', channel: target, ...(nick !== undefined && { nick }) });
      if (ch === 't') {
        this.request({ type: 'topic_lock', room: target, locked: sign === '+', ref: ref() });
      } else if (ch === 'o') {
        const nick = p[arg++];
        if (nick === undefined) return this.needMore('MODE');
        this.request({ type: sign === '+' ? 'op' : 'deop', room: target, name: nick, ref: ref(nick) });
      } else if (ch === 'b') {
        const mask = p[arg++];
        // Without a mask: the ban list, which parley does not show over IRC; an empty list ends it.
        if (mask === undefined) {
          this.numeric('368', target, 'End of channel ban list');
          continue;
        }
        const nick = mask.split('!')[0]!;
        this.request({ type: sign === '+' ? 'ban' : 'unban', room: target, name: nick, ref: ref(nick) });
      } else {
        this.numeric(N.ERR_UNKNOWNMODE, ch, 'is not a mode parley has');
      }
    }
  }

  /**
   * User modes a client may change: `w` (WALLOPS reach it). `o` comes only from OPER; `-o` is not taken
   * back (the rights last the connection). Others: ERR_UMODEUNKNOWNFLAG.
   */
  private userModes(flags: string): void {
    let sign = '+';
    let changed = '';
    let unknown = false;
    for (const f of flags) {
      if (f === '+' || f === '-') sign = f;
      else if (f === 'w' && this.wallops !== (sign === '+')) {
        this.wallops = sign === '+';
        this.opts.people?.wallops(this, this.wallops ? (source, text) => this.write({ source, command: 'WALLOPS', params: [text] }) : undefined);
        changed += `${sign}w`;
      } else if (f !== 'w' && f !== 'o') unknown = true;
    }
    if (changed !== '') this.write({ source: sourceOf(this.me), command: 'MODE', params: [this.me, changed] });
    if (unknown) this.numeric(N.ERR_UMODEUNKNOWNFLAG, 'Unknown MODE flag');
  }

  /** A query answered from the core's user list (the answer comes back as `users` with this ref). */
  private ask(q: Pending, room: string): void {
    this.request({ type: 'list', room, ref: this.ref(q) });
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
      // A grouped notice of a busy room is one JOIN (or QUIT/PART) line per person in IRC.
      for (const one of ungroup(ev)) this.event(one);
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
        return this.roomMessage(ev);
      case 'whisper':
        return this.whisper(ev, pending);
      case 'room':
        return this.entered(ev, pending?.kind === 'channel' && pending.re === 'join');
      case 'joined': {
        const room = ev.room ?? LOBBY;
        if (this.isMe(ev.name) || !this.channels.get(room)) return;
        this.channels.joined(room, ev.name);
        this.write({ source: sourceOf(ev.name), command: 'JOIN', params: [room] }, ev.time);
        // away-notify: someone away who joins is followed by their AWAY (IRCv3 away-notify).
        if (ev.away === undefined) return;
        this.awayOf.set(foldName(ev.name), ev.away);
        if (this.caps.has('away-notify')) this.write({ source: sourceOf(ev.name), command: 'AWAY', params: [ircSafe(ev.away || 'Away')] }, ev.time);
        return;
      }
      case 'left':
        return this.left(ev);
      case 'renamed': {
        const away = this.awayOf.get(foldName(ev.old));
        if (away !== undefined) {
          this.awayOf.delete(foldName(ev.old));
          this.awayOf.set(foldName(ev.new), away);
        }
        this.channels.renamed(ev.old, ev.new);
        this.write({ source: sourceOf(ev.old), command: 'NICK', params: [ev.new] }, ev.time);
        if (this.isMe(ev.old)) {
          this.nick = ev.new;
          this.opts.people?.rename(ev.old, ev.new, this);
        }
        return;
      }
      case 'away':
        return this.awayChanged(ev);
      case 'topic':
        if (pending?.kind === 'channel' && pending.query) return this.topicReply(ev.room, ev.topic, ev.by, ev.time);
        return this.write({ source: sourceOf(ev.by ?? this.opts.serverName), command: 'TOPIC', params: [ev.room, ircSafe(ev.topic)] }, ev.time);
      case 'moderation':
        return this.moderation(ev);
      case 'closed':
        this.channels.leave(ev.room);
        return this.write({ source: sourceOf(ev.by), command: 'KICK', params: [ev.room, this.me, ircSafe(`room closed${ev.reason ? `: ${ev.reason}` : ''}`)] }, ev.time);
      case 'rooms':
        this.numeric(N.RPL_LISTSTART, 'Channel', 'Users  Name');
        for (const r of ev.rooms) {
          if (pending?.kind === 'list' && pending.only && !pending.only.includes(foldRoom(r.room))) continue;
          this.numeric(N.RPL_LIST, r.room, String(r.users), ircSafe(r.topic ?? ''));
        }
        return this.numeric(N.RPL_LISTEND, 'End of /LIST');
      case 'users':
        this.noteAway(ev.users, ev.away);
        return this.answer(pending, ev.users);
      case 'seen':
        // Whoever is online and away says so here, shared room or not (WHOIS's 301, USERHOST's `-`, WHO's G).
        for (const u of ev.users) {
          if (!u.online) continue;
          if (u.away !== undefined) this.awayOf.set(foldName(u.name), u.away);
          else this.awayOf.delete(foldName(u.name));
        }
        return this.answer(pending, [...(this.nick !== undefined ? [this.nick] : []), ...ev.users.filter((u) => u.online).map((u) => u.name)]);
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
      case 'invited':
        if (pending?.kind === 'invite') return this.numeric(N.RPL_INVITING, ev.name, ev.room);
        if (!this.isMe(ev.name)) return;
        this.invited(ev.room);
        return this.write({ source: sourceOf(ev.by), command: 'INVITE', params: [this.me, ev.room] }, ev.time);
      case 'oper':
        this.numeric(N.RPL_YOUREOPER, `You are now an IRC operator (the server administrator ${ev.name}'s rights)`);
        return this.setOper(true);
      case 'blocks':
      case 'private_asked':
      case 'private_listen':
      case 'private_connect':
      case 'private_end':
        return; // answers to requests an IRC client cannot make
    }
  }

  /**
   * Remember an invitation to `room` (INVITE alone lists them), newest last; past MAX_ROOMS_PER_USER (more
   * than one could use at once) the oldest is forgotten, so invitations cannot fill the gateway's memory.
   */
  private invited(room: string): void {
    const key = foldRoom(room);
    this.invitedTo.delete(key);
    this.invitedTo.set(key, room);
    if (this.invitedTo.size > MAX_ROOMS_PER_USER) this.invitedTo.delete(this.invitedTo.keys().next().value!);
  }

  private isMe(name: string): boolean {
    return this.nick !== undefined && foldName(name) === foldName(this.nick);
  }

  /**
   * The client is in a room now (it joined, or was put back at login): JOIN, the topic, the names. A state
   * it already has is shown again only when it asked (`asked`: its own JOIN).
   */
  private entered(ev: Extract<ServerMessage, { type: 'room' }>, asked: boolean): void {
    this.noteAway(ev.users, ev.away);
    this.invitedTo.delete(foldRoom(ev.room));
    if (!this.channels.enter(ev.room, ev.users, ev.operators, ev.locked === true) && !asked) return;
    this.write({ source: sourceOf(this.me), command: 'JOIN', params: [ev.room] });
    if (ev.topic !== undefined) this.topicReply(ev.room, ev.topic, ev.topicBy, ev.topicTime);
    this.names(ev.room, ev.users);
  }

  private topicReply(room: string, topic: string, by?: string, time?: number): void {
    if (topic === '') return this.numeric(N.RPL_NOTOPIC, room, 'No topic is set');
    this.numeric(N.RPL_TOPIC, room, ircSafe(topic));
    if (by !== undefined && time !== undefined) this.numeric(N.RPL_TOPICWHOTIME, room, sourceOf(by), String(Math.floor(time / 1000)));
  }

  /** Someone left a room: PART, KICK, or (once for all shared rooms) QUIT. */
  private left(ev: Extract<ServerMessage, { type: 'left' }>): void {
    const room = ev.room ?? LOBBY;
    const source = sourceOf(ev.name);
    if (ev.reason === 'part' || ev.reason === 'kicked' || ev.reason === 'banned') {
      if (!this.channels.get(room)) return;
      if (this.isMe(ev.name)) this.channels.leave(room);
      else this.channels.left(ev.name, room);
      if (ev.reason === 'part') return this.write({ source, command: 'PART', params: [room, ...(ev.message !== undefined ? [ircSafe(ev.message)] : [])] }, ev.time);
      const why = ev.message ?? (ev.reason === 'banned' ? 'banned' : ev.by ?? 'kicked');
      return this.write({ source: sourceOf(ev.by ?? this.opts.serverName), command: 'KICK', params: [room, ev.name, ircSafe(why)] }, ev.time);
    }
    // The core says `left` once per shared room, IRC says QUIT once: the first takes the name out of every
    // channel, and a later one (another room's, however the rooms' notices interleave) finds it in none.
    if (!this.channels.sees(ev.name)) return;
    this.channels.left(ev.name);
    this.awayOf.delete(foldName(ev.name));
    const why = ev.reason === 'quit' ? (ev.message !== undefined ? `Quit: ${ev.message}` : 'Quit') : ev.reason === 'lost' ? 'Connection lost' : ev.reason === 'timeout' ? 'Ping timeout' : `Kicked${ev.message ? `: ${ev.message}` : ''}`;
    this.write({ source, command: 'QUIT', params: [ircSafe(why)] }, ev.time);
  }

  /** An operator's step, as the MODE line IRC shows for it (mutes, which IRC has no mode for, as a notice). */
  private moderation(ev: Extract<ServerMessage, { type: 'moderation' }>): void {
    const c = this.channels.get(ev.room);
    const source = sourceOf(ev.by);
    const mode = (change: string, ...args: string[]) => this.write({ source, command: 'MODE', params: [ev.room, change, ...args] }, ev.time);
    switch (ev.action) {
      case 'op':
        if (c && ev.name !== undefined) c.operators.set(foldName(ev.name), ev.name);
        return mode('+o', ev.name ?? '*');
      case 'deop':
        if (c && ev.name !== undefined) c.operators.delete(foldName(ev.name));
        return mode('-o', ev.name ?? '*');
      case 'ban':
        return mode('+b', `${ev.name ?? '*'}!*@*`);
      case 'unban':
        return mode('-b', `${ev.name ?? '*'}!*@*`);
      case 'lock':
        if (c) c.locked = true;
        return mode('+t');
      case 'unlock':
        if (c) c.locked = false;
        return mode('-t');
      case 'mute':
      case 'unmute':
        return this.write({ source: this.opts.serverName, command: 'NOTICE', params: [ev.room, `${ev.by} ${ev.action}d ${ev.name ?? ''}${ev.seconds ? ` for ${ev.seconds} s` : ''}`] }, ev.time);
    }
  }

  /** Someone (or this client) went away or came back: 306/305 to oneself, `AWAY` to others with away-notify. */
  private awayChanged(ev: Extract<ServerMessage, { type: 'away' }>): void {
    if (ev.away) this.awayOf.set(foldName(ev.name), ev.message ?? '');
    else this.awayOf.delete(foldName(ev.name));
    if (this.isMe(ev.name)) {
      if (ev.away) return this.numeric(N.RPL_NOWAWAY, 'You have been marked as being away');
      return this.numeric(N.RPL_UNAWAY, 'You are no longer marked as being away');
    }
    // away-notify: AWAY with the message when someone goes, without one when they come back.
    if (this.caps.has('away-notify')) this.write({ source: sourceOf(ev.name), command: 'AWAY', params: ev.away ? [ircSafe(ev.message || 'Away')] : [] }, ev.time);
  }

  /** A users list's `away` field: who among `users` is away now (their message is kept if known). */
  private noteAway(users: readonly string[], away: readonly string[] | undefined): void {
    const now = new Set((away ?? []).map(foldName));
    for (const u of users) {
      const key = foldName(u);
      if (!now.has(key)) this.awayOf.delete(key);
      else if (!this.awayOf.has(key)) this.awayOf.set(key, '');
    }
  }

  private welcomed(ev: Extract<ServerMessage, { type: 'welcome' }>): void {
    this.welcome = ev;
    this.noteAway(ev.users ?? [], ev.away); // the gateway never says usersOnce: the list is there
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
    this.opts.people?.set(ev.name, { user: this.user!, realname: this.realname }, this);
    const s = this.opts.serverName;
    // The core may have given another spelling (an account's own case): the client learns its nick from 001.
    if (oldNick !== undefined && oldNick !== ev.name) this.write({ source: `${oldNick}!${this.user}@${USER_HOST}`, command: 'NICK', params: [ev.name] });
    this.numeric(N.RPL_WELCOME, `Welcome to the ${this.opts.network} IRC gateway, ${sourceOf(ev.name)}`);
    this.numeric(N.RPL_YOURHOST, `Your host is ${s}, running version ${this.opts.version}`);
    this.numeric(N.RPL_CREATED, `This server was created ${this.opts.created}`);
    this.numeric(N.RPL_MYINFO, s, this.opts.version, 'ow', 'bot');
    for (const tokens of isupportLines(this.opts.network)) this.numeric(N.RPL_ISUPPORT, ...tokens, 'are supported by this server');
    this.motd();
    // The user counts, as LUSERS answers them (after the core's answer; clients take them in any order).
    this.request({ type: 'whoelse', ref: this.ref({ kind: 'lusers' }) });
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

  private roomMessage(ev: Extract<ServerMessage, { type: 'message' }>): void {
    const own = this.nick !== undefined && foldName(ev.from) === foldName(this.nick);
    // History replays only with timestamps: without them, old lines would read as said just now.
    if (ev.history && !this.caps.has('server-time')) return;
    if (own && !ev.history && !this.caps.has('echo-message')) return;
    this.text(sourceOf(ev.from), ev.notice ? 'NOTICE' : 'PRIVMSG', ev.room ?? LOBBY, ev.text, ev.action === true, ev.time, ev.id);
  }

  private whisper(ev: Extract<ServerMessage, { type: 'whisper' }>, pending: Pending | undefined): void {
    const toMe = this.nick !== undefined && foldName(ev.to) === foldName(this.nick);
    const fromMe = this.nick !== undefined && foldName(ev.from) === foldName(this.nick);
    const command = ev.notice ? 'NOTICE' : 'PRIVMSG';
    if (fromMe && ev.stored) this.notice(`${ev.to} is offline; they get your whisper at their next login`);
    // The core says it once per away period (the sender's copy); IRC's RPL_AWAY carries it.
    if (fromMe && ev.away !== undefined) {
      this.awayOf.set(foldName(ev.to), ev.away);
      this.numeric(N.RPL_AWAY, ev.to, ircSafe(ev.away || 'Away'));
    }
    if (fromMe && !toMe) {
      if (this.caps.has('echo-message')) this.text(sourceOf(ev.from), command, ev.to, ev.text, false, ev.time, ev.id);
      return;
    }
    if (fromMe && toMe && pending !== undefined && !this.caps.has('echo-message')) return; // to oneself: the echo is the delivery
    this.text(sourceOf(ev.from), command, this.me, ev.text, false, ev.time, ev.id);
  }

  /**
   * A PRIVMSG/NOTICE of parley text. A text an IRC client could have sent in one line goes out in one line,
   * even when the source in front makes it longer than IRC_LINE_BYTES (as Ergo relays; cutting or splitting
   * a line someone wrote whole would change it); a longer one (parley's texts are longer) is split into
   * lines that fit IRC_LINE_BYTES with the source.
   */
  private text(source: string, command: string, target: string, text: string, action: boolean, time: number, id: number): void {
    const safe = ircSafe(text);
    const body = Buffer.byteLength(safe) + (action ? '\x01ACTION \x01'.length : 0);
    // As the client could have written it: the colon only where the text needs one.
    const colon = safe === '' || safe.includes(' ') || safe.startsWith(':') || action ? ':' : '';
    const sent = Buffer.byteLength(`${command} ${target} ${colon}\r\n`) + body <= IRC_LINE_BYTES;
    const overhead = Buffer.byteLength(`:${source} ${command} ${target} :\r\n`) + (action ? '\x01ACTION \x01'.length : 0);
    for (const piece of sent ? [safe] : splitUtf8(safe, IRC_LINE_BYTES - overhead)) {
      this.write({ source, command, params: [target, action ? `\x01ACTION ${piece}\x01` : piece], ...(this.caps.has('message-tags') && { tags: { msgid: String(id) } }) }, time);
    }
  }

  /** RPL_NAMREPLY lines that fit IRC_LINE_BYTES, operators marked `@`, then RPL_ENDOFNAMES. */
  private names(channel: string, users: readonly string[]): void {
    const c = this.channels.get(channel);
    const room = c?.name ?? channel;
    if (c) {
      const head = `:${this.opts.serverName} ${N.RPL_NAMREPLY} ${this.me} = ${room} :`;
      let line: string[] = [];
      let bytes = Buffer.byteLength(head) + 2;
      const full = this.caps.has('userhost-in-names');
      for (const u of users.map((n) => this.channels.prefixed(c, n) + (full ? `!${n}@${USER_HOST}` : ''))) {
        if (line.length > 0 && bytes + u.length + 1 > IRC_LINE_BYTES) {
          this.numeric(N.RPL_NAMREPLY, '=', room, line.join(' '));
          line = [];
          bytes = Buffer.byteLength(head) + 2;
        }
        line.push(u);
        bytes += u.length + 1;
      }
      if (line.length > 0) this.numeric(N.RPL_NAMREPLY, '=', room, line.join(' '));
    }
    this.numeric(N.RPL_ENDOFNAMES, room, 'End of /NAMES list');
  }

  /** One RPL_WHOREPLY: `H` here or `G` gone (away), `@` for a channel operator. */
  private whoReply(channel: string, name: string): void {
    const c = channel === '*' ? undefined : this.channels.get(channel);
    const op = c?.operators.has(foldName(name)) ? '@' : '';
    const { user, realname, oper } = this.identity(name);
    const here = this.awayOf.has(foldName(name)) ? 'G' : 'H';
    this.numeric(N.RPL_WHOREPLY, channel, user, USER_HOST, this.opts.serverName, name, `${here}${oper ? '*' : ''}${op}`, `0 ${realname}`);
  }

  /** The user and real name `name` registered with over IRC; a parley user's (or one unknown here) is its name. */
  private identity(name: string): IrcIdentity {
    if (this.isMe(name)) return { user: this.user ?? name, realname: this.realname || name, oper: this.oper };
    return this.opts.people?.get(name) ?? { user: name, realname: name };
  }

  /** Turn the core's list of people into the reply the IRC query wanted. */
  private answer(q: Pending | undefined, users: readonly string[]): void {
    if (!q) return;
    const find = (nick: string) => users.find((u) => foldName(u) === foldName(nick));
    switch (q.kind) {
      case 'names':
        return this.names(q.channel, users);
      case 'who': {
        const mask = q.mask;
        if (mask.startsWith('#')) {
          for (const u of users) this.whoReply(this.channels.get(mask)?.name ?? mask, u);
        } else {
          // No channel for a WHO of people (modern.ircdocs.horse allows `*`): which of theirs would it be?
          for (const u of users.filter((u) => matchMask(mask, u))) this.whoReply('*', u);
        }
        return this.numeric(N.RPL_ENDOFWHO, mask, 'End of WHO list');
      }
      case 'whois': {
        const u = find(q.nick);
        if (u === undefined) {
          this.numeric(N.ERR_NOSUCHNICK, q.nick, 'No such nick/channel');
          return this.numeric(N.RPL_ENDOFWHOIS, q.nick, 'End of /WHOIS list');
        }
        const me = this.isMe(u);
        const { user, realname } = this.identity(u);
        this.numeric(N.RPL_WHOISUSER, u, user, USER_HOST, '*', realname);
        const shared = this.channels.of(u);
        if (shared.length > 0) this.numeric(N.RPL_WHOISCHANNELS, u, shared.join(' '));
        this.numeric(N.RPL_WHOISSERVER, u, this.opts.serverName, this.opts.network);
        const away = this.awayOf.get(foldName(u));
        if (this.identity(u).oper) this.numeric(N.RPL_WHOISOPERATOR, u, 'is an IRC operator (a server administrator)');
        if (away !== undefined) this.numeric(N.RPL_AWAY, u, ircSafe(away || 'Away'));
        if (me && this.account) this.numeric(N.RPL_WHOISACCOUNT, u, u, 'is logged in as');
        return this.numeric(N.RPL_ENDOFWHOIS, u, 'End of /WHOIS list');
      }
      case 'lusers': {
        // One server, no invisible users, no IRC operators: what parley has.
        const n = String(users.length);
        this.numeric(N.RPL_LUSERCLIENT, `There are ${n} users and 0 invisible on 1 servers`);
        this.numeric(N.RPL_LUSERME, `I have ${n} clients and 0 servers`);
        this.numeric(N.RPL_LOCALUSERS, `Current local users: ${n}`);
        return this.numeric(N.RPL_GLOBALUSERS, `Current global users: ${n}`);
      }
      case 'ison':
        return this.numeric(N.RPL_ISON, q.nicks.map(find).filter((u): u is string => u !== undefined).join(' '));
      case 'userhost':
        return this.numeric(
          N.RPL_USERHOST,
          q.nicks
            .map(find)
            .filter((u): u is string => u !== undefined)
            .map((u) => `${u}=${this.awayOf.has(foldName(u)) ? '-' : '+'}${u}@${USER_HOST}`)
            .join(' '),
        );
      default:
        return;
    }
  }

  /** A refusal from the core, as the numeric an IRC client understands. */
  private error(ev: Extract<ServerMessage, { type: 'error' }>, q: Pending | undefined): void {
    const msg = ircSafe(ev.message);
    if (ev.code === 'registration_timeout' || ev.code === 'idle_timeout' || ev.code === 'session_replaced' || ev.code === 'session_revoked' || ev.code === 'too_many_connections' || ev.code === 'not_parley' || ev.code === 'killed') {
      this.lastError = `Closing Link: ${this.opts.serverName} (${msg})`;
      return;
    }
    if (ev.code === 'admin_revoked') {
      // The core took the rights OPER gave (a changed password, `user admin --off`, `user remove`): the
      // client's +o, WHO's `*`, WHOIS's 313 and WALLOPS go with them, as the core's KILL already does.
      this.notice(msg);
      return this.setOper(false);
    }
    if (ev.re === 'hello') return this.registrationRefused(ev, msg, q);
    if (q?.kind === 'privmsg') {
      // RFC 2812 §3.3.2: no automatic reply to a NOTICE, errors included (two bots would loop on them).
      if (q.notice) return;
      if (ev.code === 'no_such_user') return this.numeric(N.ERR_NOSUCHNICK, q.target, 'No such nick/channel');
      if (ev.code === 'no_such_room' || ev.code === 'invalid_room') return this.numeric(N.ERR_NOSUCHCHANNEL, q.target, msg);
      return this.numeric(N.ERR_CANNOTSENDTOCHAN, q.target, msg);
    }
    // A line naming several targets costs the core a request per target past the first (listener.ts); past
    // the burst the rest are refused, each named by its command.
    if (ev.code === 'rate_limited' && q !== undefined) {
      if (q.kind === 'channel') return this.numeric(N.RPL_TRYAGAIN, q.re.toUpperCase(), `${q.channel}: ${msg}`);
      return this.numeric(N.RPL_TRYAGAIN, COMMAND_OF[q.kind], msg);
    }
    if (q?.kind === 'channel') {
      const ch = q.channel;
      switch (ev.code) {
        case 'invalid_room':
        case 'no_such_room':
          return this.numeric(N.ERR_NOSUCHCHANNEL, ch, msg);
        case 'not_in_room':
          return this.numeric(N.ERR_NOTONCHANNEL, ch, msg);
        case 'not_operator':
        case 'topic_locked':
          return this.numeric(N.ERR_CHANOPRIVSNEEDED, ch, msg);
        case 'banned':
          return this.numeric(N.ERR_BANNEDFROMCHAN, ch, msg);
        case 'too_many_rooms':
        case 'room_limit':
          return this.numeric(N.ERR_TOOMANYCHANNELS, ch, msg);
        case 'no_such_user':
        case 'invalid_name':
          return q.re === 'kick' ? this.numeric(N.ERR_USERNOTINCHANNEL, q.nick ?? '*', ch, msg) : this.numeric(N.ERR_NOSUCHNICK, q.nick ?? '*', msg);
      }
    }
    if (q?.kind === 'invite') {
      if (ev.code === 'no_such_user' || ev.code === 'not_delivered') return this.numeric(N.ERR_NOSUCHNICK, q.nick, 'No such nick/channel');
      if (ev.code === 'already_in_room') return this.numeric(N.ERR_USERONCHANNEL, q.nick, q.channel, 'is already on channel');
      if (ev.code === 'not_in_room') return this.numeric(N.ERR_NOTONCHANNEL, q.channel, msg);
      if (ev.code === 'no_such_room' || ev.code === 'invalid_room') return this.numeric(N.ERR_NOSUCHCHANNEL, q.channel, msg);
    }
    if (q?.kind === 'oper') {
      if (ev.code === 'login_failed' || ev.code === 'locked') return this.numeric(N.ERR_PASSWDMISMATCH, msg);
      if (ev.code === 'not_operator' || ev.code === 'accounts_off') return this.numeric(N.ERR_NOOPERHOST, msg);
    }
    if (q?.kind === 'kill') {
      if (ev.code === 'not_operator') return this.numeric(N.ERR_NOPRIVILEGES, `Permission Denied- ${msg}`);
      if (ev.code === 'no_such_user') return this.numeric(N.ERR_NOSUCHNICK, q.nick, 'No such nick/channel');
    }
    if (q?.kind === 'nick') {
      if (ev.code === 'invalid_name') return this.numeric(N.ERR_ERRONEUSNICKNAME, q.nick, msg);
      if (ev.code === 'name_taken' || ev.code === 'name_registered') return this.numeric(N.ERR_NICKNAMEINUSE, q.nick, msg);
    }
    this.notice(msg);
  }

  /** User mode +o on or off: the client sees MODE, the other IRC clients WHO's `*` and WHOIS's 313. */
  private setOper(oper: boolean): void {
    if (this.oper === oper) return;
    this.oper = oper;
    if (this.nick !== undefined) this.opts.people?.opered(this.nick, this, oper);
    this.write({ source: sourceOf(this.me), command: 'MODE', params: [this.me, oper ? '+o' : '-o'] });
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
