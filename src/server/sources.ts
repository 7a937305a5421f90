import net from 'node:net';
import { MAX_TRACKED_SOURCES } from '../wire/limits.js';
import { TokenBucket } from '../wire/ratelimit.js';

// Where a connection comes from, as the unit of per-source limits, and a bounded table of token buckets
// keyed by it. One IPv4 address is one source; an IPv6 host usually holds a whole /64 (RFC 4291's
// interface identifier, privacy addresses of RFC 8981), so IPv6 addresses are grouped by their /64 or
// rotating through the prefix would reset every limit.

/** The per-source key of `ip`: the IPv4 address (also when IPv4-mapped), or `prefix::/64` for IPv6. */
export function sourceOf(ip: string): string {
  if (!ip.includes(':')) return ip; // IPv4: no need for the IPv6 parser's regular expression (every connection asks)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (net.isIPv6(ip)) return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`;
  return ip;
}

/** The eight 16-bit groups of an IPv6 address, expanded (`::` filled with zeros), as lower-case hex. */
function ipv6Groups(ip: string): string[] {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const a = head === '' ? [] : head.split(':');
  const b = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - a.length - b.length).fill('0');
  return [...a, ...fill, ...b].map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)));
}

/**
 * A token bucket per key (a source, or a name and a source), created full on first use. At most `maxKeys`
 * are kept; the least recently used is forgotten first, which at worst gives that key a fresh burst.
 */
export class BucketTable {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly maxKeys = MAX_TRACKED_SOURCES,
  ) {}

  /** Spend one token of `key`'s bucket; false when it is empty. */
  take(key: string, now: number): boolean {
    return this.bucket(key, now).take(now);
  }

  /** Milliseconds until `key` may take again. */
  waitMs(key: string, now: number): number {
    return this.buckets.get(key)?.waitMs(now) ?? 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  private bucket(key: string, now: number): TokenBucket {
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key); // re-insert: Map order is least recently used first
    } else {
      b = new TokenBucket(this.burst, this.perSecond, now);
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
    return b;
  }
}
