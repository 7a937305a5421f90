import { compareNames, foldName } from '../wire/names.js';
import type { Store } from './store.js';

// The names one user has blocked. For a registered user every change is written through to the store and
// the list is loaded at login; a guest's list lives as long as the connection. Blocks are by name key;
// registered names are fixed, and when a blocked guest renames, the hub moves the block to the new name.

export class BlockList {
  /** Made at the first block: most users never block anyone, and every connection has a list. */
  private names: Map<string, string> | null = null;
  /** Set when the owner is a registered user: changes are persisted under this key. */
  private owner: string | undefined;

  constructor(private readonly store?: Store) {}

  get size(): number {
    return this.names === null ? 0 : this.names.size;
  }

  has(nameKey: string): boolean {
    return this.names !== null && this.names.size > 0 && this.names.has(nameKey);
  }

  /** Folded names (what the other servers of a cluster check a guest's blocks by). */
  keys(): string[] {
    return this.names === null ? [] : [...this.names.keys()];
  }

  /** Display names, sorted. */
  list(): string[] {
    return this.names === null ? [] : [...this.names.values()].sort(compareNames);
  }

  add(name: string): void {
    const key = foldName(name);
    if (this.owner !== undefined) this.store?.addBlock(this.owner, key, name);
    (this.names ??= new Map()).set(key, name);
  }

  /** False if `name` was not blocked. */
  remove(name: string): boolean {
    const key = foldName(name);
    if (this.names === null || !this.names.has(key)) return false;
    if (this.owner !== undefined) this.store?.dropBlock(this.owner, key);
    this.names.delete(key);
    return true;
  }

  /** The blocked user changed name while online: the block follows them. */
  rename(oldName: string, newName: string): void {
    if (this.remove(oldName)) this.add(newName);
  }

  /**
   * The owner is now a registered user: blocks made as a guest are kept (written to the store) and those
   * stored from earlier sessions are added.
   */
  attach(ownerKey: string): void {
    if (!this.store) return;
    this.owner = ownerKey;
    if (this.names !== null) for (const [key, name] of this.names) this.store.addBlock(ownerKey, key, name);
    for (const b of this.store.blocks(ownerKey)) (this.names ??= new Map()).set(b.key, b.name);
  }
}
