import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT, run } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { testIdentity } from '../helpers/tls.js';
import { startTestServer, tempDb, type TestServer } from '../server/helpers.js';
import { tempDir } from '../helpers/tmp.js';

// What a server entry of the config file brings to the real `parley` (issue 17, item 1): its rooms joined at
// the start, TLS, and the key's fingerprint to trust; --print-config says all of it for this run.

let servers: TestServer[] = [];
let raws: RawClient[] = [];
let home: string;
let env: Record<string, string>;

beforeEach(() => {
  home = tempDir('parley-home-');
  env = { XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data') };
  mkdirSync(path.join(home, 'config', 'parley'), { recursive: true });
});
afterEach(async () => {
  for (const r of raws) r.close();
  for (const s of servers) await s.stop();
  raws = [];
  servers = [];
});

const writeConfig = (text: string) => writeFileSync(path.join(home, 'config', 'parley', 'config.toml'), text);

async function serve(o: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer> {
  const s = await startTestServer(tempDb(), { mode: 'off', ...o });
  servers.push(s);
  return s;
}

describe('a server entry of the config file', () => {
  it('rooms = [...] are joined once connected: others see the person there', async () => {
    const s = await serve();
    writeConfig(`name = "dora"\n[servers.here]\nhost = "127.0.0.1"\nport = ${s.port}\nrooms = ["#ops", "#Dev"]\n`);
    const dora = run(CLIENT, ['--plain', 'here'], env);
    await dora.waitFor(/now in #ops/);
    await dora.waitFor(/now in #Dev/i);
    const eve = await RawClient.connect(s.port);
    raws.push(eve);
    eve.send({ type: 'hello', name: 'eve', version: 2 });
    await eve.next((m) => m.type === 'welcome');
    eve.send({ type: 'join', room: '#ops', ref: 'j' });
    expect(await eve.next((m) => m.type === 'room' && m.ref === 'j')).toMatchObject({ room: '#ops', users: ['dora', 'eve'] });
    dora.child.stdin.end();
    expect(await dora.exit).toBe(0);
  });

  it('tls = true and fingerprint = "SHA256:...": the client speaks TLS and trusts that key without asking', async () => {
    const identity = await testIdentity();
    const s = await serve({ secureContext: identity.secureContext });
    // Without the fingerprint, from a pipe, this unknown server is refused (exit 8)...
    writeConfig(`name = "dora"\n[servers.secure]\nhost = "127.0.0.1"\nport = ${s.port}\ntls = true\n`);
    const unsure = run(CLIENT, ['--plain', 'secure'], env);
    unsure.child.stdin.end();
    expect(await unsure.exit).toBe(8);
    // ...with it, the entry's key is trusted and the line goes over TLS.
    writeConfig(`name = "dora"\n[servers.secure]\nhost = "127.0.0.1"\nport = ${s.port}\ntls = true\nfingerprint = "${identity.fingerprint}"\n`);
    const dora = run(CLIENT, ['--plain', 'secure'], env);
    await dora.waitFor(/^\* connected to .* as dora/);
    dora.child.stdin.end('over tls\n');
    expect(await dora.exit).toBe(0);
    expect(dora.stdout()).toContain('<dora> over tls');
  });

  it('tls = true to a server that has no TLS fails with one line instead of talking in plaintext', async () => {
    const s = await serve();
    writeConfig(`name = "dora"\n[servers.plain]\nhost = "127.0.0.1"\nport = ${s.port}\ntls = true\n`);
    const dora = run(CLIENT, ['--plain', 'plain'], env);
    dora.child.stdin.end();
    expect(await dora.exit).toBe(3);
    expect(dora.stderr()).toMatch(/TLS/);
  });

  it('--print-config says this run: server, TLS, the key trusted and the rooms, and what the terminal gets', async () => {
    writeConfig(`name = "dora"\n[servers.work]\nhost = "chat.example.com"\ntls = true\nfingerprint = "SHA256:${'A'.repeat(43)}"\nrooms = ["#ops"]\n[keys]\nsearch = "f6"\n`);
    const c = run(CLIENT, ['--print-config', 'work'], { ...env, TERM_PROGRAM: 'WezTerm' });
    expect(await c.exit).toBe(0);
    const out = c.stdout();
    expect(out).toContain(`# this run: dora at chat.example.com:7777 over TLS (server "work"), trusting SHA256:${'A'.repeat(43)}, joining #ops`);
    expect(out).toContain('# on this terminal: links as OSC 8 hyperlinks; desktop notifications osc9');
    expect(out).toMatch(/^search = \[ "f6" \]$/m);
    expect(out).toMatch(/^help = \[ "f1", "M-h" \]$/m);
  });
});
