import type { ChatEvent } from './core/events.js';
import { KEY, type RenderedTui } from './screen/headless.js';
import type { UiOptions } from './screen/ui.js';
import { DEFAULT_LOOK } from './view/look.js';

// The states the full-screen client is shown in: each scene drives a headless client with the events a
// server would send and the keys a person would press. The snapshot tests and `npm run screenshots` play
// these same scenes, so the README's pictures are what the tests check.

export interface Scene {
  name: string;
  title: string;
  cols: number;
  rows: number;
  /** Options of the screen (the config's look), when the scene needs more than the defaults. */
  ui?: Partial<UiOptions>;
  play(t: RenderedTui): Promise<void>;
}

/** 2024-05-01 09:00 UTC plus `minutes`: fixed times so frames do not depend on the clock. */
export const at = (minutes: number) => Date.UTC(2024, 4, 1, 9, minutes);

const SERVER = '127.0.0.1:7777';

/** One kind of event, so a scene can spread it and change a field. */
type Of<K extends ChatEvent['kind']> = Extract<ChatEvent, { kind: K }>;
let nextId = 1;

export const ev = {
  connected: (): ChatEvent => ({ kind: 'status', status: 'connected', detail: `connected to ${SERVER}` }),
  welcome: (users: string[], name = 'alice'): Of<'welcome'> => ({ kind: 'welcome', name, users, motd: 'Welcome to parley. Be kind.', server: SERVER, account: false, blocked: [], rooms: ['#lobby'] }),
  /** The server's answer to /join: we are in `room` now, and it is the current room. */
  room: (room: string, users: string[], topic?: string, operators: string[] = []): Of<'room'> => ({ kind: 'room', room, users, operators, current: true, ...(topic !== undefined && { topic }) }),
  /** `event` as it arrives while we are in several rooms: tagged with its room. */
  in: <E extends ChatEvent>(room: string, event: E): E => ({ ...event, room }),
  say: (from: string, text: string, minute: number, extra: Partial<{ own: boolean; mention: boolean; action: boolean; ref: string }> = {}): Of<'message'> => ({
    kind: 'message',
    id: nextId++,
    from,
    text,
    time: at(minute),
    action: extra.action ?? false,
    own: extra.own ?? from === 'alice',
    mention: extra.mention ?? false,
    ...(extra.ref !== undefined && { ref: extra.ref }),
  }),
  whisper: (from: string, to: string, text: string, minute: number, direct = false): Of<'whisper'> => ({
    kind: 'whisper',
    id: nextId++,
    from,
    to,
    text,
    time: at(minute),
    outgoing: from === 'alice',
    ...(direct && { direct: true }),
  }),
  joined: (name: string, minute: number): ChatEvent => ({ kind: 'joined', name, time: at(minute) }),
  left: (name: string, minute: number): ChatEvent => ({ kind: 'left', name, reason: 'quit', time: at(minute) }),
};

async function connect(t: RenderedTui, users = ['alice']): Promise<void> {
  await t.events(ev.connected(), ev.welcome(users));
}

async function conversation(t: RenderedTui): Promise<void> {
  await connect(t, ['alice', 'bob']);
  await t.events(
    ev.joined('carol', 1),
    ev.say('bob', 'morning all', 2),
    ev.say('carol', 'hi bob! alice, did the build pass?', 3, { mention: true }),
    ev.say('alice', 'it did, 42 tests green', 4),
    ev.say('bob', 'brews coffee', 5, { action: true }),
  );
}

/** Three rooms: #lobby, #dev (on screen, topic set) and #ops; unread lines in #lobby and a highlight in #ops. */
async function threeRooms(t: RenderedTui): Promise<void> {
  await conversation(t);
  await t.events(ev.room('#dev', ['alice', 'bob', 'dmitri'], 'builds and releases', ['alice']), ev.in('#dev', ev.say('dmitri', 'release 2.4 is tagged', 10)));
  await t.events(ev.room('#ops', ['alice', 'carol', 'erin'], 'on call: carol'), ev.in('#ops', ev.say('erin', 'disk at 81% on db2', 11)));
  await t.events({ kind: 'window', room: '#dev' });
  await t.events(
    ev.in('#dev', ev.say('bob', 'changelog is in the PR', 12)),
    ev.in('#lobby', ev.say('bob', 'lunch anyone?', 13)),
    ev.in('#ops', ev.say('carol', 'alice, can you look at db2?', 14, { mention: true })),
    ev.in('#lobby', ev.say('carol', 'yes, 12:30', 15)),
    ev.in('#ops', ev.say('erin', 'now 83%', 16)),
    ev.in('#lobby', ev.joined('frank', 17)),
    ev.in('#lobby', ev.say('frank', 'me too', 18)),
  );
}

export const SCENES: readonly Scene[] = [
  {
    name: 'startup',
    title: 'Just connected: the message of the day and where to find help',
    cols: 80,
    rows: 24,
    play: (t) => connect(t, ['alice', 'bob']),
  },
  {
    name: 'conversation',
    title: 'A conversation with three people',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await conversation(t);
      await t.keys('sounds good');
    },
  },
  {
    name: 'whisper',
    title: 'A whisper arrives while you type',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await conversation(t);
      await t.events(ev.whisper('carol', 'alice', 'can you review my PR later?', 6), ev.whisper('bob', 'alice', 'lunch at 12?', 7));
    },
  },
  {
    name: 'help',
    title: 'F1: help, generated from the command and key tables',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await conversation(t);
      await t.keys(KEY.f1);
    },
  },
  {
    name: 'rename',
    title: 'F2: the rename prompt',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await conversation(t);
      await t.keys(KEY.f2);
      await t.keys('alice_');
    },
  },
  {
    name: 'disconnected',
    title: 'Connection lost: reconnecting, typed lines wait',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await conversation(t);
      await t.events({ kind: 'status', status: 'reconnecting', detail: 'connection lost; reconnecting in 2 s (attempt 2)' });
      await t.events({ kind: 'pending', ref: '7', text: 'anyone still here?', action: false });
    },
  },
  {
    name: 'scrolled',
    title: 'PgUp: scrolled back, new lines counted, not shown',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await connect(t, ['alice', 'bob', 'carol']);
      for (let i = 1; i <= 40; i++) await t.events(ev.say(i % 2 ? 'bob' : 'carol', `message number ${i}`, i));
      await t.keys(KEY.pageUp);
      await t.events(ev.say('bob', 'are you there?', 50), ev.say('carol', 'ping', 51), ev.say('bob', 'hello?', 52));
    },
  },
  {
    name: 'narrow',
    title: 'A 40x12 terminal: the users pane hides until F3',
    cols: 40,
    rows: 12,
    play: async (t) => {
      await conversation(t);
      await t.events(ev.whisper('carol', 'alice', 'psst', 6));
    },
  },
  {
    name: 'private',
    title: 'A direct private chat: asked for consent, then whispers client to client',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await conversation(t);
      await t.events(
        { kind: 'private', with: 'bob', state: 'open', detail: 'direct chat with bob is open: whispers to bob now go client to client', time: at(6) },
        ev.whisper('bob', 'alice', 'the server cannot see this', 7, true),
        ev.whisper('alice', 'bob', 'nor this', 8, true),
        { kind: 'private_request', from: 'carol', time: at(9), host: '203.0.113.7' },
      );
    },
  },
  {
    name: 'rooms',
    title: 'Three rooms: the room list counts unread lines and marks a highlight (!1); the users pane is the room on screen',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await threeRooms(t);
      await t.keys('shipping it today');
    },
  },
  {
    name: 'rooms-wide',
    title: 'The same three rooms at 100x30, after Alt+3 put #ops on screen',
    cols: 100,
    rows: 30,
    play: async (t) => {
      await threeRooms(t);
      await t.events({ kind: 'window', room: '#ops' });
    },
  },
  {
    name: 'unicode',
    title: 'Emoji and CJK keep every border straight',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await connect(t, ['alice', 'bob', 'carol', 'dmitri']);
      await t.events(
        ev.say('bob', '😀😀😀 three grins and a ✅ check', 1),
        ev.say('carol', '中文字符也可以 日本語も 한국어도', 2),
        ev.say('dmitri', 'flags 🇫🇷🇯🇵, heart ❤️, family 👨‍👩‍👧, thumbs 👍🏽, coffee ☕', 3),
        ev.say('bob', 'markup stays text: {red-fg}not red{/} and \u001b[31mnot red either', 4),
        ev.whisper('carol', 'alice', '秘密です 🤫', 5),
      );
      await t.keys('中文 ok 😀');
    },
  },
  {
    name: 'search',
    title: '/search: every match marked, the current one bright, the title counts them',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await conversation(t);
      await t.events(
        ev.say('bob', 'deploy of 1.4 is out', 6),
        ev.say('carol', 'any deploy notes?', 7),
        ev.say('bob', 'in the wiki, and the deploy log is in #ops', 8),
        ev.say('carol', 'thanks', 9),
      );
      // What /search deploy (or F5) comes to once the client core has read the line.
      await t.events({ kind: 'search', query: 'deploy' });
    },
  },
  {
    name: 'away',
    title: 'Away: dimmed and marked in the users pane; a whisper to them says their message once',
    cols: 80,
    rows: 24,
    play: async (t) => {
      await connect(t, ['alice', 'bob', 'carol', 'dmitri']);
      await t.events(
        { kind: 'away', name: 'bob', away: true, message: 'lunch, back at 13:00', time: at(1), self: false },
        ev.say('carol', 'anyone seen the release notes?', 2),
        { kind: 'away', name: 'dmitri', away: true, time: at(3), self: false },
        { ...ev.whisper('alice', 'bob', 'can you review my PR?', 4), away: 'lunch, back at 13:00' },
        ev.whisper('alice', 'bob', 'no rush', 5),
      );
    },
  },
  {
    name: 'links',
    title: 'Links as OSC 8 hyperlinks on a terminal that has them (underlined there; the picture shows the text only)',
    cols: 80,
    rows: 24,
    ui: { look: { ...DEFAULT_LOOK, hyperlinks: true } },
    play: async (t) => {
      await connect(t, ['alice', 'bob', 'carol']);
      await t.events(
        ev.say('bob', 'build log: https://ci.example.com/builds/1042 (green)', 1),
        ev.say('carol', 'spec is at https://example.org/docs/protocol#away, see §15', 2),
        ev.say('bob', 'node.js and example.org stay plain words', 3),
        { ...ev.whisper('carol', 'alice', 'x', 4), text: 'slides: https://slides.example.net/q3' },
      );
    },
  },
];
