import { COMMANDS, keyLabel, type CommandName, type CommandSpec } from '../../wire/commands.js';

// The full-screen client's keys: the protocol commands' keys come from COMMANDS (src/wire/commands.ts);
// the keys that only make sense on a screen live in TUI_KEYS below. Help and the status bar hints are
// generated from these two tables.

export type TuiKeyAction =
  | 'complete'
  | 'history-prev'
  | 'history-next'
  | 'page-up'
  | 'page-down'
  | 'next-pane'
  | 'redraw'
  | 'close'
  | 'interrupt'
  | 'allow'
  | 'deny';

export interface TuiKey {
  action: TuiKeyAction;
  /** blessed key names, primary first. */
  keys: readonly string[];
  /** How help names the keys. */
  label: string;
  summary: string;
}

export const TUI_KEYS: readonly TuiKey[] = [
  { action: 'complete', keys: ['tab'], label: 'Tab', summary: 'complete a name in the input (again for the next match)' },
  { action: 'history-prev', keys: ['up'], label: 'Up/Down', summary: 'recall earlier lines (in the users pane: move the selection)' },
  { action: 'history-next', keys: ['down'], label: '', summary: '' },
  { action: 'page-up', keys: ['pageup'], label: 'PgUp/PgDn', summary: 'scroll the room (or the focused pane)' },
  { action: 'page-down', keys: ['pagedown'], label: '', summary: '' },
  { action: 'next-pane', keys: ['C-n', 'S-tab'], label: 'Ctrl+N', summary: 'move focus: input, users, whispers, room (Enter on a user whispers them)' },
  { action: 'redraw', keys: ['C-l'], label: 'Ctrl+L', summary: 'redraw the screen' },
  { action: 'close', keys: ['escape'], label: 'Esc', summary: 'close a popup, or go back to the input' },
  { action: 'interrupt', keys: ['C-c'], label: 'Ctrl+C', summary: 'quit, like F10' },
  // Deliberate chords, not letters: a request can pop up mid-sentence, and a typed "y" must not consent.
  // F7/F8 for terminals where Alt does not send ESC (macOS Terminal without "Option as Meta").
  { action: 'allow', keys: ['M-y', 'f7'], label: 'Alt+Y', summary: 'allow the private-chat request on screen (/allow NAME; also F7)' },
  { action: 'deny', keys: ['M-d', 'f8'], label: 'Alt+D', summary: 'deny the private-chat request on screen (/deny NAME; also F8)' },
];

export interface CommandKey {
  command: CommandName;
  keys: readonly string[];
  label: string;
}

/** The protocol commands that have a key, from the one command table. */
export const COMMAND_KEYS: readonly CommandKey[] = COMMANDS.flatMap((c) =>
  'key' in c ? [{ command: c.name, keys: [c.key.key, c.key.alt], label: c.key.label }] : [],
);

/** `line`: a key that types and sends a whole command line, from a command's argKeys (Alt+2: `/window 2`). */
export type KeyAction = { kind: 'command'; command: CommandName } | { kind: 'tui'; action: TuiKeyAction } | { kind: 'line'; line: string };

const BY_KEY = new Map<string, KeyAction>();
for (const k of COMMAND_KEYS) for (const key of k.keys) BY_KEY.set(key, { kind: 'command', command: k.command });
for (const c of COMMANDS as readonly CommandSpec[]) for (const k of c.argKeys ?? []) for (const key of k.keys) BY_KEY.set(key, { kind: 'line', line: `/${c.name} ${k.args}` });
for (const k of TUI_KEYS) for (const key of k.keys) BY_KEY.set(key, { kind: 'tui', action: k.action });

/** What a blessed key name (`f2`, `M-n`, `C-l`) does, if anything. */
export function keyAction(full: string): KeyAction | undefined {
  return BY_KEY.get(full);
}

/** Status bar hints, shortest form: `F1 Help  F2 Rename ...`. */
export function statusHints(): string[] {
  return COMMAND_KEYS.map((k) => `${keyLabel(k.keys[0]!)} ${k.label}`);
}

/** Help lines about the screen keys (the command lines come from helpLines in commands.ts). */
export function keyHelpLines(): string[] {
  const rows = TUI_KEYS.filter((k) => k.label !== '').map((k) => [k.label, k.summary] as const);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, s]) => `${l.padEnd(width)}  ${s}`);
}
