import { foldName, nameSkeleton } from '../wire/names.js';
import type { ConnId, Session } from './session.js';

// The directory of who is connected and who is online under which name, server-wide (rooms come and go;
// a name is unique on the whole server), and how many connections each address holds.

export class Directory {
  private readonly sessions = new Map<ConnId, Session>();
  /** Named sessions by folded name. */
  private readonly byName = new Map<string, Session>();
  private readonly perIp = new Map<string, number>();
  /** Online names by nameSkeleton: `aIice` may not come online beside `alice`. */
  private readonly skeletons = new Map<string, string>();

  /** Connections, named or not. */
  get connections(): number {
    return this.sessions.size;
  }

  /** Sessions online under a name. */
  get online(): number {
    return this.byName.size;
  }

  session(id: ConnId): Session | undefined {
    return this.sessions.get(id);
  }

  /** The session online under `name` (any case), if any. */
  find(name: string): Session | undefined {
    return this.byName.get(foldName(name));
  }

  /** The online name that looks like `name` (same nameSkeleton), if any; it may be `name` itself in another case. */
  lookAlike(name: string): string | undefined {
    return this.skeletons.get(nameSkeleton(name));
  }

  /** Whether a name (any case) is online. */
  has(key: string): boolean {
    return this.byName.has(key);
  }

  /** Every connection, named or not. */
  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Every session online under a name. */
  named(): IterableIterator<Session> {
    return this.byName.values();
  }

  /** Connections from `ip` once one more is counted. */
  wouldHold(ip: string): number {
    return (this.perIp.get(ip) ?? 0) + 1;
  }

  add(s: Session): void {
    this.perIp.set(s.ip, this.wouldHold(s.ip));
    this.sessions.set(s.id, s);
  }

  /** `s` is online under s.name, in place of any older session under that name. */
  bind(s: Session): void {
    this.byName.set(foldName(s.name!), s);
    this.skeletons.set(nameSkeleton(s.name!), s.name!);
  }

  /** s.name was `old` and is s.name now. */
  rebind(s: Session, old: string): void {
    const oldKey = foldName(old);
    if (this.byName.get(oldKey) === s) {
      this.byName.delete(oldKey);
      this.skeletons.delete(nameSkeleton(old));
    }
    this.bind(s);
  }

  /** Forget a connection; returns whether it was the session online under its name. */
  remove(s: Session): boolean {
    this.sessions.delete(s.id);
    const left = (this.perIp.get(s.ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(s.ip, left);
    else this.perIp.delete(s.ip);
    if (s.name === undefined) return false;
    const key = foldName(s.name);
    if (this.byName.get(key) !== s) return false;
    this.byName.delete(key);
    this.skeletons.delete(nameSkeleton(s.name));
    return true;
  }

  clear(): void {
    this.sessions.clear();
    this.byName.clear();
    this.skeletons.clear();
    this.perIp.clear();
  }
}
