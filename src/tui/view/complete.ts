import { COMMANDS, findCommand, type CommandSpec } from '../../wire/commands.js';
import { foldName } from '../../wire/names.js';

// Tab completion of the word before the cursor, from what the client knows:
//   /he<Tab>          command names and aliases, from the one command table
//   #gen<Tab>         rooms
//   /w bo<Tab>        the parameter's kind, by its name in the command table: `name` → people,
//                     `command` → commands, `room` → rooms, `server` → the config's servers
//   bo<Tab>           people; at the start of the line addressed as `bob: `
// A second Tab (with nothing typed between) replaces the completion with the next match, cycling.

export interface CompletionSources {
  me: string;
  /** People in the room. */
  users: readonly string[];
  /** Rooms, with their `#`. */
  rooms: readonly string[];
  /** Server names from the config's [servers]. */
  servers: readonly string[];
}

/** A completion in progress: where the word started and what Tab cycles through. */
export interface Completion {
  start: number;
  matches: readonly string[];
  index: number;
}

export interface Completed {
  input: string;
  cursor: number;
  completion: Completion;
}

type Kind = 'user' | 'command' | 'room' | 'server';

/** Finds a command's spec by name or alias: the command table's findCommand, or a test's own. */
export type Lookup = (name: string) => Pick<CommandSpec, 'params' | 'inRoom'> | undefined;

/** Parameter names in the command table that say what a word is. */
const PARAM_KINDS: Record<string, Kind> = { name: 'user', command: 'command', room: 'room', '#room': 'room', server: 'server' };

/** `/name` and `/alias` for every command, sorted, each once. */
function commandWords(): string[] {
  return [...new Set(COMMANDS.flatMap((c: CommandSpec) => [c.name, ...c.aliases]))].sort();
}

/**
 * Tab pressed with `input` and `cursor` (UTF-16 units); `previous` is the completion the last Tab made, if
 * the input has not changed since. Undefined when nothing matches.
 */
export function complete(input: string, cursor: number, sources: CompletionSources, previous?: Completion, lookup: Lookup = findCommand): Completed | undefined {
  if (previous && previous.matches.length > 0) {
    const index = (previous.index + 1) % previous.matches.length;
    const old = previous.matches[previous.index]!;
    const now = previous.matches[index]!;
    if (input.slice(previous.start, previous.start + old.length) === old) {
      return { input: input.slice(0, previous.start) + now + input.slice(previous.start + old.length), cursor: previous.start + now.length, completion: { ...previous, index } };
    }
  }
  const before = input.slice(0, cursor);
  const word = /\S*$/.exec(before)![0];
  const start = cursor - word.length;
  const matches = candidates(before.slice(0, start), word, sources, lookup);
  if (matches.length === 0) return undefined;
  const text = matches[0]!;
  return { input: input.slice(0, start) + text + input.slice(cursor), cursor: start + text.length, completion: { start, matches, index: 0 } };
}

/** Every replacement for `word` (with its trailing space), given the text before it. */
export function candidates(before: string, word: string, s: CompletionSources, lookup: Lookup = findCommand): string[] {
  const kind = kindAt(before, word, lookup);
  const prefix = (w: string) => foldName(w);
  switch (kind) {
    case 'command': {
      const bare = word.replace(/^\//, '');
      const slash = before === '' ? '/' : '';
      return commandWords()
        .filter((c) => c.startsWith(prefix(bare)))
        .map((c) => `${slash}${c} `);
    }
    case 'room': {
      const p = prefix(word.startsWith('#') ? word : '#' + word);
      return sortedUnique(s.rooms.filter((r) => prefix(r).startsWith(p))).map((r) => `${r} `);
    }
    case 'server':
      return sortedUnique(s.servers.filter((n) => prefix(n).startsWith(prefix(word)))).map((n) => `${n} `);
    case 'user': {
      const p = prefix(word.replace(/^@/, ''));
      const names = sortedUnique(s.users.filter((u) => prefix(u).startsWith(p) && prefix(u) !== prefix(s.me)));
      // A name at the start of a line addresses that person (`bob: `), as IRC clients do.
      return names.map((n) => (before === '' ? `${n}: ` : `${n} `));
    }
  }
}

/** What the word at this position is: a command, a command's parameter, a room, or a person. */
function kindAt(before: string, word: string, lookup: Lookup): Kind {
  if (before === '' && word.startsWith('/') && !word.startsWith('//')) return 'command';
  const cmd = /^\/(\S+)\s+/.exec(before);
  if (cmd) {
    const spec = lookup(cmd[1]!);
    if (spec) {
      const words = before.slice(cmd[0].length).split(/\s+/).filter((w) => w !== '');
      // `/kick #dev bob`: a command that acts on a room may name one first, before its own parameters.
      if (spec.inRoom && words.length === 0 && word.startsWith('#')) return 'room';
      const index = words.length - (spec.inRoom && words[0]?.startsWith('#') ? 1 : 0);
      const param = spec.params[Math.min(index, spec.params.length - 1)];
      // The words of a `rest` parameter are free text: people and rooms, as in a message.
      if (param && !param.rest && index < spec.params.length) {
        const kind = PARAM_KINDS[param.name];
        if (kind) return kind;
      }
    }
  }
  return word.startsWith('#') ? 'room' : 'user';
}

function sortedUnique(list: readonly string[]): string[] {
  return [...new Set(list)].sort((a, b) => foldName(a).localeCompare(foldName(b)));
}
