// The results chart, written as plain SVG (no chart library): three panels against room size N, one line
// per server: open-loop latency (p50 dashed, p99 solid, log scale), saturation deliveries per second, and
// server CPU seconds per million deliveries at the same offered load.

export interface Series {
  name: string;
  color: string;
  dash?: string;
  /** One value per x label; NaN where there is none. */
  values: number[];
}

export interface Panel {
  title: string;
  yLabel: string;
  log: boolean;
  series: Series[];
  /** Formats a y value for ticks and point labels. */
  format: (v: number) => string;
}

const W = 400;
const H = 330;
const M = { left: 62, right: 16, top: 40, bottom: 52 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round up to 1, 2 or 5 times a power of ten. */
function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function panel(p: Panel, xLabels: string[], x0: number): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const all = p.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!p.log || v > 0));
  let lo: number;
  let hi: number;
  let ticks: number[];
  if (p.log) {
    lo = 10 ** Math.floor(Math.log10(Math.min(...all, 1)));
    hi = 10 ** Math.ceil(Math.log10(Math.max(...all, lo * 10)));
    ticks = [];
    for (let t = lo; t <= hi * 1.001; t *= 10) ticks.push(t);
  } else {
    lo = 0;
    hi = niceCeil(Math.max(...all, 0) * 1.1);
    ticks = [0, 1, 2, 3, 4, 5].map((i) => (hi * i) / 5);
  }
  const y = (v: number): number => {
    const f = p.log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    return M.top + ph - f * ph;
  };
  const x = (i: number): number => M.left + (xLabels.length === 1 ? pw / 2 : (i * pw) / (xLabels.length - 1)) * 0.84 + pw * 0.08;
  const out: string[] = [`<g transform="translate(${x0},0)">`];
  out.push(`<text x="${M.left + pw / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${ty}" y2="${ty}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${M.left - 6}" y="${ty}" dy="4" text-anchor="end" font-size="11">${esc(p.format(t))}</text>`);
  }
  xLabels.forEach((label, i) => {
    out.push(`<text x="${x(i).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${esc(label)}</text>`);
  });
  out.push(`<text x="${M.left + pw / 2}" y="${H - 18}" text-anchor="middle" font-size="12">clients in the room (N)</text>`);
  out.push(
    `<text transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`,
  );
  for (const s of p.series) {
    const pts = s.values.map((v, i) => ({ v, i })).filter(({ v }) => Number.isFinite(v) && (!p.log || v > 0));
    if (pts.length > 1) {
      const d = pts.map(({ v, i }, k) => `${k === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    }
    for (const { v, i } of pts) {
      out.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(`${s.name}: ${p.format(v)}`)}</title></circle>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}

export function renderChart(title: string, subtitle: string, xLabels: string[], panels: Panel[]): string {
  const width = W * panels.length;
  const legend = new Map<string, Series>();
  // One entry per line style: a plain "parley" adds nothing when "parley p99" already shows that line.
  const styles = new Set<string>();
  for (const p of panels) {
    for (const s of p.series) {
      const style = `${s.color}/${s.dash ?? ''}`;
      if (legend.has(s.name) || styles.has(style)) continue;
      styles.add(style);
      legend.set(s.name, s);
    }
  }
  const height = H + 60;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="${width / 2}" y="38" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    `<g transform="translate(0,40)">`,
    ...panels.map((p, i) => panel(p, xLabels, i * W)),
    `</g>`,
  ];
  let lx = 20;
  const ly = height - 14;
  for (const s of legend.values()) {
    parts.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    parts.push(`<text x="${lx + 32}" y="${ly}" font-size="12">${esc(s.name)}</text>`);
    lx += 40 + s.name.length * 7;
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
