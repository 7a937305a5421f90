// Reads a V8 .cpuprofile (node --cpu-prof) and lists where the time went: self time per function,
// heaviest first. Usable on its own: node bench/dist/profile.js FILE.cpuprofile [TOP]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the non-idle time. */
  selfPct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  top: FunctionTime[];
}

function where(cf: CallFrame): string {
  if (cf.url === '') return '';
  let file = cf.url.replace(/^file:\/\//, '');
  const dist = file.indexOf('/dist/');
  if (dist >= 0) file = file.slice(dist + 1);
  else if (file.startsWith('node:')) file = file;
  else file = path.basename(file);
  return `${file}:${cf.lineNumber + 1}`;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const self = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the gap after it to sample i.
    const dt = prof.timeDeltas[i + 1] ?? 0;
    const node = byId.get(prof.samples[i]!);
    if (!node) continue;
    total += dt;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    const w = where(node.callFrame);
    const key = `${name}@${w}`;
    const entry = self.get(key) ?? { name, where: w, us: 0 };
    entry.us += dt;
    self.set(key, entry);
  }
  const busy = total - idle;
  const list = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, selfPct: busy > 0 ? (100 * e.us) / busy : 0 }));
  return { totalMs: total / 1000, idleMs: idle / 1000, busyMs: busy / 1000, top: list };
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [
    `profile: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy (${((100 * s.busyMs) / Math.max(1, s.totalMs)).toFixed(0)}%), ${(s.idleMs / 1000).toFixed(1)} s idle`,
    `  self %   self ms  function                                   where`,
  ];
  for (const f of s.top) {
    lines.push(`  ${f.selfPct.toFixed(1).padStart(6)}  ${f.selfMs.toFixed(0).padStart(8)}  ${f.name.slice(0, 42).padEnd(42)} ${f.where}`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/profile.js FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  process.stdout.write(formatProfile(summarizeProfile(file, Number(process.argv[3] ?? 25))) + '\n');
}
