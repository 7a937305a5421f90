import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/server/store.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { addUser, tempDb, Wire } from './helpers.js';

// kill -9 during writes: the real server (dist/, built by `tsc` before the tests) on a temporary database
// is killed while clients write as fast as they can, several rounds. After each round SQLite's integrity
// check passes and every message the server acknowledged (echoed with our ref) is in the database.

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/server/main.js');

function spawnServer(db: string, log: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [MAIN, '0', '--db', db, '--log', log, '--no-rate-limit', '--history', '1000', '--scrypt-n', '1024'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr!.on('data', (d: Buffer) => reject(new Error(d.toString())));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

describe('kill -9 during writes', () => {
  it.skipIf(!fs.existsSync(MAIN))('keeps the database intact and every acknowledged message, round after round', async () => {
    const db = tempDb();
    const log = path.join(path.dirname(db), 'server.log');
    {
      // One recipient per round keeps each below MAX_OFFLINE_PER_USER.
      const seed = new Store(db);
      for (let r = 0; r < 4; r++) await addUser(seed, `mailbox${r}`, 'mailbox password');
      seed.close();
    }
    const acked = { say: new Set<string>(), whisper: new Set<string>() };
    const ROUNDS = 4;
    const PER_ROUND = 150;
    for (let round = 0; round < ROUNDS; round++) {
      const { child, port } = await spawnServer(db, log);
      const writers = await Promise.all([Wire.hello(port, `w${round}a`), Wire.hello(port, `w${round}b`)]);
      let n = 0;
      let stop = false;
      // Each writer sends one request every 2 ms (at most PER_ROUND, so the history of 1000 holds them
      // all) and records each echo carrying its ref: that is the acknowledgement.
      const pumps = writers.map(async (w, k) => {
        const inFlight = new Set<string>();
        w.socket.on('data', () => {
          for (const f of w.frames.splice(0)) {
            const ref = (f as { ref?: string }).ref;
            if (ref === undefined || !inFlight.delete(ref)) continue;
            if (f.type === 'message') acked.say.add((f as Extract<ServerMessage, { type: 'message' }>).text);
            if (f.type === 'whisper' && (f as { stored?: boolean }).stored) acked.whisper.add((f as Extract<ServerMessage, { type: 'whisper' }>).text);
          }
        });
        for (let sent = 0; !stop && !w.closed && sent < PER_ROUND; sent++) {
          const ref = `r${round}-${k}-${n++}`;
          inFlight.add(ref);
          if (n % 5 === 0) w.send({ type: 'whisper', to: `mailbox${round}`, text: `whisper ${ref}`, ref });
          else w.send({ type: 'say', text: `say ${ref}`, ref });
          await new Promise((r) => setTimeout(r, 2));
        }
      });
      await new Promise((r) => setTimeout(r, 200 + round * 30));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      stop = true;
      await Promise.all(pumps);
      for (const w of writers) w.close();

      const store = new Store(db);
      try {
        expect(store.integrityCheck()).toBe('ok');
        const texts = new Set(store.recentHistory('#lobby', 1000).map((m) => m.text));
        const missing = [...acked.say].filter((t) => !texts.has(t));
        expect(missing).toEqual([]);
        const mail = new Set([0, 1, 2, 3].flatMap((r) => store.offlineFor(`mailbox${r}`).map((w) => w.text)));
        expect([...acked.whisper].filter((t) => !mail.has(t))).toEqual([]);
      } finally {
        store.close();
      }
    }
    // The rounds really wrote under the kill: something was acknowledged each time.
    expect(acked.say.size).toBeGreaterThan(ROUNDS * 10);
    expect(acked.whisper.size).toBeGreaterThan(ROUNDS);
  });
});
