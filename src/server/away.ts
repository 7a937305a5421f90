import { MAX_AWAY_TOLD } from '../wire/limits.js';
import { foldName } from '../wire/names.js';

// Who is away (issue 17), by folded name: this server's users and, in a cluster, those of the other
// servers as their away events arrive. Plain data; rules/away.ts decides who is told what.

/** One person's away period: since when, their message, and who has already been told it. */
export interface Away {
  /** "" when they gave none. */
  message: string;
  since: number;
  /** Folded names of the senders whose whisper has carried this message back already (once each). */
  told: Set<string>;
}

export class AwayBook {
  private readonly byKey = new Map<string, Away>();

  /**
   * `name` is away from `since` with `message`: a new period, so everyone is told again. The same period
   * again (a cluster's event arrives once per room they are in) changes nothing.
   */
  set(name: string, message: string, since: number): void {
    const key = foldName(name);
    const before = this.byKey.get(key);
    if (before?.since === since && before.message === message) return;
    this.byKey.set(key, { message, since, told: new Set() });
  }

  /** `name` is back (or gone); true if they were away. */
  clear(name: string): boolean {
    return this.byKey.delete(foldName(name));
  }

  get(name: string): Away | undefined {
    return this.byKey.get(foldName(name));
  }

  /** The away period follows a change of name. */
  rename(old: string, name: string): void {
    const away = this.byKey.get(foldName(old));
    if (away === undefined) return;
    this.byKey.delete(foldName(old));
    this.byKey.set(foldName(name), away);
  }

  /**
   * The message a whisper from `senderKey` to `name` carries back, the first time in this away period;
   * undefined when `name` is not away or this sender was told already.
   */
  noticeFor(name: string, senderKey: string): string | undefined {
    const away = this.byKey.get(foldName(name));
    if (away === undefined || away.told.has(senderKey)) return undefined;
    // Oldest first out: a flood of new names cannot grow it, at worst one of them is told twice.
    if (away.told.size >= MAX_AWAY_TOLD) away.told.delete(away.told.values().next().value!);
    away.told.add(senderKey);
    return away.message;
  }

  /** Which of `names` are away, in their order; undefined when none is (the wire leaves the field out). */
  among(names: readonly string[]): string[] | undefined {
    if (this.byKey.size === 0) return undefined;
    const away = names.filter((n) => this.byKey.has(foldName(n)));
    return away.length > 0 ? away : undefined;
  }
}
