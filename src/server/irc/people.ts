import { foldName } from '../../wire/names.js';

// The user name and real name each IRC client registered with (USER), by its nick, shared by the IRC
// connections of one server: WHO and WHOIS show them for IRC users, as IRC servers do. The core knows
// neither (a parley user has only a name), so parley users, and IRC users on another node of a cluster,
// are shown with their name in both places.

export interface IrcIdentity {
  user: string;
  realname: string;
}

export class IrcPeople {
  private readonly byNick = new Map<string, IrcIdentity & { owner: object }>();

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
  }

  /** `owner` is gone; a newer connection that took the nick since keeps its entry. */
  forget(nick: string, owner: object): void {
    if (this.byNick.get(foldName(nick))?.owner === owner) this.byNick.delete(foldName(nick));
  }

  get(nick: string): IrcIdentity | undefined {
    return this.byNick.get(foldName(nick));
  }
}
