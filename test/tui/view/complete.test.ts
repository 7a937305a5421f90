import { describe, expect, test } from 'vitest';
import { complete, type CompletionSources } from '../../../src/tui/view/complete.js';
import { COMMANDS } from '../../../src/wire/commands.js';

const S: CompletionSources = { me: 'alice', users: ['alice', 'bob', 'Bobby', 'carol'], rooms: ['#general', '#games', '#dev'], servers: ['work', 'home', 'homelab'] };

/** Press Tab `times` times on `input` (cursor at the end, or at `|`), returning each resulting input. */
function tabs(input: string, times: number, sources = S): string[] {
  let cursor = input.includes('|') ? input.indexOf('|') : input.length;
  let text = input.replace('|', '');
  let completion;
  const seen: string[] = [];
  for (let i = 0; i < times; i++) {
    const r = complete(text, cursor, sources, completion);
    if (!r) break;
    ({ input: text, cursor, completion } = r);
    seen.push(text.slice(0, cursor) + '|' + text.slice(cursor));
  }
  return seen;
}

describe('Tab completion', () => {
  test('names: at the start of a line addressed with ": ", a second Tab cycles, wrapping around', () => {
    expect(tabs('bo', 3)).toEqual(['bob: |', 'Bobby: |', 'bob: |']);
  });

  test('names in the middle of a line, an @ is replaced, case ignored, never yourself', () => {
    expect(tabs('hi CA', 1)).toEqual(['hi carol |']);
    expect(tabs('hi @bo', 1)).toEqual(['hi bob |']);
    expect(tabs('al', 1)).toEqual([]);
  });

  test('the cursor in the middle: the text after it stays', () => {
    expect(tabs('hi ca| there', 1)).toEqual(['hi carol | there']);
  });

  test('/commands and their aliases come from the command table', () => {
    expect(tabs('/he', 2)).toEqual(['/help |', '/help |']);
    expect(tabs('/wh', 5)).toEqual(['/whisper |', '/who |', '/whoelse |', '/whoelsesince |', '/whisper |']);
    const all = tabs('/', 1000).length;
    expect(all).toBe(1000);
    const distinct = new Set(tabs('/', 200)).size;
    expect(distinct).toBe(new Set(COMMANDS.flatMap((c) => [c.name, ...c.aliases])).size);
  });

  test('a command\'s parameter completes by its kind: /w and /block take people, /help takes commands', () => {
    expect(tabs('/w b', 2)).toEqual(['/w bob |', '/w Bobby |']);
    expect(tabs('/block c', 1)).toEqual(['/block carol |']);
    expect(tabs('/help qu', 1)).toEqual(['/help quit |']);
    // The text of a whisper is free text: names, not commands, and no "name: ".
    expect(tabs('/w bob hey ca', 1)).toEqual(['/w bob hey carol |']);
  });

  test('#rooms anywhere in a line', () => {
    expect(tabs('join #g', 3)).toEqual(['join #games |', 'join #general |', 'join #games |']);
    expect(tabs('#d', 1)).toEqual(['#dev |']);
  });

  test('config server names where a command takes a server; rooms where it takes a room', () => {
    // The kind comes from the parameter's name in the table; a table with such commands:
    const lookup = (n: string) => ({ connect: { params: [{ name: 'server' }] }, join: { params: [{ name: 'room' }] } })[n];
    const run = (input: string, n: number) => {
      const out: string[] = [];
      let r = complete(input, input.length, S, undefined, lookup);
      for (let i = 0; i < n && r; i++, r = complete(r.input, r.cursor, S, r.completion, lookup)) out.push(r.input);
      return out;
    };
    expect(run('/connect ho', 3)).toEqual(['/connect home ', '/connect homelab ', '/connect home ']);
    expect(run('/join ga', 1)).toEqual(['/join #games ']);
    expect(run('/connect ca', 1)).toEqual([]);
  });

  test('typing after a completion starts afresh', () => {
    const first = complete('bo', 2, S)!;
    const typed = first.input + 'x';
    expect(complete(typed, typed.length, S, undefined)).toBeUndefined();
  });

  test('a completion the input no longer holds is not cycled', () => {
    const first = complete('bo', 2, S)!;
    const edited = 'zz';
    expect(complete(edited, 2, S, first.completion)).toBeUndefined();
  });

  test('nothing to complete: undefined (an empty line offers every name, as before)', () => {
    expect(complete('', 0, S)!.input).toBe('bob: ');
    expect(complete('xyz', 3, S)).toBeUndefined();
    expect(complete('//he', 4, S)).toBeUndefined();
  });
});
