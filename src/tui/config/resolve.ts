import { stringify } from 'smol-toml';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../wire/limits.js';
import { nameProblem } from '../../wire/names.js';
import type { Config } from './config.js';
import { KeyMap } from '../view/keys.js';
import { DEFAULT_COLORS } from '../view/look.js';

// Which server and name a run of `parley` uses. The command line wins over the file:
//   parley                      the default server (`server = ...`, or the only one) as `name`
//   parley work                 the server named `work` in [servers], as `name`
//   parley alice [host] [port]  as before the file existed: a name, then an address (no address: the
//                               default server)
//   --name NAME                 the name, whatever the rest says
// A first word that names a configured server is the server; to use that word as your name, pass --name.

/** Where to connect and as whom, after the file and the command line. */
export interface Connection {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  fingerprint?: string;
  rooms: string[];
  /** The [servers] key this came from, if any: logs and completion use it. */
  serverName?: string;
}

export type Resolved = { ok: true; connection: Connection } | { ok: false; message: string };

/** Resolve the positional words and flags against the config (pure; main.ts prints the message). */
export function resolveConnection(config: Config, words: readonly string[], flags: { name?: string; host?: string; port?: number }): Resolved {
  const [first, host, port, ...extra] = words;
  if (extra.length) return { ok: false, message: `too many arguments: ${extra.join(' ')}` };
  const servers = Object.keys(config.servers);
  let base: Omit<Connection, 'name'> = { host: DEFAULT_HOST, port: DEFAULT_PORT, tls: false, rooms: [] };
  let name = flags.name;
  const fromServer = (key: string) => ({ ...config.servers[key]!, serverName: key });
  const defaultKey = config.server ?? (servers.length === 1 ? servers[0] : undefined);
  if (first !== undefined && first in config.servers && host === undefined) {
    base = fromServer(first);
  } else if (first !== undefined) {
    name ??= first;
    if (host === undefined && defaultKey !== undefined) base = fromServer(defaultKey);
    if (host !== undefined) {
      base = { ...base, host };
      // An address given by hand may still be one the file knows: keep its TLS and fingerprint.
      const known = servers.find((k) => config.servers[k]!.host === host && (port === undefined || String(config.servers[k]!.port) === port));
      if (known) base = { ...fromServer(known), host };
    }
    if (port !== undefined) {
      const n = Number(port);
      if (!/^\d+$/.test(port) || n < 1 || n > 65535) return { ok: false, message: `"${port}" is not a port: a port is a whole number from 1 to 65535` };
      base = { ...base, port: n };
    }
  } else if (defaultKey !== undefined) {
    base = fromServer(defaultKey);
  }
  if (flags.host !== undefined) base = { ...base, host: flags.host };
  if (flags.port !== undefined) base = { ...base, port: flags.port };
  name ??= config.name;
  if (name === undefined) return { ok: false, message: 'no name given: run "parley NAME", or set name = "..." in the config file' };
  const problem = nameProblem(name);
  if (problem) return { ok: false, message: `"${name}" cannot be a name: ${problem}` };
  return { ok: true, connection: { ...base, name } };
}

/** What this terminal can do, for --print-config's comments (term/features.ts). */
export interface TerminalNote {
  hyperlinks: boolean;
  notify: string | undefined;
}

/**
 * `parley --print-config`: the effective settings as TOML, with where they came from in comments: every
 * colour and command key in force (built-in ones included), what `links` and `desktop` come to on this
 * terminal, and the server, TLS, trusted key and rooms of this run. Read back, it gives the same settings.
 */
export function printConfig(config: Config, connection: Connection | undefined, source: string, terminal?: TerminalNote): string {
  const keys: Record<string, string[]> = {};
  for (const k of new KeyMap(config.keys).commands) keys[k.command] = [...k.keys];
  const doc = {
    ...(config.name !== undefined && { name: config.name }),
    ...(config.server !== undefined && { server: config.server }),
    timestamp: config.timestamp,
    highlight: config.highlight,
    mouse: config.mouse,
    links: config.links,
    notify: { bell: config.bell, desktop: config.desktop },
    log: { enabled: config.log.enabled, ...(config.log.dir !== undefined && { dir: config.log.dir }) },
    colors: { ...DEFAULT_COLORS, ...config.colors, dim_names: config.dimNames, dim_events: config.dimEvents },
    keys,
    servers: config.servers,
  };
  const head = [`# parley's effective settings (${source})`];
  if (connection) {
    const via = connection.serverName ? ` (server "${connection.serverName}")` : '';
    const trust = connection.fingerprint !== undefined ? `, trusting ${connection.fingerprint}` : '';
    const rooms = connection.rooms.length > 0 ? `, joining ${connection.rooms.join(' ')}` : '';
    head.push(`# this run: ${connection.name} at ${connection.host}:${connection.port}${connection.tls ? ' over TLS' : ''}${via}${trust}${rooms}`);
  }
  if (terminal) {
    head.push(`# on this terminal: links ${terminal.hyperlinks ? 'as OSC 8 hyperlinks' : 'as plain text'}; desktop notifications ${terminal.notify ?? 'off'}`);
  }
  return head.join('\n') + '\n' + stringify(doc);
}
