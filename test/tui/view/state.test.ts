import { describe, expect, test } from 'vitest';
import { SCROLLBACK_LINES } from '../../../src/wire/limits.js';
import { initialState, reduce, type UiAction, type ViewState } from '../../../src/tui/view/state.js';
import { ev } from '../../../src/tui/scenes.js';
import type { ChatEvent } from '../../../src/tui/core/events.js';

const run = (s: ViewState, ...actions: UiAction[]) => actions.reduce(reduce, s);
const event = (e: ChatEvent): UiAction => ({ type: 'event', event: e });
const typed = (text: string): UiAction => ({ type: 'insert', text });
const start = () => run(initialState('alice', 'x:1'), event(ev.welcome(['alice', 'bob', 'carol', 'carla'])));

describe('view state', () => {
  test('the room keeps at most SCROLLBACK_LINES lines, dropping the oldest', () => {
    let s = start();
    for (let i = 0; i < SCROLLBACK_LINES + 10; i++) s = reduce(s, event(ev.say('bob', `m${i}`, 1)));
    expect(s.room).toHaveLength(SCROLLBACK_LINES);
    expect(s.room.at(-1)).toMatchObject({ text: `m${SCROLLBACK_LINES + 9}` });
  });

  test('scrolled up, new lines keep the view in place and count as unseen; paging down to the end clears them', () => {
    let s = run(start(), { type: 'page-rows', rows: 5 });
    for (let i = 0; i < 30; i++) s = reduce(s, event(ev.say('bob', `m${i}`, 1)));
    s = run(s, { type: 'page', dir: -1 });
    expect(s.roomScroll).toBe(4);
    s = run(s, event(ev.say('bob', 'new', 2)), event(ev.say('bob', 'newer', 2)));
    expect(s.roomScroll).toBe(6);
    expect(s.unseen).toBe(2);
    s = run(s, { type: 'page', dir: 1 }, { type: 'page', dir: 1 });
    expect([s.roomScroll, s.unseen]).toEqual([0, 0]);
  });

  test('incoming whispers count as unread until the whispers pane has focus, and ring the bell', () => {
    let s = run(start(), event(ev.whisper('bob', 'alice', 'a', 1)), event(ev.whisper('bob', 'alice', 'b', 1)));
    expect(s.unreadWhispers).toBe(2);
    const alert = (text: string) => ({ kind: 'bell', alert: { kind: 'whisper', conversation: 'bob', from: 'bob', text } });
    expect(s.effects).toEqual([alert('a'), alert('b')]);
    s = run(s, { type: 'focus', pane: 'whispers' });
    expect(s.unreadWhispers).toBe(0);
  });

  test('a pending line is replaced in place by the echo with the same ref', () => {
    let s = run(start(), { type: 'event', event: { kind: 'pending', ref: '3', text: 'hi', action: false } }, event(ev.say('bob', 'meanwhile', 1)));
    s = run(s, event(ev.say('alice', 'hi', 2, { ref: '3' })));
    expect(s.room.slice(-2).map((l) => l.kind)).toEqual(['message', 'message']);
    expect(s.room.at(-2)).toMatchObject({ from: 'alice', text: 'hi' });
  });

  test('Enter sends the line once, remembers it, and Up/Down walk the history back to the draft', () => {
    let s = run(start(), typed('one'), { type: 'submit' }, typed('two'), { type: 'submit' }, typed('dra'));
    expect(s.effects).toEqual([{ kind: 'send', line: 'one' }, { kind: 'send', line: 'two' }]);
    s = run(s, { type: 'history', dir: -1 });
    expect(s.input).toBe('two');
    s = run(s, { type: 'history', dir: -1 }, { type: 'history', dir: -1 });
    expect(s.input).toBe('one');
    s = run(s, { type: 'history', dir: 1 }, { type: 'history', dir: 1 });
    expect(s.input).toBe('dra');
  });

  test('Tab completes names, cycles through matches, and never offers yourself', () => {
    let s = run(start(), typed('hey car'), { type: 'complete' });
    const first = s.input;
    s = run(s, { type: 'complete' });
    expect(new Set([first, s.input])).toEqual(new Set(['hey carla ', 'hey carol ']));
    expect(run(s, { type: 'complete' }).input).toBe(first);
    s = run(initialState('alice', 'x'), event(ev.welcome(['alice', 'alex'])), typed('al'), { type: 'complete' });
    expect(s.input).toBe('alex: ');
  });

  test('backspace removes a whole emoji, not half of it', () => {
    const s = run(start(), typed('a😀'), { type: 'edit', op: 'backspace' });
    expect(s.input).toBe('a');
  });

  test('a single-line paste goes into the input; a multi-line one waits for a yes', () => {
    expect(run(start(), { type: 'paste', text: 'just this\n' }).input).toBe('just this');
    const s = run(start(), { type: 'paste', text: 'a\nb' });
    expect(s.popup).toEqual({ kind: 'paste', lines: ['a', 'b'] });
    expect(run(s, typed('y')).effects).toEqual([{ kind: 'send', line: 'a' }, { kind: 'send', line: 'b' }]);
  });

  test('rename, join and leave keep the user list sorted and the selection on the same person', () => {
    let s = run(start(), { type: 'focus', pane: 'users' }, { type: 'history', dir: 1 });
    expect(s.users[s.selectedUser]).toBe('bob');
    s = run(s, { type: 'event', event: { kind: 'joined', name: 'aaron', time: 0 } }, { type: 'event', event: { kind: 'renamed', old: 'alice', new: 'zed', time: 0, self: true } });
    expect(s.users).toEqual(['aaron', 'bob', 'carla', 'carol', 'zed']);
    expect(s.users[s.selectedUser]).toBe('bob');
    expect(s.me).toBe('zed');
  });
});

describe('accounts in the view', () => {
  test('a password popup never holds the text anywhere it is drawn from, and hands it over on Enter', () => {
    let s = run(start(), { type: 'ask-password', purpose: 'register', name: 'alice', why: '' }, typed('s3cret pass'));
    expect(s.popup).toMatchObject({ kind: 'password', text: 's3cret pass' });
    expect(s.input).toBe('');
    expect(s.history).toEqual([]);
    s = run(s, { type: 'submit' });
    expect(s.popup).toBeUndefined();
    expect(s.effects).toEqual([{ kind: 'password', value: 's3cret pass' }]);
    expect(s.history).toEqual([]); // a password is not input history
  });

  test('Escape on a password popup answers "cancelled"', () => {
    const s = run(start(), { type: 'ask-password', purpose: 'login', name: 'alice', why: 'wrong name or password; try again' }, typed('x'), { type: 'close' });
    expect(s.effects).toEqual([{ kind: 'password', value: undefined }]);
  });

  test('history, late and stored lines are marked; the blocked list is kept for the users title', () => {
    const s = run(
      initialState('alice', 'x:1'),
      { type: 'event', event: { ...ev.welcome(['alice']), blocked: ['eve'], account: true } },
      { type: 'event', event: { ...ev.say('bob', 'from before', 1), history: true } },
      { type: 'event', event: { ...ev.whisper('bob', 'alice', 'while you were out', 2), late: true } },
      { type: 'event', event: { ...ev.whisper('alice', 'carol', 'for later', 3), stored: true } },
      { type: 'event', event: { kind: 'blocks', names: ['eve', 'mallory'] } },
    );
    expect(s.room.find((l) => l.kind === 'message')).toMatchObject({ text: 'from before', history: true });
    expect(s.whispers).toMatchObject([{ text: 'while you were out', late: true }, { text: 'for later', stored: true }]);
    expect(s.blocked).toEqual(['eve', 'mallory']);
    expect(s.account).toBe(true);
    expect(s.room.at(-1)).toMatchObject({ kind: 'system', text: 'blocked: eve, mallory' });
  });
});
