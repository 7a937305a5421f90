import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { CLIENT, run } from '../helpers/cli.js';
import { ESCAPE_CORPUS, FORBIDDEN } from '../helpers/corpus.js';
import { RawClient } from '../helpers/raw-client.js';

// 8. The escape corpus in every field a user controls — message, /me, whisper, name, rename, quit reason —
//    and 0 forbidden code points reach what line mode prints (stdout and stderr). The full-screen client is
//    checked through its headless renderer in test/tui.

let server: RunningServer;
afterEach(() => server.close());

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN.source, 'gu');

describe('escape injection', () => {
  it('every corpus entry in every field: 0 forbidden code points in the victim\'s output', async () => {
    server = await startServer({ port: 0, ratePerSecond: 0 });
    const victim = run(CLIENT, ['--plain', 'victim', '127.0.0.1', String(server.port)]);
    await victim.waitFor(/^\* users/);
    const corpus = Object.values(ESCAPE_CORPUS);

    const mallory = await RawClient.join(server.port, 'mallory');
    for (const bad of corpus) {
      mallory.send({ type: 'say', text: `say ${bad}` });
      mallory.send({ type: 'say', text: `act ${bad}`, action: true });
      mallory.send({ type: 'whisper', to: 'victim', text: `psst ${bad}` });
      mallory.send({ type: 'nick', name: `m${bad}` }); // refused: nobody sees it, but try
      victim.child.stdin.write(`/w ${bad.replace(/\n/g, '')} hi\n`); // the victim whispering a hostile name echoes it in an error
    }
    // Each hostile name tries to join; each joiner leaves with a hostile quit reason.
    for (const bad of corpus) {
      const c = await RawClient.connect(server.port);
      c.send({ type: 'hello', name: `n${bad}`, version: 1 }); // refused (invalid name)
      c.send({ type: 'hello', name: 'quitter', version: 1 });
      await c.next((m) => m.type === 'welcome');
      c.send({ type: 'quit', reason: `bye ${bad}` });
      await c.closed;
    }
    mallory.send({ type: 'say', text: 'the end' });
    await victim.waitFor(/<mallory> the end$/);
    victim.child.stdin.end();
    await victim.exit;

    const lines = (victim.stdout() + victim.stderr()).split('\n'); // the newline ending each line is ours
    const hits = lines.flatMap((l) => l.match(FORBIDDEN_GLOBAL) ?? []);
    console.log(
      `escape corpus: ${corpus.length} payloads x 6 fields; victim printed ${lines.length} lines; forbidden code points: ${hits.length}`,
    );
    expect(hits).toEqual([]);
    // Sanity: the hostile lines did arrive (sanitised), so the check looked at real output.
    expect(lines.filter((l) => /<mallory> say /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /\* mallory act /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /\*mallory\* psst /.test(l))).toHaveLength(corpus.length);
    expect(lines.filter((l) => /quitter has left \(quit: bye/.test(l))).toHaveLength(corpus.length);
    mallory.close();
  }, 30_000);
});
