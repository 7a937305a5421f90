// Which build a result file measured: the commit of the checkout whose dist/ ran, and whether its sources
// differed from that commit. Written into every bench:* result, so that a summary can refuse to pass off
// figures of one build as another's (issue 15: "nothing in it comes from an older build").
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './servers.js';

/**
 * `abc1234` (short commit), `abc1234+changes` when src/ or the package files differ from it, or
 * `unknown` outside git; `BENCH_PARLEY_DIST` (another build's dist/) is named as such.
 */
export function buildOf(root = REPO_ROOT): string {
  if (process.env.BENCH_PARLEY_DIST) return `dist ${process.env.BENCH_PARLEY_DIST}`;
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = git('status', '--porcelain', '--', 'src', 'package.json', 'package-lock.json') !== '';
    return `${git('rev-parse', '--short=7', 'HEAD')}${changed ? '+changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

/**
 * The builds of a set of result files, or a line saying they are not one build (files of before this field
 * count as "unrecorded"); undefined when they are one.
 */
export function mixedBuilds(builds: Array<string | undefined>): string | undefined {
  const named = [...new Set(builds.map((b) => b ?? 'unrecorded'))];
  return named.length > 1 ? `**not one build**: the files are of ${named.join(', ')}` : undefined;
}
