import { shareListJson } from '../wire/frame.js';
import { compareNames } from '../wire/names.js';

// A room's member names, sorted, with their JSON kept in blocks. A join storm changes the list once per
// joiner and sends each joiner the whole list, so encoding it whole each time costs O(N) JSON work per join
// (JSON.stringify of 5,000 names: ~0.3-0.7 ms on the bench machine, most of a 10,000-client join's CPU).
// Here a change re-encodes the one block it touched, and a frame that lists the room copies the blocks'
// bytes (a memcpy): frame.ts finds them by the frozen array's identity.

/** Names per block at most; a block past it is split in two. Small enough that re-encoding one is cheap. */
const BLOCK_NAMES = 128;

interface Block {
  names: string[];
  /** The block's names as JSON without the brackets (`"a","b"`), or null until asked for again. */
  json: Buffer | null;
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Names sorted case-insensitively (compareNames), each at most once, with their JSON kept per block. */
export class NameList {
  private blocks: Block[] = [];
  private count = 0;
  /** A frozen copy, shared by every list handed out until the names change. */
  private view: readonly string[] | undefined;

  get length(): number {
    return this.count;
  }

  /** Add `name` at its place. */
  insert(name: string): void {
    this.view = undefined;
    this.count++;
    if (this.blocks.length === 0) {
      this.blocks.push({ names: [name], json: null });
      return;
    }
    const b = this.blockFor(name);
    const block = this.blocks[b]!;
    block.names.splice(rank(block.names, name), 0, name);
    block.json = null;
    if (block.names.length > BLOCK_NAMES) {
      const half = block.names.length >> 1;
      this.blocks.splice(b + 1, 0, { names: block.names.splice(half), json: null });
    }
  }

  /** Remove `name` (exactly this spelling); false when it is not listed. */
  remove(name: string): boolean {
    if (this.blocks.length === 0) return false;
    const b = this.blockFor(name);
    const block = this.blocks[b]!;
    const i = rank(block.names, name);
    if (block.names[i] !== name) return false;
    this.view = undefined;
    this.count--;
    block.names.splice(i, 1);
    block.json = null;
    if (block.names.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  clear(): void {
    this.blocks = [];
    this.count = 0;
    this.view = undefined;
  }

  /**
   * The names, sorted: one frozen array until they change, its JSON handed to frame.ts with it, so that
   * every frame that lists it (a joiner's room frame, welcome, a `users` answer) is encoded without
   * JSON-encoding the names again.
   */
  toArray(): readonly string[] {
    if (this.view !== undefined) return this.view;
    // One native concatenation of the blocks: a loop of pushes, per join into a room of N, was O(N)
    // interpreted work on a fresh server (issue 15, target 6).
    const all = this.blocks.length === 0 ? [] : this.blocks[0]!.names.concat(...this.blocks.slice(1).map((b) => b.names));
    this.view = Object.freeze(all);
    shareListJson(this.view, this.json());
    return this.view;
  }

  /** `["a","b",…]` in pieces (the blocks' JSON between brackets and commas); only changed blocks are encoded. */
  private json(): Buffer[] {
    const parts: Buffer[] = [OPEN];
    for (const [i, block] of this.blocks.entries()) {
      if (i > 0) parts.push(COMMA);
      parts.push((block.json ??= Buffer.from(JSON.stringify(block.names).slice(1, -1), 'utf8')));
    }
    parts.push(CLOSE);
    return parts;
  }

  /** The block `name` belongs in: the first whose last name is not below it, or the last block. */
  private blockFor(name: string): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const names = this.blocks[mid]!.names;
      if (compareNames(names[names.length - 1]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Where `name` stands, or would stand, in sorted `names`. */
function rank(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNames(names[mid]!, name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
