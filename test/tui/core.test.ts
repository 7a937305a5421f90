import { describe, expect, it } from 'vitest';
import { ClientCore, mentions } from '../../src/tui/core/core.js';
import { formatPlain } from '../../src/tui/plain.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { FORBIDDEN } from '../helpers/corpus.js';

const SERVER = '127.0.0.1:7777';

function welcomed(name = 'bob') {
  const core = new ClientCore(name, 'plain', '');
  core.receive({ type: 'welcome', version: 1, name, users: ['carol', name, 'Alice'], motd: 'hi' }, SERVER);
  return core;
}

describe('ClientCore', () => {
  it('turns commands into requests, each with its own ref', () => {
    const core = welcomed();
    expect(core.input('hello').send).toEqual([{ type: 'say', text: 'hello', ref: '1' }]);
    expect(core.input('/me waves').send).toEqual([{ type: 'say', text: 'waves', action: true, ref: '2' }]);
    expect(core.input('/msg carol psst').send).toEqual([{ type: 'whisper', to: 'carol', text: 'psst', ref: '3' }]);
    expect(core.input('/quit gone fishing')).toEqual({ send: [{ type: 'quit', reason: 'gone fishing' }], events: [], quit: true });
  });

  it('answers /r to whoever whispered last, following their renames', () => {
    const core = welcomed();
    expect(core.input('/r hi').events).toEqual([{ kind: 'error', text: 'no one has whispered you yet; use /w NAME text' }]);
    core.receive({ type: 'whisper', id: 1, from: 'carol', to: 'bob', text: 'psst', time: 1 }, SERVER);
    core.receive({ type: 'renamed', old: 'carol', new: 'caroline', time: 2 }, SERVER);
    expect(core.input('/r hi').send).toEqual([{ type: 'whisper', to: 'caroline', text: 'hi', ref: '1' }]);
  });

  it('keeps the user list sorted through joins, leaves and renames', () => {
    const core = welcomed();
    expect(core.users).toEqual(['Alice', 'bob', 'carol']);
    core.receive({ type: 'joined', name: 'aaron', time: 1 }, SERVER);
    core.receive({ type: 'left', name: 'carol', reason: 'lost', time: 2 }, SERVER);
    core.receive({ type: 'renamed', old: 'bob', new: 'zed', time: 3 }, SERVER);
    expect(core.users).toEqual(['aaron', 'Alice', 'zed']);
    expect(core.name).toBe('zed');
  });

  it('marks own lines and mentions of our name', () => {
    const core = welcomed();
    const [own] = core.receive({ type: 'message', id: 1, from: 'bob', text: 'hi', time: 1 }, SERVER);
    const [mention] = core.receive({ type: 'message', id: 2, from: 'carol', text: 'hey @Bob, look', time: 1 }, SERVER);
    expect(own).toMatchObject({ own: true, mention: false });
    expect(mention).toMatchObject({ own: false, mention: true });
    expect(mentions('bobby tables', 'bob')).toBe(false);
    expect(mentions('ask bob.', 'bob')).toBe(true);
    expect(mentions('ask a.b', 'a.b')).toBe(true);
    expect(mentions('ask axb', 'a.b')).toBe(false);
  });

  it('sanitises everything a server sends, even one that is not ours', () => {
    const core = welcomed();
    const events = core.receive({ type: 'message', id: 1, from: 'ev\x1b[31mil', text: 'x\x1b]52;c;AAAA\x07y\u202e', time: 1 }, SERVER);
    const line = formatPlain(events[0]!)!.line;
    expect(line).not.toMatch(FORBIDDEN);
    expect(line).toMatch(/<evil> xy$/);
  });

  it('says usersOnce in hello, and shows a welcome without members, as it showed one listing them, when the first room\'s frame brings them', () => {
    // The server leaves the default room's members out of the welcome when the room frame follows with them
    // (PROTOCOL.md §15.3): a joiner of a room of N gets the N names once. What the person sees is unchanged.
    for (const mode of ['plain', 'tui'] as const) {
      const login = (users: string[] | undefined) => {
        const core = new ClientCore('bob', mode, '');
        expect(core.hello()).toMatchObject({ type: 'hello', version: 2, grouped: true, usersOnce: true });
        const welcome: ServerMessage = { type: 'welcome', version: 2, name: 'bob', motd: 'hi', session: 's', rooms: ['#lobby', '#dev'] };
        const events = [
          ...core.receive(users === undefined ? welcome : { ...welcome, users, away: ['zoe'] }, SERVER),
          ...core.receive({ type: 'room', room: '#lobby', users: ['zoe', 'bob', 'Amy'], away: ['zoe'], operators: [] }, SERVER),
          ...core.receive({ type: 'room', room: '#dev', users: ['bob', 'cy'], operators: ['cy'] }, SERVER),
        ];
        return { events, users: core.users, current: core.current };
      };
      const listed = login(['zoe', 'bob', 'Amy']);
      const once = login(undefined);
      expect(once).toEqual(listed);
      expect(once.events[0]).toMatchObject({ kind: 'welcome', users: ['Amy', 'bob', 'zoe'], away: ['zoe'], rooms: ['#lobby', '#dev'] });
    }
  });

  it('after logging in again (another server of a cluster) is back in the room it was in, with that room\'s members', () => {
    // Line mode: it is told (the full screen learns every room of a login, see below).
    const core = new ClientCore('bob', 'plain', '');
    const welcome = (users: string[]) => core.receive({ type: 'welcome', version: 2, name: 'bob', users, motd: '', session: 's', rooms: ['#lobby', '#load'] }, SERVER);
    welcome(['bob', 'zoe']);
    core.receive({ type: 'room', room: '#lobby', users: ['bob', 'zoe'], operators: [] }, SERVER);
    core.receive({ type: 'room', room: '#load', users: ['amy', 'bob'], operators: [] }, SERVER);
    core.receive({ type: 'room', room: '#load', users: ['amy', 'bob'], operators: [], ref: 'j' }, SERVER); // /join #load
    expect(core.current).toBe('#load');
    expect(core.input('still here').send).toEqual([{ type: 'say', room: '#load', text: 'still here', ref: '1' }]);
    // The connection moves to another server, which puts bob back in both rooms.
    welcome(['bob', 'zoe']);
    expect(core.current).toBe('#load');
    expect(core.receive({ type: 'room', room: '#lobby', users: ['bob', 'zoe'], operators: [] }, SERVER)).toEqual([]);
    expect(core.receive({ type: 'room', room: '#load', users: ['amy', 'bob', 'cy'], operators: ['amy'] }, SERVER)).toEqual([
      { kind: 'room', room: '#load', users: ['amy', 'bob', 'cy'], away: [], operators: ['amy'], current: true },
    ]);
    expect(core.users).toEqual(['amy', 'bob', 'cy']);
    expect(core.input('and after').send).toEqual([{ type: 'say', room: '#load', text: 'and after', ref: '2' }]);
  });

  it('in rooms: /window next and prev go round the rooms; /lock, /unlock and /close become their requests', () => {
    const core = new ClientCore('bob', 'tui', '');
    core.receive({ type: 'welcome', version: 2, name: 'bob', users: ['bob'], motd: 'hi', rooms: ['#lobby', '#dev', '#ops'] }, SERVER);
    expect(core.current).toBe('#lobby');
    expect(core.input('/window next').events).toEqual([{ kind: 'window', room: '#dev' }]);
    expect(core.input('/win prev').events).toEqual([{ kind: 'window', room: '#lobby' }]);
    expect(core.input('/window prev').events).toEqual([{ kind: 'window', room: '#ops' }]);
    expect(core.input('/window next').events).toEqual([{ kind: 'window', room: '#lobby' }]);
    expect(core.input('/lock').send).toEqual([{ type: 'topic_lock', locked: true, room: '#lobby', ref: '1' }]);
    expect(core.input('/unlock #dev').send).toEqual([{ type: 'topic_lock', locked: false, room: '#dev', ref: '2' }]);
    expect(core.input('/close #dev spam').send).toEqual([{ type: 'close', room: '#dev', reason: 'spam', ref: '3' }]);
    expect(core.input('/close dev').events).toEqual([{ kind: 'error', text: 'usage: /close #room [reason] (a room name starts with #)' }]);
  });

  it('the full screen learns the rooms of a login (each one\'s members) without a line; line mode shows nothing for them', () => {
    for (const mode of ['tui', 'plain'] as const) {
      const core = new ClientCore('bob', mode, '');
      const [welcome] = core.receive({ type: 'welcome', version: 2, name: 'bob', users: ['bob'], motd: 'hi', rooms: ['#lobby', '#dev'] }, SERVER);
      expect(welcome).toMatchObject({ kind: 'welcome', rooms: ['#lobby', '#dev'] });
      const events = core.receive({ type: 'room', room: '#dev', users: ['bob', 'al'], operators: ['al'], topic: 'x', locked: true }, SERVER);
      expect(events).toEqual(mode === 'tui' ? [{ kind: 'room', room: '#dev', users: ['al', 'bob'], away: [], operators: ['al'], topic: 'x', locked: true, current: false, login: true }] : []);
    }
  });

  it('leaving a room says how: kicked, by whom, why; a closed room is gone before the error says why', () => {
    const core = new ClientCore('bob', 'tui', '');
    core.receive({ type: 'welcome', version: 2, name: 'bob', users: ['bob'], motd: 'hi', rooms: ['#lobby', '#dev', '#ops'] }, SERVER);
    const kicked = core.receive({ type: 'left', room: '#dev', name: 'bob', reason: 'kicked', by: 'al', message: 'flood', time: 1 }, SERVER);
    expect(kicked[1]).toEqual({ kind: 'parted', room: '#dev', current: '#lobby', reason: 'kicked', by: 'al', message: 'flood' });
    const closed = core.receive({ type: 'closed', room: '#ops', by: 'root', time: 2 }, SERVER);
    expect(closed.map((e) => e.kind)).toEqual(['parted', 'error']);
  });
});
