import { describe, expect, it } from 'vitest';
import { COMMANDS, helpLines, keyLabel, parseInput } from '../../src/wire/commands.js';

describe('parseInput', () => {
  it('sends plain text to the room and // as a literal slash', () => {
    expect(parseInput('hello there')).toEqual({ kind: 'say', text: 'hello there' });
    expect(parseInput('//etc/passwd is a path')).toEqual({ kind: 'say', text: '/etc/passwd is a path' });
    expect(parseInput('   ')).toEqual({ kind: 'empty' });
  });

  it('parses a whisper by its name and every alias, keeping the text whole', () => {
    for (const word of ['w', 'msg', 'whisper', 'tell', 'W']) {
      expect(parseInput(`/${word} bob  psst,  are you there?`)).toEqual({ kind: 'command', name: 'w', args: { name: 'bob', text: 'psst,  are you there?' } });
    }
  });

  it('explains usage when an argument is missing or extra', () => {
    expect(parseInput('/w bob')).toEqual({ kind: 'error', message: 'usage: /w <name> <text>' });
    expect(parseInput('/nick')).toEqual({ kind: 'error', message: 'usage: /nick <name>' });
    expect(parseInput('/nick a b')).toEqual({ kind: 'error', message: 'usage: /nick <name> (too many words)' });
  });

  it('names an unknown command and points to /help', () => {
    expect(parseInput('/frobnicate now')).toEqual({
      kind: 'error',
      message: 'unknown command "/frobnicate"; type /help for the list (start a line with // to send a slash)',
    });
  });

  it('takes optional arguments', () => {
    expect(parseInput('/quit')).toEqual({ kind: 'command', name: 'quit', args: {} });
    expect(parseInput('/quit see you')).toEqual({ kind: 'command', name: 'quit', args: { reason: 'see you' } });
    expect(parseInput('/who')).toEqual({ kind: 'command', name: 'list', args: {} });
  });

  it('takes a reason for /ban, with or without a duration first (a duration starts with a digit)', () => {
    expect(parseInput('/ban bob 10m flooding the room')).toEqual({ kind: 'command', name: 'ban', args: { name: 'bob', duration: '10m', reason: 'flooding the room' } });
    expect(parseInput('/ban #dev bob rude, twice')).toEqual({ kind: 'command', name: 'ban', args: { room: '#dev', name: 'bob', reason: 'rude, twice' } });
    expect(parseInput('/ban bob 2h')).toEqual({ kind: 'command', name: 'ban', args: { name: 'bob', duration: '2h' } });
    expect(parseInput('/ban bob')).toEqual({ kind: 'command', name: 'ban', args: { name: 'bob' } });
    expect(helpLines(false).join('\n')).toMatch(/\/ban \[#room\] <name> \[duration\] \[reason\]\n +operators: .*REASON is shown/);
  });
});

describe('help', () => {
  it('lists every command of the table, with keys only when asked', () => {
    const plain = helpLines(false).join('\n');
    const tui = helpLines(true).join('\n');
    for (const c of COMMANDS) expect(plain).toContain('/' + c.name);
    expect(plain).not.toContain('F2');
    expect(tui).toContain('key F2 or Alt+N');
  });

  it('labels keys the way people say them', () => {
    expect(keyLabel('f10')).toBe('F10');
    expect(keyLabel('M-w')).toBe('Alt+W');
    expect(keyLabel('C-q')).toBe('Ctrl+Q');
  });

  it('has no name or alias used twice', () => {
    const all = COMMANDS.flatMap((c) => [c.name, ...c.aliases]);
    expect(new Set(all).size).toBe(all.length);
  });
});
