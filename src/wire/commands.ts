// The one table of user commands. Line mode and the full-screen client parse input with it, `/help` and the
// TUI's key hints are rendered from it, and the README's command list is generated from it (a test checks
// the README is current). Adding a command here is the only place its name, usage, help and key live.

export interface Param {
  name: string;
  /** Takes the rest of the line, spaces included. Only the last parameter may. */
  rest?: boolean;
  optional?: boolean;
  /**
   * An optional parameter taken only when the next word has this form; otherwise it is left out and the
   * word goes to the next parameter (`/ban bob 10m spam` and `/ban bob spam` both read).
   */
  form?: RegExp;
}

export interface KeyBinding {
  /** blessed key name of the primary key, e.g. `f2`. */
  key: string;
  /** An alternative for terminals that eat function keys, e.g. `M-r` (Alt+R) or `C-q`. */
  alt: string;
  /** Short label for the status bar, e.g. `Rename`. */
  label: string;
}

export interface CommandSpec {
  name: string;
  aliases: readonly string[];
  params: readonly Param[];
  summary: string;
  key?: KeyBinding;
  /**
   * An optional `#room` may come first (`/kick #dev bob`); parsed into `args.room`. Without it the command acts
   * on the current room (issue 13: the one on screen; in line mode the last joined or the one chosen with /window).
   */
  inRoom?: boolean;
  /** Keys of the full-screen client that run this command with set words (Alt+2 runs `/window 2`). */
  argKeys?: readonly ArgKey[];
}

/** A key that runs its command with `args`, as if `/command args` were typed. */
export interface ArgKey {
  /** blessed key names, e.g. `M-2` (Alt+2), `C-pageup`. */
  keys: readonly string[];
  args: string;
  /** How help names these keys and what they do, e.g. `Alt+Left or Ctrl+PgUp: the room before`. */
  help: string;
}

/** Alt+1 .. Alt+9: the Nth room, as irssi and WeeChat number their windows. */
const ROOM_NUMBER_KEYS: readonly ArgKey[] = Array.from({ length: 9 }, (_, i) => ({ keys: [`M-${i + 1}`], args: String(i + 1), help: i === 0 ? 'Alt+1..9: the Nth room' : '' }));

/** A word meant as a duration (`90`, `30s`, `10m`, `2h`, `1d`): it starts with a digit; the core checks the rest. */
const DURATION_FORM = /^\d/;

export const COMMANDS = [
  { name: 'help', aliases: ['h', '?'], params: [{ name: 'command', optional: true }], summary: 'show commands and keys', key: { key: 'f1', alt: 'M-h', label: 'Help' } },
  { name: 'nick', aliases: ['name', 'rename'], params: [{ name: 'name' }], summary: 'change your name', key: { key: 'f2', alt: 'M-n', label: 'Rename' } },
  { name: 'list', aliases: ['who', 'names', 'users'], params: [], summary: 'list who is in the room', key: { key: 'f3', alt: 'M-u', label: 'Users' } },
  { name: 'w', aliases: ['msg', 'whisper', 'tell'], params: [{ name: 'name' }, { name: 'text', rest: true }], summary: 'whisper to one person; only they see it', key: { key: 'f4', alt: 'M-w', label: 'Whisper' } },
  { name: 'r', aliases: ['reply'], params: [{ name: 'text', rest: true }], summary: 'whisper back to whoever whispered you last' },
  { name: 'me', aliases: ['action'], params: [{ name: 'action', rest: true }], summary: 'say what you are doing: "/me waves" shows "* alice waves"' },
  { name: 'private', aliases: ['startprivate'], params: [{ name: 'name' }], summary: 'ask someone for a direct private chat; once they allow it, your whispers to them skip the server' },
  { name: 'allow', aliases: [], params: [{ name: 'name' }], summary: 'accept a private-chat request from someone' },
  { name: 'deny', aliases: [], params: [{ name: 'name' }], summary: 'refuse a private-chat request from someone' },
  { name: 'stopprivate', aliases: ['endprivate'], params: [{ name: 'name' }], summary: 'close a direct private chat (or withdraw your request); whispers go via the server again' },
  { name: 'whoelse', aliases: [], params: [], summary: 'list the others online' },
  { name: 'whoelsesince', aliases: ['seen'], params: [{ name: 'seconds' }], summary: 'list who is online or was seen in the last SECONDS (registered users)' },
  { name: 'block', aliases: ['ignore'], params: [{ name: 'name', optional: true }], summary: 'hear nothing more from NAME (without a name: list whom you block)' },
  { name: 'unblock', aliases: ['unignore'], params: [{ name: 'name' }], summary: 'hear NAME again' },
  { name: 'register', aliases: [], params: [], summary: 'claim your current name with a password (asked for, never typed on the line)' },
  { name: 'password', aliases: ['passwd'], params: [], summary: 'change your password (the current one and the new one are asked for); every other login of your account ends' },
  { name: 'sessions', aliases: [], params: [], summary: 'list the logins of your account: when, from where, and which is this one' },
  { name: 'logout', aliases: [], params: [{ name: 'id|all' }], summary: 'end one other login of your account (its id from /sessions), or all the others' },
  { name: 'join', aliases: ['j'], params: [{ name: '#room' }], summary: 'enter #room (created if it does not exist) and make it the current room' },
  { name: 'part', aliases: ['leave'], inRoom: true, params: [{ name: 'reason', rest: true, optional: true }], summary: 'leave the room (the current one unless #room is given)' },
  { name: 'rooms', aliases: [], params: [], summary: 'list the public rooms with how many are in each and their topics' },
  {
    name: 'window',
    aliases: ['win'],
    params: [{ name: '#room|N|next|prev' }],
    summary: 'make #room (or the Nth room you are in, or the next or previous one) the current room: it is shown and plain lines go there',
    argKeys: [
      ...ROOM_NUMBER_KEYS,
      { keys: ['M-left', 'C-pageup'], args: 'prev', help: 'Alt+Left or Ctrl+PgUp: the room before' },
      { keys: ['M-right', 'C-pagedown'], args: 'next', help: 'Alt+Right or Ctrl+PgDn: the room after' },
    ],
  },
  { name: 'topic', aliases: [], inRoom: true, params: [{ name: 'text', rest: true, optional: true }], summary: 'show the room\'s topic, or set it to TEXT' },
  { name: 'kick', aliases: [], inRoom: true, params: [{ name: 'name' }, { name: 'reason', rest: true, optional: true }], summary: 'operators: put NAME out of the room (they may come back)' },
  { name: 'ban', aliases: [], inRoom: true, params: [{ name: 'name' }, { name: 'duration', optional: true, form: DURATION_FORM }, { name: 'reason', rest: true, optional: true }], summary: 'operators: put NAME out and keep them out, for DURATION (30s, 10m, 2h, 1d) or until /unban; REASON is shown to the room and to them' },
  { name: 'unban', aliases: [], inRoom: true, params: [{ name: 'name' }], summary: 'operators: let NAME into the room again' },
  { name: 'mute', aliases: [], inRoom: true, params: [{ name: 'name' }, { name: 'duration', optional: true }], summary: 'operators: NAME may stay and read but not speak, for DURATION or until /unmute' },
  { name: 'unmute', aliases: [], inRoom: true, params: [{ name: 'name' }], summary: 'operators: let NAME speak again' },
  { name: 'lock', aliases: ['locktopic'], inRoom: true, params: [], summary: 'operators: only operators may change the topic from now on' },
  { name: 'unlock', aliases: ['unlocktopic'], inRoom: true, params: [], summary: 'operators: anyone in the room may change the topic again' },
  { name: 'invite', aliases: [], inRoom: true, params: [{ name: 'name' }], summary: 'tell NAME (online) that you invite them to the room; they are shown how to join it' },
  { name: 'close', aliases: [], params: [{ name: '#room' }, { name: 'reason', rest: true, optional: true }], summary: 'server administrators: close #room, putting everyone out of it and forgetting it' },
  { name: 'op', aliases: [], inRoom: true, params: [{ name: 'name' }], summary: 'operators: make NAME an operator of the room' },
  { name: 'deop', aliases: [], inRoom: true, params: [{ name: 'name' }], summary: 'operators: NAME is no longer an operator of the room' },
  { name: 'quit', aliases: ['exit', 'bye'], params: [{ name: 'reason', rest: true, optional: true }], summary: 'leave the room and close parley', key: { key: 'f10', alt: 'C-q', label: 'Quit' } },
  { name: 'search', aliases: ['find'], params: [{ name: 'text', rest: true }], summary: 'find earlier lines in the room, scrolled-out ones too; PgUp/PgDn or Up/Down move between matches, Esc goes back to the bottom', key: { key: 'f5', alt: 'M-s', label: 'Search' } },
  { name: 'away', aliases: ['afk'], params: [{ name: 'message', rest: true, optional: true }], summary: 'say you are away: others see it in the users list, and whoever whispers you gets MESSAGE once' },
  { name: 'back', aliases: [], params: [], summary: 'you are back: no longer away' },
  { name: 'log', aliases: ['logs'], params: [], summary: 'say where this conversation is logged on your disk' },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMANDS)[number]['name'];

export type ParsedInput =
  | { kind: 'empty' }
  | { kind: 'say'; text: string }
  | { kind: 'command'; name: CommandName; args: Record<string, string> }
  | { kind: 'error'; message: string };

const BY_NAME = new Map<string, CommandSpec & { name: CommandName }>();
for (const c of COMMANDS) for (const n of [c.name, ...c.aliases]) BY_NAME.set(n, c);

export function findCommand(name: string): (CommandSpec & { name: CommandName }) | undefined {
  return BY_NAME.get(name.toLowerCase().replace(/^\//, ''));
}

export function usage(spec: CommandSpec): string {
  const params = spec.params.map((p) => (p.optional ? `[${p.name}]` : `<${p.name}>`));
  return ['/' + spec.name, ...(spec.inRoom ? ['[#room]'] : []), ...params].join(' ');
}

/** One line typed by the user: room text, a command with its arguments, or why it is neither. */
export function parseInput(line: string): ParsedInput {
  if (line.trim() === '') return { kind: 'empty' };
  if (line.startsWith('//')) return { kind: 'say', text: line.slice(1) };
  if (!line.startsWith('/')) return { kind: 'say', text: line };
  const match = /^\/(\S*)\s*([\s\S]*)$/.exec(line)!;
  const word = match[1]!;
  const spec = findCommand(word);
  if (!spec) return { kind: 'error', message: `unknown command "/${word}"; type /help for the list (start a line with // to send a slash)` };
  let rest = match[2]!.trim();
  const args: Record<string, string> = {};
  if (spec.inRoom) {
    const m = /^(#\S*)\s*([\s\S]*)$/.exec(rest);
    if (m) {
      args.room = m[1]!;
      rest = m[2]!;
    }
  }
  for (const p of spec.params) {
    let value: string;
    if (p.rest) {
      value = rest;
      rest = '';
    } else {
      const m = /^(\S*)\s*([\s\S]*)$/.exec(rest)!;
      if (p.form && !p.form.test(m[1]!)) continue;
      value = m[1]!;
      rest = m[2]!;
    }
    if (value === '' && !p.optional) return { kind: 'error', message: `usage: ${usage(spec)}` };
    if (value !== '') args[p.name] = value;
  }
  if (rest !== '') return { kind: 'error', message: `usage: ${usage(spec)} (too many words)` };
  return { kind: 'command', name: spec.name, args };
}

/** One command's help: its usage, and its summary with aliases and (on a screen) its key. */
export function helpRow(c: CommandSpec, withKeys: boolean): readonly [string, string] {
  const extras: string[] = [];
  if (c.aliases.length) extras.push('also ' + c.aliases.map((a) => '/' + a).join(' '));
  if (withKeys && c.key) extras.push(`key ${keyLabel(c.key.key)} or ${keyLabel(c.key.alt)}`);
  if (withKeys && c.argKeys) extras.push('keys ' + argKeysHelp(c));
  return [usage(c), c.summary + (extras.length ? ` (${extras.join('; ')})` : '')];
}

/** Help's usage column is at most this wide, so the summaries keep room beside it (a popup is ~76 cells). */
const HELP_USAGE_CHARS = 31;

/** `/help` as lines: usage, summary, aliases and key, aligned. */
export function helpLines(withKeys: boolean): string[] {
  const rows = COMMANDS.map((c: CommandSpec) => helpRow(c, withKeys));
  const width = Math.min(HELP_USAGE_CHARS, Math.max(...rows.map(([u]) => u.length)));
  return [
    // A usage longer than the column gets a line of its own, its summary under the column.
    ...rows.flatMap(([u, s]) => (u.length > width ? [u, `${''.padEnd(width)}  ${s}`] : [`${u.padEnd(width)}  ${s}`])),
    'Anything else you type goes to the room; start a line with // to send one that begins with /.',
  ];
}

/** What a command's argKeys do, for help and the README: `Alt+1..9: the Nth room; Alt+Left or Ctrl+PgUp: ...`. */
export function argKeysHelp(c: CommandSpec): string {
  return (c.argKeys ?? []).flatMap((k) => (k.help ? [k.help] : [])).join('; ');
}

/** `f2` → `F2`, `M-r` → `Alt+R`, `C-q` → `Ctrl+Q`. */
export function keyLabel(key: string): string {
  if (/^f\d+$/.test(key)) return key.toUpperCase();
  return key.replace(/^M-/, 'Alt+').replace(/^C-/, 'Ctrl+').replace(/[a-z]$/, (c) => c.toUpperCase());
}
