import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { COMMANDS, type CommandName } from '../../wire/commands.js';
import { DEFAULT_PORT } from '../../wire/limits.js';
import { nameProblem } from '../../wire/names.js';
import { DEFAULT_TIMESTAMP, timestampProblem } from './timestamp.js';

// The client's settings file, `config.toml` (paths.ts says where). TOML is parsed by smol-toml; this module
// checks every value, keeps the defaults for what is wrong, and reports problems as `file:line: what`, so a
// typo costs one setting, never the client. README "Configuration" shows a commented example.

/** A server a person connects to by its short name: `parley work`. */
export interface ServerEntry {
  host: string;
  port: number;
  /** Connect with TLS. */
  tls: boolean;
  /** The server key's fingerprint to trust (`SHA256:` and 43 base64 characters, as parley-server prints it). */
  fingerprint?: string;
  /** Rooms to join on connecting, e.g. `#general`. */
  rooms: string[];
}

/** Events that can be shown dimmed, so the conversation stands out. */
export const DIMMABLE_EVENTS = ['join', 'leave', 'rename', 'history'] as const;
export type DimmableEvent = (typeof DIMMABLE_EVENTS)[number];

/** The parts of the screen whose colour a person may choose. */
export const COLOR_ROLES = ['own', 'mention', 'whisper', 'system', 'error', 'help', 'link'] as const;
export type ColorRole = (typeof COLOR_ROLES)[number];

/** How desktop notifications are sent: the terminal's OSC 777 (`notify`) or OSC 9, or not at all. */
export const DESKTOP_MODES = ['auto', 'osc777', 'osc9', 'off'] as const;
export type DesktopMode = (typeof DESKTOP_MODES)[number];

/** Whether URLs become OSC 8 hyperlinks: by what the terminal is known to support, always, or never. */
export const LINK_MODES = ['auto', 'on', 'off'] as const;
export type LinkMode = (typeof LINK_MODES)[number];

export interface Config {
  /** Your name when none is given on the command line. */
  name?: string;
  /** The server `parley` with no arguments connects to (a key of `servers`). */
  server?: string;
  servers: Record<string, ServerEntry>;
  /** strftime-style format of the time column (timestamp.ts). */
  timestamp: string;
  /** Words that mark a line as a highlight, besides your own name (case-insensitive, whole words). */
  highlight: string[];
  mouse: boolean;
  links: LinkMode;
  colors: Partial<Record<ColorRole, string>>;
  /** Names whose lines are shown dimmed (bots, bridges). */
  dimNames: string[];
  dimEvents: DimmableEvent[];
  /** Keys per command, replacing the command table's keys for it (blessed key names: `f6`, `M-j`, `C-o`). */
  keys: Partial<Record<CommandName, string[]>>;
  bell: boolean;
  desktop: DesktopMode;
  log: { enabled: boolean; /** Overrides the XDG data directory's `logs`. */ dir?: string };
}

export function defaultConfig(): Config {
  return {
    servers: {},
    timestamp: DEFAULT_TIMESTAMP,
    highlight: [],
    mouse: true,
    links: 'auto',
    colors: {},
    dimNames: [],
    // As the screen has always drawn them: every event dimmed; a config lists fewer to bring some forward.
    dimEvents: [...DIMMABLE_EVENTS],
    keys: {},
    bell: true,
    desktop: 'auto',
    log: { enabled: true },
  };
}

/** One thing wrong in the file: where (1-based line, 0 when it is about the whole file) and what. */
export interface ConfigProblem {
  line: number;
  message: string;
}

export interface LoadedConfig {
  config: Config;
  /** Empty when the file was fine or absent. */
  problems: ConfigProblem[];
  /** The file read, or undefined when there was none. */
  file?: string;
}

/** The one line a person sees for a file's problems: `FILE:LINE: what is wrong (and N more); ...`. */
export function problemLine(file: string, problems: readonly ConfigProblem[]): string {
  const [first, ...more] = problems;
  if (!first) return '';
  const where = first.line > 0 ? `${file}:${first.line}` : file;
  const extra = more.length ? ` (and ${more.length} more problem${more.length === 1 ? '' : 's'})` : '';
  return `${where}: ${first.message}${extra}; using the defaults for ${more.length ? 'those settings' : 'that setting'}`;
}

/** Read and check `file`. A missing file is no problem (all defaults); one that cannot be read is one. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { config: defaultConfig(), problems: [] };
    return { config: defaultConfig(), problems: [{ line: 0, message: `cannot read it (${e.code ?? e.message})` }], file };
  }
  return { ...parseConfig(text), file };
}

/** Parse and check config text. Never throws: what is wrong becomes a problem and keeps its default. */
export function parseConfig(text: string): { config: Config; problems: ConfigProblem[] } {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      // smol-toml's message is "Invalid TOML document: WHAT" followed by a code excerpt; keep WHAT.
      const what = /^Invalid TOML document: ([^\n]*)/.exec(err.message)?.[1] ?? err.message.split('\n')[0]!;
      return { config: defaultConfig(), problems: [{ line: err.line, message: `not valid TOML: ${what}; the whole file is ignored` }] };
    }
    throw err;
  }
  const checker = new Checker(text);
  return { config: checker.check(doc), problems: checker.problems };
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

const COLOR_NAMES = new Set(['default', 'black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'gray', 'grey']);
const BRIGHT = /^(?:light|bright)-?(black|red|green|yellow|blue|magenta|cyan|white)$/;

/** A colour blessed can draw: a basic name, `light-`/`bright-` plus one, or `#rrggbb`. */
export function colorProblem(v: string): string | null {
  if (COLOR_NAMES.has(v) || BRIGHT.test(v) || /^#[0-9a-fA-F]{6}$/.test(v)) return null;
  return `"${v}" is not a colour (a name such as "cyan" or "bright-red", or "#rrggbb")`;
}

/** A blessed key name: optional `C-`, `M-`, `S-` modifiers, then a letter, digit or a named key. */
const KEY_NAME = /^(?:[CMS]-){0,3}(?:[a-z0-9]|f(?:[1-9]|1[0-2])|up|down|left|right|home|end|pageup|pagedown|insert|delete|tab|enter|space|backspace)$/;

const COMMAND_NAMES = new Set<string>(COMMANDS.map((c) => c.name));

class Checker {
  readonly problems: ConfigProblem[] = [];
  private readonly lines: string[];

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }

  check(doc: Table): Config {
    const c = defaultConfig();
    const top = this.known(doc, [], ['name', 'server', 'timestamp', 'highlight', 'mouse', 'links', 'bell', 'desktop', 'servers', 'colors', 'keys', 'log', 'notify']);
    this.string(top, [], 'name', (v) => nameProblem(v), (v) => (c.name = v));
    this.string(top, [], 'timestamp', timestampProblem, (v) => (c.timestamp = v));
    this.strings(top, [], 'highlight', (v) => (v.trim() === '' ? 'a highlight word cannot be empty' : null), (v) => (c.highlight = v));
    this.boolean(top, [], 'mouse', (v) => (c.mouse = v));
    this.oneOf(top, [], 'links', LINK_MODES, (v) => (c.links = v));

    const servers = this.table(top, [], 'servers');
    for (const [key, value] of Object.entries(servers ?? {})) {
      const entry = this.server(key, value);
      if (entry) c.servers[key] = entry;
    }
    this.string(top, [], 'server', (v) => (v in c.servers ? null : `no server named "${v}" under [servers]`), (v) => (c.server = v));

    const colors = this.table(top, [], 'colors');
    if (colors) {
      const col = this.known(colors, ['colors'], [...COLOR_ROLES, 'dim_names', 'dim_events']);
      for (const role of COLOR_ROLES) this.string(col, ['colors'], role, colorProblem, (v) => (c.colors[role] = v));
      this.strings(col, ['colors'], 'dim_names', nameProblem, (v) => (c.dimNames = v));
      this.strings(col, ['colors'], 'dim_events', (v) => ((DIMMABLE_EVENTS as readonly string[]).includes(v) ? null : `"${v}" is not an event (${DIMMABLE_EVENTS.join(', ')})`), (v) => (c.dimEvents = v as DimmableEvent[]));
    }

    const keys = this.table(top, [], 'keys');
    if (keys) {
      const k = this.known(keys, ['keys'], [...COMMAND_NAMES]);
      const taken = new Map<string, string>();
      for (const command of COMMAND_NAMES) {
        const value = k[command];
        if (value === undefined) continue;
        const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : null;
        const problem =
          list === null || list.length === 0 || !list.every((x) => typeof x === 'string')
            ? 'a key is a string such as "f6" or "M-j", or a list of them'
            : list.map((x) => (KEY_NAME.test(x as string) ? null : `"${x as string}" is not a key name (such as "f6", "M-j" for Alt+J, "C-o" for Ctrl+O)`)).find((p) => p !== null) ??
              list.map((x) => (taken.has(x as string) ? `"${x as string}" is already the key of /${taken.get(x as string)}` : null)).find((p) => p !== null) ??
              null;
        if (problem) this.problem(['keys', command], problem);
        else for (const x of list as string[]) taken.set(x, command);
        if (!problem) c.keys[command as CommandName] = list as string[];
      }
    }

    const notify = this.table(top, [], 'notify');
    if (notify) {
      const n = this.known(notify, ['notify'], ['bell', 'desktop']);
      this.boolean(n, ['notify'], 'bell', (v) => (c.bell = v));
      this.oneOf(n, ['notify'], 'desktop', DESKTOP_MODES, (v) => (c.desktop = v));
    }
    // Also accepted at the top level, where a person who writes `bell = false` first would look.
    this.boolean(top, [], 'bell', (v) => (c.bell = v));
    this.oneOf(top, [], 'desktop', DESKTOP_MODES, (v) => (c.desktop = v));

    const log = this.table(top, [], 'log');
    if (log) {
      const l = this.known(log, ['log'], ['enabled', 'dir']);
      this.boolean(l, ['log'], 'enabled', (v) => (c.log.enabled = v));
      this.string(l, ['log'], 'dir', (v) => (v.trim() === '' ? 'a directory cannot be empty' : null), (v) => (c.log.dir = v));
    }
    return c;
  }

  private server(key: string, value: unknown): ServerEntry | undefined {
    const at = ['servers', key];
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(key)) {
      this.problem(at, `"${key}" cannot name a server: use letters, digits, "_", "-" and "." (at most 32)`);
      return undefined;
    }
    if (!isTable(value)) {
      this.problem(at, `servers.${key} must be a table: [servers.${key}] with host = "..."`);
      return undefined;
    }
    const s = this.known(value, at, ['host', 'port', 'tls', 'fingerprint', 'rooms']);
    const entry: ServerEntry = { host: '', port: DEFAULT_PORT, tls: false, rooms: [] };
    this.string(s, at, 'host', (v) => (/^[^\s/]+$/.test(v) ? null : `"${v}" is not a host name or address`), (v) => (entry.host = v));
    if (s['host'] === undefined) this.problem(at, `[servers.${key}] has no host = "..."`);
    if (s['port'] !== undefined) {
      const p = s['port'];
      if (typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535) entry.port = p;
      else this.problem([...at, 'port'], 'a port is a whole number from 1 to 65535');
    }
    this.boolean(s, at, 'tls', (v) => (entry.tls = v));
    this.string(s, at, 'fingerprint', (v) => (/^SHA256:[A-Za-z0-9+/]{43}$/.test(v) ? null : 'a fingerprint is "SHA256:" and 43 characters, as parley-server prints it'), (v) => (entry.fingerprint = v));
    this.strings(s, at, 'rooms', (v) => (/^#[^\s,#]{1,64}$/.test(v) ? null : `"${v}" is not a room name such as "#general"`), (v) => (entry.rooms = v));
    return entry.host === '' ? undefined : entry;
  }

  /** The table, reporting (and dropping) keys not in `allowed`: a typo is named, not silently ignored. */
  private known(t: Table, at: string[], allowed: readonly string[]): Table {
    const out: Table = {};
    for (const [k, v] of Object.entries(t)) {
      if (allowed.includes(k)) out[k] = v;
      else this.problem([...at, k], `unknown setting "${[...at, k].join('.')}"`);
    }
    return out;
  }

  private table(t: Table, at: string[], key: string): Table | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (isTable(v)) return v;
    this.problem([...at, key], `${[...at, key].join('.')} must be a table ([${[...at, key].join('.')}])`);
    return undefined;
  }

  private string(t: Table, at: string[], key: string, problem: (v: string) => string | null, set: (v: string) => void): void {
    const v = t[key];
    if (v === undefined) return;
    const p = typeof v === 'string' ? problem(v) : `${[...at, key].join('.')} must be a string in quotes`;
    if (p) this.problem([...at, key], p);
    else set(v as string);
  }

  private strings(t: Table, at: string[], key: string, problem: (v: string) => string | null, set: (v: string[]) => void): void {
    const v = t[key];
    if (v === undefined) return;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      this.problem([...at, key], `${[...at, key].join('.')} must be a list of strings, such as ["a", "b"]`);
      return;
    }
    const p = v.map(problem).find((x) => x !== null);
    if (p) this.problem([...at, key], p);
    else set(v);
  }

  private boolean(t: Table, at: string[], key: string, set: (v: boolean) => void): void {
    const v = t[key];
    if (v === undefined) return;
    if (typeof v === 'boolean') set(v);
    else this.problem([...at, key], `${[...at, key].join('.')} must be true or false`);
  }

  private oneOf<T extends string>(t: Table, at: string[], key: string, values: readonly T[], set: (v: T) => void): void {
    const v = t[key];
    if (v === undefined) return;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) set(v as T);
    else this.problem([...at, key], `${[...at, key].join('.')} must be one of ${values.map((x) => `"${x}"`).join(', ')}`);
  }

  private problem(at: string[], message: string): void {
    this.problems.push({ line: this.lineOf(at), message });
  }

  /**
   * The line that sets `at` (a key path): smol-toml gives positions only for syntax errors, so the
   * checker finds the key by scanning table headers and `key =` lines. Falls back to the table's header.
   */
  private lineOf(at: string[]): number {
    let table: string[] = [];
    let header = 0;
    const key = (s: string) => s.trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
    for (let i = 0; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      const h = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
      if (h) {
        table = h[1]!.split('.').map(key);
        if (sameStart(at, table) && table.length === at.length) return i + 1;
        if (sameStart(at, table) && header === 0) header = i + 1;
        continue;
      }
      const kv = /^\s*([^=#]+?)\s*=/.exec(line);
      if (kv && kv[1]) {
        const full = [...table, ...kv[1].split('.').map(key)];
        if (full.length === at.length && sameStart(at, full)) return i + 1;
        if (full.length < at.length && sameStart(at, full) && header === 0) header = i + 1;
      }
    }
    return header;
  }
}

function sameStart(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}
