#!/usr/bin/env node
import { CHECKS, type Check } from './checks.js';
import { Context, Failure, Skip } from './context.js';
import { Peer } from './peer.js';

// npm run conformance -- HOST PORT: every check of checks.ts against a running server, one line per check,
// then "N passed, N failed". Exit status 0 when nothing failed, 1 when something did, 2 when the server
// cannot be reached or the arguments are wrong.

type Outcome = { check: Check; result: 'pass' | 'fail' | 'skip'; detail?: string };

async function runOne(check: Check, host: string, port: number): Promise<Outcome> {
  const ctx = new Context(host, port);
  try {
    await check.run(ctx);
    return { check, result: 'pass' };
  } catch (err) {
    if (err instanceof Skip) return { check, result: 'skip', detail: err.message };
    const detail = err instanceof Failure || err instanceof Error ? err.message : String(err);
    return { check, result: 'fail', detail };
  } finally {
    ctx.closeAll();
  }
}

function line(o: Outcome): string {
  const tag = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[o.result];
  return `${tag} §${o.check.section} ${o.check.must}${o.detail === undefined ? '' : `\n     ${o.detail}`}`;
}

async function main(argv: string[]): Promise<number> {
  const [host, portText] = argv;
  const port = Number(portText);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write('usage: npm run conformance -- HOST PORT   (checks the parley server at HOST:PORT)\n');
    return 2;
  }
  try {
    (await Peer.connect(host, port)).close();
  } catch (err) {
    process.stderr.write(`conformance: cannot connect to ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; is the server running?\n`);
    return 2;
  }
  const outcomes: Outcome[] = [];
  for (const check of CHECKS.filter((c) => !c.slow)) {
    const o = await runOne(check, host, port);
    outcomes.push(o);
    process.stdout.write(line(o) + '\n');
  }
  // The timer checks each wait 20-35 s for the server; together they take as long as the longest.
  const slow = await Promise.all(CHECKS.filter((c) => c.slow).map((c) => runOne(c, host, port)));
  for (const o of slow) process.stdout.write(line(o) + '\n');
  outcomes.push(...slow);
  const count = (r: Outcome['result']) => outcomes.filter((o) => o.result === r).length;
  const skipped = count('skip');
  process.stdout.write(`${count('pass')} passed, ${count('fail')} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  return count('fail') > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
