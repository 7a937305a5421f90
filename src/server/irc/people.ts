import { IRC_WHOWAS_ENTRIES } from '../../wire/limits.js';
import { foldName } from '../../wire/names.js';

// The user name and real name each IRC client registered with (USER), by its nick, shared by the IRC
// connections of one server: WHO and WHOIS show them for IRC users, as IRC servers do. The core knows
// neither (a parley user has only a name), so parley users, and IRC users on another node of a cluster,
// are shown with their name in both places. It also remembers who left (WHOWAS): the gateway's own IRC
// clients, as an IRC server remembers its own users; parley's clients are not in it.

export interface IrcIdentity {
  user: string;
  realname: string;
  /** Took a server administrator's rights with OPER: WHO shows `*`, WHOIS 313. */
  oper?: boolean;
}

/** A nick someone had: who they were while they had it (WHOWAS). */
export interface IrcDeparture extends IrcIdentity {
  nick: string;
}

export class IrcPeople {
  private readonly byNick = new Map<string, IrcIdentity & { owner: object }>();
  /** The IRC clients with user mode +w, and how each takes a WALLOPS line. */
  private readonly wallopsTo = new Map<object, (source: string, text: string) => void>();
  /** Departures, oldest first; at most IRC_WHOWAS_ENTRIES. */
  private readonly gone: IrcDeparture[] = [];

  /** `owner` (its session) now goes by `nick`. */
  set(nick: string, identity: IrcIdentity, owner: object): void {
    this.byNick.set(foldName(nick), { ...identity, owner });
  }

  /** `owner` renamed itself from `old` to `now`. */
  rename(old: string, now: string, owner: object): void {
    const entry = this.byNick.get(foldName(old));
    if (entry?.owner !== owner) return;
    this.byNick.delete(foldName(old));
    this.byNick.set(foldName(now), entry);
    this.departed(old, entry);
  }

  /** `owner` is gone; a newer connection that took the nick since keeps its entry. */
  forget(nick: string, owner: object): void {
    this.wallopsTo.delete(owner);
    const entry = this.byNick.get(foldName(nick));
    if (entry?.owner !== owner) return;
    this.byNick.delete(foldName(nick));
    this.departed(nick, entry);
  }

  /** Who had a nick matching `matches`, newest first, at most `count` of them (all when count is undefined). */
  was(matches: (nick: string) => boolean, count?: number): IrcDeparture[] {
    const found: IrcDeparture[] = [];
    for (let i = this.gone.length - 1; i >= 0 && (count === undefined || found.length < count); i--) {
      if (matches(this.gone[i]!.nick)) found.push(this.gone[i]!);
    }
    return found;
  }

  private departed(nick: string, { user, realname }: IrcIdentity): void {
    if (this.gone.length >= IRC_WHOWAS_ENTRIES) this.gone.shift();
    this.gone.push({ nick, user, realname });
  }

  get(nick: string): IrcIdentity | undefined {
    return this.byNick.get(foldName(nick));
  }

  /**
   * `owner`, known as `nick`, is an IRC operator now (a server administrator's rights, by OPER), or no longer
   * is (`oper` false: the core ended those rights, admin_revoked).
   */
  opered(nick: string, owner: object, oper: boolean): void {
    const entry = this.byNick.get(foldName(nick));
    if (entry?.owner === owner) entry.oper = oper;
  }

  /** `owner` wants WALLOPS (user mode +w) and takes them with `deliver`, or no longer does (`deliver` undefined). */
  wallops(owner: object, deliver: ((source: string, text: string) => void) | undefined): void {
    if (deliver) this.wallopsTo.set(owner, deliver);
    else this.wallopsTo.delete(owner);
  }

  /** A WALLOPS from `source` to every IRC client with +w (the sender sees its own only if it has +w too). */
  wallop(source: string, text: string): void {
    for (const deliver of this.wallopsTo.values()) deliver(source, text);
  }
}
