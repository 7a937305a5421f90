import { describe, expect, it } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { formatPlain } from '../../src/tui/plain.js';
import { reduce, initialState } from '../../src/tui/view/state.js';
import { parseServerMessage } from '../../src/wire/messages.js';

// A busy room's grouped join and leave notices (PROTOCOL.md §15.3.1) in the client: the hello asks for
// them, the user list takes every name, and line mode and the room pane show one line for the group.

const SERVER = '127.0.0.1:7777';

function welcomed(): ClientCore {
  const core = new ClientCore('bob', 'plain', '');
  core.receive({ type: 'welcome', version: 1, name: 'bob', users: ['bob', 'carol'], motd: 'hi' }, SERVER);
  return core;
}

const many = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);

describe('grouped join and leave notices', () => {
  it('a `names` that is not a list of names is refused as a malformed frame, not taken', () => {
    expect(parseServerMessage('{"type":"joined","name":"a","names":"a","time":1}').ok).toBe(false);
    expect(parseServerMessage('{"type":"left","name":"a","names":[1],"reason":"quit","time":1}').ok).toBe(false);
    expect(parseServerMessage('{"type":"joined","name":"a","names":["a","b"],"time":1}').ok).toBe(true);
  });

  it('the hello asks for them', () => {
    expect(new ClientCore('bob', 'plain', '').hello()).toMatchObject({ type: 'hello', grouped: true });
  });

  it('one joined frame naming twelve people: every name in the user list, one line saying so', () => {
    const core = welcomed();
    const events = core.receive({ type: 'joined', name: many[0]!, names: many, time: 1 }, SERVER);
    expect(events).toHaveLength(1);
    expect(core.users).toEqual(['bob', 'carol', ...many]);
    expect(formatPlain(events[0]!)?.line).toMatch(/ p00, p01, p02, p03, p04 and 7 others have joined$/);
    const left = core.receive({ type: 'left', name: 'p00', names: ['p00', 'carol'], reason: 'lost', time: 2 }, SERVER);
    expect(left).toHaveLength(1);
    expect(formatPlain(left[0]!)?.line).toMatch(/ p00 and carol have left \(connection lost\)$/);
    expect(core.users).toEqual(['bob', ...many.slice(1)]);
  });

  it('the room pane shows a group as one system line and lists every name', () => {
    const core = welcomed();
    let s = initialState('bob', SERVER);
    for (const e of core.receive({ type: 'joined', name: 'ann', names: ['ann', 'cy', 'dee'], time: 1 }, SERVER)) s = reduce(s, { type: 'event', event: e });
    expect(s.room.filter((l) => l.kind === 'system').map((l) => (l.kind === 'system' ? l.text : ''))).toEqual(['ann, cy and dee have joined']);
    expect(s.users).toEqual(expect.arrayContaining(['ann', 'cy', 'dee']));
  });
});
