// Latency histogram (HDR-style: exact below 256 µs, then 128 sub-buckets per power of two, so any value is
// within 0.8% of its bucket) and the percentiles taken from it. Workers record into their own histogram and
// ship the non-empty buckets to the orchestrator, which merges them: no per-sample arrays anywhere.

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const LINEAR = SUB * 2; // values below this get one bucket each
const MAX_VALUE = 0x7fffffff; // µs: about 35 minutes
export const BUCKETS = LINEAR + (31 - SUB_BITS - 1) * SUB;

export function bucketOf(us: number): number {
  let v = us <= 0 ? 0 : us >= MAX_VALUE ? MAX_VALUE : Math.floor(us);
  if (v < LINEAR) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS; // v >> shift lies in [128, 255]
  v = v >>> shift;
  return LINEAR + (shift - 1) * SUB + (v - SUB);
}

/** The middle of a bucket's range, in µs. */
export function valueOf(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const shift = Math.floor((bucket - LINEAR) / SUB) + 1;
  const mantissa = ((bucket - LINEAR) % SUB) + SUB;
  return mantissa * 2 ** shift + 2 ** shift / 2;
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;

  record(us: number): void {
    this.counts[bucketOf(us)]! += 1;
    this.total++;
    if (us > this.max) this.max = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }

  /** Non-empty buckets as [bucket, count] pairs, for IPC. */
  sparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) out.push([i, this.counts[i]!]);
    return out;
  }

  merge(pairs: Array<[number, number]>, max: number): void {
    for (const [b, n] of pairs) {
      this.counts[b]! += n;
      this.total += n;
    }
    if (max > this.max) this.max = max;
  }

  /** The value (µs) at quantile q in [0, 1]; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(h: Histogram): LatencySummary {
  return { samples: h.total, p50Ms: h.quantile(0.5) / 1000, p99Ms: h.quantile(0.99) / 1000, maxMs: h.max / 1000 };
}

/** parley / ngIRCd, or NaN when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return a / b;
}

/** The median of `xs` (not empty). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A figure with three significant digits or so (thousands grouped). */
export function num(v: number): string {
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString('en-US') : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** "median (min–max)" of the defined values, or "-". */
export function spread(xs: Array<number | undefined>, unit = ''): string {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (v.length === 0) return '-';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.length === 1 || lo === hi ? `${num(v[0]!)}${unit}` : `${num(median(v))}${unit} (${num(lo)}–${num(hi)})`;
}
