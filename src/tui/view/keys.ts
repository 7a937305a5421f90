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

/** Keys per command from the config file (`[keys]`), each replacing that command's keys in the table. */
export type KeyOverrides = Partial<Record<CommandName, readonly string[]>>;

/**
 * The keys in force: the command table's and the screen's, with the config's overrides applied. An
 * override takes its keys from whatever had them before (a person who binds F3 to /search means it).
 */
export class KeyMap {
  /** The commands that have keys, with the keys they have now, in the command table's order. */
  readonly commands: readonly CommandKey[];
  private readonly byKey = new Map<string, KeyAction>();

  constructor(overrides: KeyOverrides = {}) {
    const labelOf = (name: CommandName) => COMMAND_KEYS.find((k) => k.command === name)?.label ?? name[0]!.toUpperCase() + name.slice(1);
    this.commands = COMMANDS.flatMap((c): CommandKey[] => {
      const keys = overrides[c.name] ?? ('key' in c ? [c.key.key, c.key.alt] : undefined);
      return keys ? [{ command: c.name, keys, label: labelOf(c.name) }] : [];
    });
    for (const k of COMMAND_KEYS) for (const key of k.keys) this.byKey.set(key, { kind: 'command', command: k.command });
    for (const c of COMMANDS as readonly CommandSpec[]) for (const k of c.argKeys ?? []) for (const key of k.keys) this.byKey.set(key, { kind: 'line', line: `/${c.name} ${k.args}` });
    for (const k of TUI_KEYS) for (const key of k.keys) this.byKey.set(key, { kind: 'tui', action: k.action });
    for (const k of COMMAND_KEYS) if (overrides[k.command]) for (const key of k.keys) this.byKey.delete(key);
    for (const [command, keys] of Object.entries(overrides) as [CommandName, readonly string[]][]) for (const key of keys) this.byKey.set(key, { kind: 'command', command });
  }

  /** What a blessed key name (`f2`, `M-n`, `C-l`) does, if anything. */
  action(full: string): KeyAction | undefined {
    return this.byKey.get(full);
  }

  /** Status bar hints, shortest form: `F1 Help  F2 Rename ...`. */
  hints(): string[] {
    return this.commands.map((k) => `${keyLabel(k.keys[0]!)} ${k.label}`);
  }
}

/** Help lines about the screen keys (the command lines come from helpLines in commands.ts). */
export function keyHelpLines(): string[] {
  const rows = TUI_KEYS.filter((k) => k.label !== '').map((k) => [k.label, k.summary] as const);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, s]) => `${l.padEnd(width)}  ${s}`);
}
