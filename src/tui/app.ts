import { runPlain } from './plain.js';

// Placeholder until the full-screen client lands (issue 3): a terminal gets line mode.
export function runFullScreen(o: { name: string; host: string; port: number }): Promise<number> {
  return runPlain({ ...o, json: false, input: process.stdin, out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n'), hint: true });
}
