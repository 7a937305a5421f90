import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { COLOR_ROLES, defaultConfig, loadConfig, parseConfig, problemLine } from '../../../src/tui/config/config.js';
import { configFile, logsDir } from '../../../src/tui/config/paths.js';
import { printConfig, resolveConnection } from '../../../src/tui/config/resolve.js';
import { lookOf } from '../../../src/tui/view/look.js';
import { KeyMap } from '../../../src/tui/view/keys.js';
import { formatTimestamp, timestampProblem } from '../../../src/tui/config/timestamp.js';
import { tempDir } from '../../helpers/tmp.js';

const FULL = `
# a person's whole file
name = "alice"
server = "work"
timestamp = "%H:%M:%S"
highlight = ["deploy", "parley"]
mouse = false
links = "off"

[notify]
bell = false
desktop = "osc9"

[log]
enabled = false
dir = "/tmp/elsewhere"

[colors]
mention = "bright-red"
own = "#00ff00"
dim_names = ["buildbot"]
dim_events = ["join", "leave"]

[keys]
nick = "f6"
help = ["f1", "M-h"]

[servers.work]
host = "chat.work.example"
port = 7000
tls = true
fingerprint = "SHA256:${'zX+/'.repeat(10)}abc"
rooms = ["#general", "#ops"]

[servers.home]
host = "10.0.0.2"
`;

describe('config file: values', () => {
  test('every setting of a full file is read', () => {
    const { config, problems } = parseConfig(FULL);
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      name: 'alice',
      server: 'work',
      timestamp: '%H:%M:%S',
      highlight: ['deploy', 'parley'],
      mouse: false,
      links: 'off',
      bell: false,
      desktop: 'osc9',
      log: { enabled: false, dir: '/tmp/elsewhere' },
      colors: { mention: 'bright-red', own: '#00ff00' },
      dimNames: ['buildbot'],
      dimEvents: ['join', 'leave'],
      keys: { nick: ['f6'], help: ['f1', 'M-h'] },
    });
    expect(config.servers['work']).toEqual({ host: 'chat.work.example', port: 7000, tls: true, fingerprint: `SHA256:${'zX+/'.repeat(10)}abc`, rooms: ['#general', '#ops'] });
    expect(config.servers['home']).toEqual({ host: '10.0.0.2', port: 7777, tls: false, rooms: [] });
  });

  test('an empty file is the defaults', () => {
    expect(parseConfig('')).toEqual({ config: defaultConfig(), problems: [] });
  });

  test('--print-config output is TOML that reads back to the same effective settings, built-in colours and keys written out', () => {
    const { config } = parseConfig(FULL);
    const text = printConfig(config, undefined, '/x/config.toml');
    expect(text.split('\n')[0]).toBe('# parley\'s effective settings (/x/config.toml)');
    const back = parseConfig(text);
    expect(back.problems).toEqual([]);
    expect(lookOf(back.config, false)).toEqual(lookOf(config, false));
    expect(new KeyMap(back.config.keys).commands).toEqual(new KeyMap(config.keys).commands);
    expect({ ...back.config, colors: {}, keys: {} }).toEqual({ ...config, colors: {}, keys: {} });
    // Without a file: the built-in colours and every command key are there to copy and change.
    const defaults = printConfig(defaultConfig(), undefined, 'defaults');
    expect(defaults).toMatch(/^mention = "yellow"$/m);
    expect(defaults).toMatch(/^help = \[ "f1", "M-h" \]$/m);
    expect(defaults).toMatch(/^dim_events = \[ "join", "leave", "rename", "history" \]$/m);
  });
});

describe('config file: problems are one line with file, line and what is wrong', () => {
  test('a TOML syntax error names its line; everything falls back to the defaults', () => {
    const { config, problems } = parseConfig('name = "alice"\nmouse = \n[log]\n');
    expect(config).toEqual(defaultConfig());
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(2);
    expect(problems[0]!.message).toMatch(/^not valid TOML: .+; the whole file is ignored$/);
  });

  test.each([
    ['a wrong type', 'name = "alice"\nmouse = "yes"\n', 2, 'mouse must be true or false'],
    ['an unknown top-level key (a typo)', 'nmae = "alice"\n', 1, 'unknown setting "nmae"'],
    ['an unknown key in a table', '[log]\nenable = false\n', 2, 'unknown setting "log.enable"'],
    ['a port out of range', '[servers.a]\nhost = "h"\n\nport = 70000\n', 4, 'a port is a whole number from 1 to 65535'],
    ['a server without a host', 'name = "x"\n[servers.a]\nport = 1\n', 2, '[servers.a] has no host = "..."'],
    ['a default server that is not defined', 'server = "nope"\n', 1, 'no server named "nope" under [servers]'],
    ['an invalid name', 'name = "al ice"\n', 1, 'a name may use only letters (a-z, A-Z), digits, "_", "-" and "."'],
    ['a bad timestamp conversion', 'timestamp = "%H:%Q"\n', 1, '"%Q" is not a known conversion (use %H %I %M %S %p %d %m %Y %y %%)'],
    ['a colour that is not one', '[colors]\nown = "chartreuse-ish"\n', 2, '"chartreuse-ish" is not a colour (a name such as "cyan" or "bright-red", or "#rrggbb")'],
    ['an event that cannot be dimmed', '[colors]\ndim_events = ["join", "typing"]\n', 2, '"typing" is not an event (join, leave, rename, history)'],
    ['a key name that is not one', '[keys]\nnick = "Ctrl+X"\n', 2, '"Ctrl+X" is not a key name (such as "f6", "M-j" for Alt+J, "C-o" for Ctrl+O)'],
    ['one key for two commands', '[keys]\nhelp = "f6"\nnick = "f6"\n', 3, '"f6" is already the key of /help'],
    ['a key for a command that does not exist', '[keys]\nfly = "f6"\n', 2, 'unknown setting "keys.fly"'],
    ['a desktop mode that does not exist', '[notify]\ndesktop = "dbus"\n', 2, 'notify.desktop must be one of "auto", "osc777", "osc9", "off"'],
    ['a room without #', '[servers.w]\nhost = "h"\nrooms = ["general"]\n', 3, '"general" is not a room name such as "#general"'],
    ['a bad fingerprint', '[servers.w]\nhost = "h"\nfingerprint = "md5:00"\n', 3, 'a fingerprint is "SHA256:" and 43 characters, as parley-server prints it'],
    ['a table where a value belongs', 'name = "a"\n[mouse]\nx = 1\n', 2, 'mouse must be true or false'],
    ['a dotted key', 'servers.w.host = "h"\nservers.w.port = "80"\n', 2, 'a port is a whole number from 1 to 65535'],
  ])('%s', (_, text, line, message) => {
    const { problems } = parseConfig(text);
    expect(problems[0]).toEqual({ line, message });
  });

  test('a bad value costs only that setting: the rest of the file still applies', () => {
    const { config, problems } = parseConfig('name = "alice"\nmouse = 3\nhighlight = ["x"]\n[servers.w]\nhost = "h"\nport = 0\n');
    expect(problems.map((p) => p.line)).toEqual([2, 6]);
    expect(config.name).toBe('alice');
    expect(config.mouse).toBe(true);
    expect(config.highlight).toEqual(['x']);
    expect(config.servers['w']).toEqual({ host: 'h', port: 7777, tls: false, rooms: [] });
  });

  test('the line a person sees', () => {
    expect(problemLine('/h/.config/parley/config.toml', [{ line: 2, message: 'mouse must be true or false' }])).toBe(
      '/h/.config/parley/config.toml:2: mouse must be true or false; using the defaults for that setting',
    );
    expect(problemLine('/c.toml', [{ line: 2, message: 'a' }, { line: 5, message: 'b' }, { line: 9, message: 'c' }])).toBe('/c.toml:2: a (and 2 more problems); using the defaults for those settings');
    expect(problemLine('/c.toml', [{ line: 0, message: 'cannot read it (EACCES)' }])).toBe('/c.toml: cannot read it (EACCES); using the defaults for that setting');
  });

  test('odd input never throws: it is at least one problem, and the settings are usable', () => {
    for (const text of ['\u0000\u0001', '[[[', 'a = """', '= 1', 'x = 1979-05-27T07:32:00Z', '[servers]\nw = 1', 'servers = 3', '[[servers]]\nhost = "h"', 'highlight = [1, 2]', 'name = 5']) {
      const r = parseConfig(text);
      expect(r.problems.length, text).toBeGreaterThanOrEqual(1);
      expect(r.config.servers).toEqual({});
    }
  });
});

describe('config file: on disk', () => {
  const dir = tempDir('parley-config-');

  test('XDG_CONFIG_HOME is used when absolute, else ~/.config; logs under XDG_DATA_HOME', () => {
    expect(configFile({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' })).toBe('/x/cfg/parley/config.toml');
    expect(configFile({ HOME: '/home/a' })).toBe('/home/a/.config/parley/config.toml');
    expect(configFile({ XDG_CONFIG_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.config/parley/config.toml');
    expect(logsDir({ XDG_DATA_HOME: '/x/data', HOME: '/home/a' })).toBe('/x/data/parley/logs');
    expect(logsDir({ HOME: '/home/a' })).toBe('/home/a/.local/share/parley/logs');
  });

  test('a missing file is the defaults with no problem', () => {
    expect(loadConfig(path.join(dir, 'none.toml'))).toEqual({ config: defaultConfig(), problems: [] });
  });

  test('a file that cannot be read is one problem about the whole file', () => {
    const sub = path.join(dir, 'isdir.toml');
    mkdirSync(sub);
    expect(loadConfig(sub).problems).toEqual([{ line: 0, message: 'cannot read it (EISDIR)' }]);
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, 'locked.toml');
      writeFileSync(locked, 'name = "a"');
      chmodSync(locked, 0);
      expect(loadConfig(locked).problems).toEqual([{ line: 0, message: 'cannot read it (EACCES)' }]);
    }
  });

  test('a file on disk is read', () => {
    const file = path.join(dir, 'ok.toml');
    writeFileSync(file, 'name = "bob"\n');
    expect(loadConfig(file)).toMatchObject({ config: { name: 'bob' }, problems: [], file });
  });
});

describe('which server and name a run uses', () => {
  const { config } = parseConfig(FULL);

  test('no arguments: the default server as the default name', () => {
    expect(resolveConnection(config, [], {})).toEqual({ ok: true, connection: { name: 'alice', ...config.servers['work'], serverName: 'work' } });
  });

  test('with one server and no default, that server', () => {
    const one = parseConfig('name = "a"\n[servers.only]\nhost = "h"\n').config;
    expect(resolveConnection(one, [], {})).toMatchObject({ ok: true, connection: { host: 'h', serverName: 'only' } });
  });

  test('no file at all: 127.0.0.1:7777, and a name is needed', () => {
    expect(resolveConnection(defaultConfig(), [], {})).toEqual({ ok: false, message: 'no name given: run "parley NAME", or set name = "..." in the config file' });
    expect(resolveConnection(defaultConfig(), ['bob'], {})).toEqual({ ok: true, connection: { name: 'bob', host: '127.0.0.1', port: 7777, tls: false, rooms: [] } });
  });

  test('`parley home` connects to the server named home', () => {
    expect(resolveConnection(config, ['home'], {})).toMatchObject({ ok: true, connection: { name: 'alice', host: '10.0.0.2', port: 7777, serverName: 'home' } });
  });

  test('a word that is not a server is a name, as before the file existed', () => {
    expect(resolveConnection(config, ['carol'], {})).toMatchObject({ ok: true, connection: { name: 'carol', host: 'chat.work.example', serverName: 'work' } });
    expect(resolveConnection(config, ['carol', 'other.example', '9000'], {})).toEqual({ ok: true, connection: { name: 'carol', host: 'other.example', port: 9000, tls: false, rooms: [] } });
  });

  test('an address the file knows keeps its TLS settings', () => {
    expect(resolveConnection(config, ['carol', 'chat.work.example'], {})).toMatchObject({ ok: true, connection: { tls: true, port: 7000, serverName: 'work' } });
  });

  test('flags win over the file', () => {
    expect(resolveConnection(config, ['home'], { name: 'dave', port: 1234 })).toMatchObject({ ok: true, connection: { name: 'dave', host: '10.0.0.2', port: 1234 } });
    expect(resolveConnection(config, [], { host: 'x.example' })).toMatchObject({ ok: true, connection: { name: 'alice', host: 'x.example' } });
  });

  test('bad words are one clear line', () => {
    expect(resolveConnection(config, ['carol', 'h', '0'], {})).toEqual({ ok: false, message: '"0" is not a port: a port is a whole number from 1 to 65535' });
    expect(resolveConnection(config, ['ca rol'], {})).toMatchObject({ ok: false, message: '"ca rol" cannot be a name: a name may use only letters (a-z, A-Z), digits, "_", "-" and "."' });
    expect(resolveConnection(config, ['a', 'b', '1', 'c'], {})).toEqual({ ok: false, message: 'too many arguments: c' });
  });
});

describe('timestamps', () => {
  const t = new Date(2026, 10, 30, 15, 4, 5).getTime();
  test('strftime conversions in local time', () => {
    expect(formatTimestamp('%H:%M', t)).toBe('15:04');
    expect(formatTimestamp('[%Y-%m-%d %I:%M:%S %p] 100%%', t)).toBe('[2026-11-30 03:04:05 PM] 100%');
    expect(formatTimestamp('%y', t)).toBe('26');
  });
  test('what cannot be a format', () => {
    expect(timestampProblem('%H:%M')).toBeNull();
    expect(timestampProblem('%H %')).toBe('a timestamp format cannot end with a lone "%"');
    expect(timestampProblem('\x1b[31m%H')).toBe('a timestamp format cannot contain control characters');
    expect(timestampProblem('x'.repeat(33))).toMatch(/at most 32/);
  });
});

describe("the README's example config", () => {
  test('reads without a problem (its placeholder fingerprint aside) and shows every colour role and every setting applied', async () => {
    const fs = await import('node:fs');
    const readme = fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const example = /```toml\n([\s\S]*?)```/.exec(readme)![1]!.replace('SHA256:...', `SHA256:${'A'.repeat(43)}`);
    const { config, problems } = parseConfig(example);
    expect(problems).toEqual([]);
    for (const role of COLOR_ROLES) expect(config.colors[role], role).toBeDefined();
    expect(config.servers.work).toMatchObject({ tls: true, rooms: ['#general', '#ops'] });
    expect(config.keys.search).toEqual(['f6', 'M-f']);
    expect(config.dimEvents).toEqual(['join', 'leave']);
  });
});
