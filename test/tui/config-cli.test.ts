import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/host.js';
import { CLIENT, run } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../helpers/tmp.js';

// The real `parley` with a config file and chat logs on disk: XDG directories in a temp dir per test.

let server: RunningServer;
let raws: RawClient[] = [];
let home: string;
let env: Record<string, string>;

beforeEach(async () => {
  server = await startServer({ port: 0 });
  home = tempDir('parley-home-');
  env = { XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data') };
  mkdirSync(path.join(home, 'config', 'parley'), { recursive: true });
});

afterEach(async () => {
  for (const r of raws) r.close();
  raws = [];
  await server.close();
});

async function raw(name: string) {
  const c = await RawClient.join(server.port, name);
  raws.push(c);
  return c;
}

const writeConfig = (text: string) => writeFileSync(path.join(home, 'config', 'parley', 'config.toml'), text);

describe('parley with a config file', () => {
  it('`parley` with no arguments connects to the default server as the default name', async () => {
    writeConfig(`name = "dora"\nserver = "here"\n[servers.here]\nhost = "127.0.0.1"\nport = ${server.port}\n`);
    const dora = run(CLIENT, ['--plain'], env);
    await dora.waitFor(/^\* connected to .* as dora/);
    dora.child.stdin.end();
    expect(await dora.exit).toBe(0);
  });

  it('`parley here` connects to the server named here; --name wins over the file', async () => {
    writeConfig(`name = "dora"\n[servers.away]\nhost = "192.0.2.1"\n[servers.here]\nhost = "127.0.0.1"\nport = ${server.port}\n`);
    const c = run(CLIENT, ['--plain', '--name', 'eli', 'here'], env);
    await c.waitFor(/^\* connected to .* as eli/);
    c.child.stdin.end();
    expect(await c.exit).toBe(0);
  });

  it('a bad file is one line with file and line, and the client still starts with the rest', async () => {
    writeConfig(`name = "dora"\nmouse = "yes"\n[servers.here]\nhost = "127.0.0.1"\nport = ${server.port}\n`);
    const c = run(CLIENT, ['--plain'], env);
    await c.waitFor(/^\* connected to .* as dora/);
    c.child.stdin.end();
    expect(await c.exit).toBe(0);
    const file = path.join(home, 'config', 'parley', 'config.toml');
    expect(c.stderr()).toBe(`parley: ${file}:2: mouse must be true or false; using the defaults for that setting\n`);
  });

  it('a file that is not TOML: one line, and the defaults (a name on the command line still works)', async () => {
    writeConfig('name = "dora\n');
    const c = run(CLIENT, ['--plain', 'fay', '127.0.0.1', String(server.port)], env);
    await c.waitFor(/^\* connected to .* as fay/);
    c.child.stdin.end();
    expect(await c.exit).toBe(0);
    expect(c.stderr()).toMatch(/^parley: \S+config\.toml:1: not valid TOML: .*; the whole file is ignored; using the defaults for that setting\n$/);
  });

  it('no name anywhere: exit 2 with one line saying what to do', async () => {
    const c = run(CLIENT, ['--plain'], env);
    expect(await c.exit).toBe(2);
    expect(c.stderr()).toBe('parley: no name given: run "parley NAME", or set name = "..." in the config file\n');
  });

  it('--print-config shows the effective settings, flags applied, as TOML', async () => {
    writeConfig(`name = "dora"\nhighlight = ["deploy"]\n[servers.here]\nhost = "127.0.0.1"\nport = ${server.port}\n`);
    const c = run(CLIENT, ['--print-config', '--no-mouse'], env);
    expect(await c.exit).toBe(0);
    const out = c.stdout();
    expect(out).toContain(`# this run: dora at 127.0.0.1:${server.port} (server "here")`);
    expect(out).toMatch(/^mouse = false$/m);
    expect(out).toMatch(/^highlight = \[ "deploy" \]$/m);
    expect(out).toMatch(/^\[servers\.here\]$/m);
  });
});

describe('chat logs', () => {
  it('every room line and whisper is on disk, readable after kill -9 of the client', async () => {
    const alice = await raw('alice');
    const bob = run(CLIENT, ['--plain', 'bob', '127.0.0.1', String(server.port)], env);
    await bob.waitFor(/users \(2\)/);
    for (let i = 0; i < 8; i++) alice.send({ type: 'say', text: `line ${i} \x1b[31mred\x1b[0m` });
    alice.send({ type: 'whisper', to: 'bob', text: 'psst' });
    await bob.waitFor(/\*alice\* psst/);
    bob.child.kill('SIGKILL'); // no exit handler runs: what is in the file was written line by line
    await bob.exit;
    const dir = path.join(home, 'data', 'parley', 'logs', `127.0.0.1:${server.port}`);
    const room = readFileSync(path.join(dir, '#lobby.log'), 'utf8').split('\n');
    expect(room.pop()).toBe('');
    const said = room.filter((l) => l.includes('<alice>'));
    expect(said).toHaveLength(8);
    said.forEach((l, i) => expect(l).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z <alice> line ${i} red$`)));
    expect(readFileSync(path.join(dir, 'alice.log'), 'utf8')).toMatch(/^\S+Z \*alice\* psst\n$/);
    expect(readFileSync(path.join(dir, '#lobby.log'), 'utf8')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it('/log says where; off in the config means no files and /log says so', async () => {
    const bob = run(CLIENT, ['--plain', 'bob', '127.0.0.1', String(server.port)], env);
    await bob.waitFor(/users \(1\)/);
    bob.child.stdin.end('/log\n');
    expect(await bob.exit).toBe(0);
    expect(bob.stdout()).toContain(`chat logs are written to ${path.join(home, 'data', 'parley', 'logs', `127.0.0.1:${server.port}`)}`);

    writeConfig('[log]\nenabled = false\n');
    const off = run(CLIENT, ['--plain', 'cat', '127.0.0.1', String(server.port)], { ...env, XDG_DATA_HOME: path.join(home, 'data2') });
    await off.waitFor(/users \(1\)/);
    off.child.stdin.end('/log\n');
    expect(await off.exit).toBe(0);
    expect(off.stdout()).toContain('chat logs are off');
    expect(() => readFileSync(path.join(home, 'data2'))).toThrow();
  });
});
