// The open-files limit of the bench's processes: 10,000 clients need 10,000+ descriptors in the server and
// as many in the process that holds the clients.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** This process's open-files limit, soft and hard (/proc/self/limits; Infinity for "unlimited"). */
export function fdLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  const v = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s ?? 1024));
  return { soft: v(m?.[1]), hard: v(m?.[2]) };
}

/**
 * Raise this process's open-files limit (the processes it starts inherit it) to `want`; without
 * CAP_SYS_RESOURCE settles for the hard limit. Says on stderr when the result is below `need`.
 */
export function raiseFdLimit(want: number, need: number): void {
  const before = fdLimit();
  if (before.soft >= want) return;
  const hard = Number.isFinite(before.hard) ? before.hard : want;
  for (const spec of [`${want}:${want}`, `${Math.min(want, hard)}:${hard}`]) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${spec}`], { stdio: 'ignore' });
      break;
    } catch {
      // not allowed to raise the hard limit; try the soft one up to it
    }
  }
  const after = fdLimit();
  if (after.soft < need) {
    process.stderr.write(`warning: the open-files limit is ${after.soft}, below the ${need} this run needs; run as root or under "prlimit --nofile=${want}"\n`);
  }
}
