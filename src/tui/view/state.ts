import type { PasswordPurpose } from '../core/session.js';
import { INPUT_HISTORY_LINES, MAX_PASTE_CHARS, MAX_TEXT_CHARS, MAX_NAME_CHARS, MAX_PASSWORD_CHARS, SCROLLBACK_LINES, WHISPER_LINES } from '../../wire/limits.js';
import { compareNames, foldName } from '../../wire/names.js';
import { helpLines, parseInput, type CommandName } from '../../wire/commands.js';
import { codePointLength, sanitizeText } from '../../wire/sanitize.js';
import { LEAVE_WORDS, whoHave, type ChatEvent, type ConnectionStatus } from '../core/events.js';
import { keyHelpLines } from './keys.js';
import { formatPlain, requestLine, roomWords, sessionWords } from '../format.js';
import { nextCluster, prevCluster } from './text.js';
import { complete as completeWord, type Completion } from './complete.js';
import { refreshSearch, scrollFor, startSearch, stepSearch, type Search } from './search.js';
import { roomSegments } from './lines.js';
import { DEFAULT_LOOK, type Look } from './look.js';
import { markAway, renameAway, setAway } from '../core/away.js';
import type { Alert } from '../notify/notifier.js';

// The full-screen client's whole state as plain data, and the one function that changes it. Chat events
// and user actions go in; blessed only draws what comes out. Side effects (send a line, quit, bell) are
// queued in `effects` for the shell to carry out, so every rule here is tested without a terminal.


export type Pane = 'input' | 'users' | 'whispers' | 'room';
export const PANE_ORDER: readonly Pane[] = ['input', 'users', 'whispers', 'room'];

export type RoomLine =
  /** `history`: replayed from before we joined. */
  | { kind: 'message'; time: number; from: string; text: string; action: boolean; own: boolean; mention: boolean; history?: boolean }
  /** Typed and not sent yet; `failed`: the server refused it, or it can no longer be sent (why, in words). */
  | { kind: 'pending'; ref: string; from: string; text: string; action: boolean; failed?: string }
  /** `event`: a join, leave or rename, which the look may dim. */
  | { kind: 'system'; time?: number; text: string; event?: 'join' | 'leave' | 'rename' }
  | { kind: 'help'; text: string }
  | { kind: 'error'; text: string };

export interface WhisperLine {
  time?: number;
  /** The other person. */
  peer: string;
  text: string;
  outgoing: boolean;
  /** Typed while it could not be sent; `ref` matches the echo that replaces it. */
  pendingRef?: string;
  /** The pending whisper was refused or can no longer be sent: why, in words. */
  failed?: string;
  /** Went over a direct link, never through the server. */
  direct?: boolean;
  /** Sent to us while we were offline (`time` is when it was sent). */
  late?: boolean;
  /** Ours, held by the server until the offline recipient logs in. */
  stored?: boolean;
  /** Ours, to someone away: their away message ("" for none), as the server said it once per away period. */
  away?: string;
}

export type Popup =
  | { kind: 'help'; scroll: number }
  | { kind: 'prompt'; purpose: 'rename' | 'whisper-to'; text: string }
  | { kind: 'paste'; lines: string[] }
  /** Someone asks for a direct private chat: Alt+Y allows, Alt+D denies, Esc leaves it for /allow or /deny. */
  | { kind: 'consent'; from: string; host?: string; refused?: string }
  /** A password, typed without echo: to log in to a registered name, or to /register it. */
  | { kind: 'password'; purpose: PasswordPurpose; name: string; why: string; text: string; confirm?: boolean }
  /**
   * A server's TLS key: a new one to trust or not (Alt+Y trusts, Esc does not), or, with `refused`, why
   * the client will not talk to it (a changed key), until Esc.
   */
  | { kind: 'trust'; server: string; fingerprint: string; refused?: string };

export type Effect =
  | { kind: 'send'; line: string }
  | { kind: 'quit' }
  /**
   * Ring (and, where the terminal can, notify the desktop): the shell rate-limits both. `elsewhere`: the
   * highlight is in a room that is not on screen (so it is never `seen`).
   */
  | { kind: 'bell'; alert?: Omit<Alert, 'seen'>; elsewhere?: boolean }
  | { kind: 'redraw' }
  /** The answer to a password popup; undefined when the user cancelled it. */
  | { kind: 'password'; value: string | undefined }
  /** The answer to a new server's key. */
  | { kind: 'trust'; value: boolean };

/** What each room has of its own: the on-screen room's is in ViewState's fields, the others' in their window. */
export type RoomView = Pick<ViewState, 'room' | 'roomScroll' | 'roomScrollMax' | 'unseen' | 'highlights' | 'users' | 'selectedUser'>;

/** A room we are in, as the full screen keeps it (issue 13): one is on screen, the room list shows them all. */
export interface RoomWindow {
  /** As the server spells it, with its `#`. */
  name: string;
  /** Messages that arrived while another room was on screen. */
  unread: number;
  /** Of those, the ones that name you or a highlight word (issue 17, item 4). */
  mentions: number;
  topic?: string;
  /** Only operators may change the topic (`/lock`); drawn beside the room's name where the topic is shown. */
  locked?: boolean;
  /** Its lines, scroll and members while another room is on screen; undefined for the one on screen. */
  view?: RoomView;
}

export interface ViewState {
  me: string;
  server: string;
  status: ConnectionStatus;
  statusDetail: string;
  room: RoomLine[];
  /** Room lines scrolled up from the bottom; 0 follows new lines. */
  roomScroll: number;
  /** Lines that arrived while scrolled up. */
  unseen: number;
  users: string[];
  /** What the config file chose for drawing: time format, colours, dimming, hyperlinks (issue 17, item 1). */
  look: Look;
  /** Folded names of the people who are away (issue 17): dimmed and marked in the users pane. */
  away: string[];
  /** Names we block: the server hides them from `users`, so the pane's title counts them instead. */
  blocked: string[];
  /** Logged in to a registered name. */
  account: boolean;
  selectedUser: number;
  whispers: WhisperLine[];
  whisperScroll: number;
  unreadWhispers: number;
  focus: Pane;
  input: string;
  /** Cursor position in `input`, in UTF-16 units, always on a grapheme cluster boundary. */
  cursor: number;
  history: string[];
  /** Index into history while recalling; history.length when editing a fresh line. */
  historyIndex: number;
  draft: string;
  completion?: Completion;
  /** Rooms the server listed (/rooms) and the config's server names, for Tab completion after `#` and of server parameters. */
  rooms: string[];
  /** The rooms we are in, in the order we entered them (Alt+1 is the first); empty with a version-1 server. */
  windows: RoomWindow[];
  /** The name of the room on screen (its lines are `room`, its members `users`); undefined without windows. */
  shown?: string;
  servers: string[];
  /** /search in progress: its matches are marked in the room and PgUp/PgDn move between them. */
  search?: Search;
  /** Highlights (your name, a highlight word) that arrived while the room was scrolled up. */
  highlights: number;
  popup?: Popup;
  /** Visible height of the room pane, for paging; set by the shell on layout. */
  pageRows: number;
  /** How far the room scrolls up: until its first line is at the top (set by the shell, which wraps lines). */
  roomScrollMax: number;
  effects: Effect[];
}

export type UiAction =
  | { type: 'event'; event: ChatEvent }
  | { type: 'insert'; text: string }
  /** `typed`: lines that arrived faster than anyone types, from a terminal without bracketed paste. */
  | { type: 'paste'; text: string; typed?: boolean }
  | { type: 'edit'; op: 'backspace' | 'delete' | 'left' | 'right' | 'home' | 'end' | 'kill-line' | 'kill-word' | 'kill-end' }
  | { type: 'submit' }
  | { type: 'key'; command: CommandName }
  | { type: 'complete' }
  | { type: 'history'; dir: -1 | 1 }
  | { type: 'page'; dir: -1 | 1 }
  | { type: 'next-pane' }
  | { type: 'focus'; pane: Pane }
  | { type: 'close' }
  | { type: 'redraw' }
  | { type: 'page-rows'; rows: number }
  /** The most the room can scroll up at the current size (from the shell, which knows how lines wrap). */
  | { type: 'room-scroll-max'; max: number }
  | { type: 'ask-password'; purpose: PasswordPurpose; name: string; why: string; confirm?: boolean }
  | { type: 'ask-trust'; server: string; fingerprint: string }
  /** Alt+Y / Alt+D: answer the private-chat request on screen. */
  | { type: 'consent'; answer: 'allow' | 'deny' }
  /** The mouse wheel over a pane: `by` rows, negative is up (older). */
  | { type: 'scroll'; pane: Exclude<Pane, 'input'>; by: number }
  /** A click on a name in the users pane. */
  | { type: 'whisper-to'; name: string }
  /** A key that runs a command with set words (Alt+2: `/window 2`), from the command table's argKeys. */
  | { type: 'run'; line: string }
  | { type: 'take-effects' };

export function initialState(me: string, server: string, servers: readonly string[] = [], look: Look = DEFAULT_LOOK): ViewState {
  return {
    look,
    rooms: [],
    windows: [],
    servers: [...servers],
    highlights: 0,
    me,
    server,
    status: 'connecting',
    statusDetail: `connecting to ${server}`,
    room: [],
    roomScroll: 0,
    unseen: 0,
    users: [],
    away: [],
    blocked: [],
    account: false,
    selectedUser: 0,
    whispers: [],
    whisperScroll: 0,
    unreadWhispers: 0,
    focus: 'input',
    input: '',
    cursor: 0,
    history: [],
    historyIndex: 0,
    draft: '',
    pageRows: 10,
    roomScrollMax: Number.MAX_SAFE_INTEGER,
    effects: [],
  };
}

/** The help shown at startup and in the F1 popup: commands from COMMANDS, keys from the key tables. */
export function helpText(): string[] {
  return ['Commands:', ...helpLines(true).map((l) => '  ' + l), 'Keys:', ...keyHelpLines().map((l) => '  ' + l)];
}

/**
 * `actions` applied in order, as one step: the same state `reduce` would give, but the scrollback is copied
 * once for the whole batch instead of once a line (a burst of 1,000 lines a second copied 5,000-line arrays
 * 1,000 times a second). Arrays made during the batch are seen by no one else until it returns, so the batch
 * appends to them in place; the state passed in is never changed.
 */
export function reduceAll(s: ViewState, actions: readonly UiAction[]): ViewState {
  if (actions.length === 1) return reduce(s, actions[0]!);
  fresh = new WeakSet();
  try {
    return actions.reduce(reduce, s);
  } finally {
    fresh = undefined;
  }
}

/** Scrollback arrays made by the batch reduceAll is applying (no one outside has them yet). */
let fresh: WeakSet<RoomLine[]> | undefined;

export function reduce(s: ViewState, a: UiAction): ViewState {
  const next = step(s, a);
  // A completion lasts until the next action; a state without one is not copied again for each action.
  return a.type === 'complete' || next === s || next.completion === undefined ? next : { ...next, completion: undefined };
}

function step(s: ViewState, a: UiAction): ViewState {
  if (s.popup && a.type !== 'event' && a.type !== 'take-effects' && a.type !== 'page-rows' && a.type !== 'scroll' && a.type !== 'room-scroll-max') {
    const handled = popupAction(s, s.popup, a);
    if (handled) return handled;
  }
  switch (a.type) {
    case 'event':
      return onEvent(s, a.event);
    case 'insert':
      return s.focus === 'input' || a.text === '' ? insert(s, a.text) : insert({ ...s, focus: 'input' }, a.text);
    case 'paste': {
      // Lines that came too fast to be typed, starting with an Enter: the line in the input was their first.
      const typedFirst = a.typed === true && /^[\r\n]/.test(a.text) && s.input !== '';
      const lines = ((typedFirst ? s.input : '') + a.text).replace(/\r\n?/g, '\n').split('\n');
      if (typedFirst) s = { ...s, input: '', cursor: 0 };
      while (lines.length > 1 && lines[lines.length - 1]!.trim() === '') lines.pop();
      if (lines.length <= 1) return insert({ ...s, focus: 'input' }, lines[0] ?? '');
      return { ...s, focus: 'input', popup: { kind: 'paste', lines } };
    }
    case 'edit':
      return s.focus === 'input' ? edit(s, a.op) : s;
    case 'submit':
      return submit(s);
    case 'key':
      return commandKey(s, a.command);
    case 'complete':
      return s.focus === 'input' ? complete(s) : { ...s, focus: nextPane(s.focus) };
    case 'history':
      if (s.focus === 'users') return { ...s, selectedUser: clamp(s.selectedUser + a.dir, 0, s.users.length - 1) };
      if (s.focus === 'whispers') return scrollWhispers(s, -a.dir);
      if (s.focus === 'room' && s.search) return showMatch({ ...s, search: stepSearch(s.search, a.dir) });
      if (s.focus === 'room') return scrollRoom(s, -a.dir);
      return history(s, a.dir);
    case 'page':
      if (s.search && s.focus !== 'whispers') return showMatch({ ...s, search: stepSearch(s.search, a.dir) });
      if (s.focus === 'whispers') return scrollWhispers(s, -a.dir * Math.max(1, s.pageRows - 1));
      return scrollRoom(s, -a.dir * Math.max(1, s.pageRows - 1));
    case 'next-pane':
      return focus(s, nextPane(s.focus));
    case 'focus':
      return focus(s, a.pane);
    case 'close':
      if (s.search) return endSearch(s);
      return s.focus === 'input' ? s : focus(s, 'input');
    case 'redraw':
      return { ...s, effects: [...s.effects, { kind: 'redraw' }] };
    case 'page-rows':
      return a.rows === s.pageRows ? s : { ...s, pageRows: a.rows };
    case 'ask-trust':
      return { ...s, popup: { kind: 'trust', server: a.server, fingerprint: a.fingerprint } };
    case 'room-scroll-max': {
      if (a.max === s.roomScrollMax) return s;
      const roomScroll = Math.min(s.roomScroll, a.max);
      return { ...s, roomScrollMax: a.max, roomScroll, unseen: roomScroll === 0 ? 0 : s.unseen };
    }
    case 'ask-password':
      return { ...s, popup: { kind: 'password', purpose: a.purpose, name: a.name, why: a.why, text: '', ...(a.confirm && { confirm: true }) } };
    case 'consent':
      return s; // no request on screen: the chord does nothing
    case 'scroll':
      if (a.pane === 'whispers') return scrollWhispers(s, -a.by);
      if (a.pane === 'users') return { ...s, selectedUser: clamp(s.selectedUser + a.by, 0, s.users.length - 1) };
      return scrollRoom(s, -a.by);
    case 'whisper-to':
      return foldName(a.name) === foldName(s.me) ? s : startWhisper(s, a.name);
    case 'run':
      return { ...s, effects: [...s.effects, { kind: 'send', line: a.line }] };
    case 'take-effects':
      return s.effects.length === 0 ? s : { ...s, effects: [] };
  }
}

// --- chat events -------------------------------------------------------------------------------------

function onEvent(s: ViewState, e: ChatEvent): ViewState {
  switch (e.kind) {
    case 'message': {
      const elsewhere = !isShown(s, e.room);
      const next = inWindow(s, e.room, (t) => roomEvent(t, e, elsewhere));
      if (!elsewhere || e.own || e.history || e.ref !== undefined) return next;
      return countUnread(next, e.room!, e.mention);
    }
    case 'joined':
      return inWindow(s, e.room, (t) => roomEvent(t, e, false));
    case 'users':
      return answered(s, e, inWindow(s, e.room, (t) => roomEvent(t, e, false)));
    case 'moderation': {
      const lock = e.action === 'lock' ? true : e.action === 'unlock' ? false : undefined;
      const marked = lock === undefined ? s : editWindow(s, e.room ?? s.shown, (w) => withLock(w, lock));
      return answered(s, e, inWindow(marked, e.room, (t) => roomEvent(t, e, false)));
    }
    case 'topic':
      return answered(s, e, inWindow(editWindow(s, e.room ?? s.shown, (w) => ({ ...w, topic: e.topic || undefined })), e.room, (t) => roomEvent(t, e, false)));
    case 'left':
      // Our own leaving a room is said by the `parted` that follows, in the room shown after it.
      if (e.room !== undefined && foldName(e.name) === foldName(s.me) && windowAt(s, e.room) >= 0) return s;
      return answered(s, e, inWindow(s, e.room, (t) => roomEvent(t, e, false)));
    case 'renamed':
      return renamed(s, e);
    case 'welcome':
      return welcome(s, e);
    case 'room':
      return entered(s, e);
    case 'parted':
      return parted(s, e);
    case 'window':
      // Switching needs no line (the room list shows it); asking for the room already on screen gets one.
      if (!isShown(s, e.room)) return showRoom(s, e.room);
      return roomEvent(s, e, false);
    case 'rooms':
      return roomEvent({ ...s, rooms: e.rooms.map((r) => r.room) }, e, false);
    default:
      return roomEvent(s, e, false);
  }
}

// --- rooms (issue 13): one on screen, the others kept in their windows ---------------------------------

/** Room names are unique ignoring case (PROTOCOL.md §15). */
function sameRoom(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function windowAt(s: ViewState, room: string): number {
  return s.windows.findIndex((w) => sameRoom(w.name, room));
}

/** Whether events for `room` belong on screen: no room named (one room only), the room shown, or a room we have no window for. */
function isShown(s: ViewState, room: string | undefined): boolean {
  return room === undefined || s.shown === undefined || sameRoom(room, s.shown) || windowAt(s, room) < 0;
}

function viewOf(s: ViewState): RoomView {
  return { room: s.room, roomScroll: s.roomScroll, roomScrollMax: s.roomScrollMax, unseen: s.unseen, highlights: s.highlights, users: s.users, selectedUser: s.selectedUser };
}

function emptyView(users: string[] = []): RoomView {
  // The shell sets the scroll limit once the room is drawn.
  return { room: [], roomScroll: 0, roomScrollMax: Number.MAX_SAFE_INTEGER, unseen: 0, highlights: 0, users: [...users].sort(compareNames), selectedUser: 0 };
}

function editWindow(s: ViewState, room: string | undefined, change: (w: RoomWindow) => RoomWindow): ViewState {
  const at = room === undefined ? -1 : windowAt(s, room);
  return at < 0 ? s : { ...s, windows: s.windows.map((w, i) => (i === at ? change(w) : w)) };
}

/**
 * `change` applied to the room `room`: to the on-screen fields when it is shown, else to its window's view
 * (swapped in for the call, so every rule for the room on screen holds for the others too).
 */
function inWindow(s: ViewState, room: string | undefined, change: (s: ViewState) => ViewState): ViewState {
  if (isShown(s, room)) return change(s);
  const at = windowAt(s, room!);
  const w = s.windows[at]!;
  const changed = change({ ...s, ...(w.view ?? emptyView()), search: undefined });
  return { ...changed, ...viewOf(s), search: s.search, windows: s.windows.map((x, i) => (i === at ? { ...x, view: viewOf(changed) } : x)) };
}

/**
 * `next` (the event applied in its room) plus, for the answer to our own request about a room not on screen
 * (`/topic #dev` typed in #lobby), its lines on screen too, named by their room: answered where asked.
 */
function answered(s: ViewState, e: Extract<ChatEvent, { kind: 'users' | 'moderation' | 'topic' | 'left' }>, next: ViewState): ViewState {
  if (e.asked !== true || isShown(s, e.room)) return next;
  const lines = roomEvent({ ...s, ...emptyView() }, e, false).room;
  return addRoom(next, lines.map((l) => (l.kind === 'system' ? { ...l, text: `${e.room}: ${l.text}` } : l)));
}

function countUnread(s: ViewState, room: string, mention: boolean): ViewState {
  return editWindow(s, room, (w) => ({ ...w, unread: w.unread + 1, mentions: w.mentions + (mention ? 1 : 0) }));
}

/** Put `room` on screen: the one shown goes back to its window, its counts start again from nothing. */
function showRoom(s: ViewState, room: string): ViewState {
  const at = windowAt(s, room);
  if (at < 0) return s;
  const target = s.windows[at]!;
  const windows = s.windows.map((w, i) => (i === at ? { ...w, view: undefined, unread: 0, mentions: 0 } : s.shown !== undefined && sameRoom(w.name, s.shown) ? { ...w, view: viewOf(s) } : w));
  return { ...s, ...(target.view ?? emptyView()), search: undefined, windows, shown: target.name };
}

/** Windows after a welcome: the rooms the server put us in, keeping what we had of those we were in before. */
function welcome(s: ViewState, e: Extract<ChatEvent, { kind: 'welcome' }>): ViewState {
  if (e.rooms === undefined || e.rooms.length === 0) return roomEvent({ ...s, windows: [], shown: undefined }, e, false);
  const windows = e.rooms.map((name): RoomWindow => s.windows.find((w) => sameRoom(w.name, name)) ?? { name, unread: 0, mentions: 0, view: emptyView() });
  const first = windows[0]!;
  let next: ViewState = { ...s, windows };
  if (s.shown === undefined || windowAt(next, s.shown) < 0) {
    // Nothing on screen yet (or the room on screen is gone): what we have becomes the first room's.
    next = { ...next, windows: windows.map((w, i) => (i === 0 ? { ...w, view: undefined } : w)), shown: first.name };
  }
  // The core keeps the room we were in current (by the same rule), so the one on screen stays current.
  next = inWindow(next, first.name, (t) => withUsers(t, e.users));
  return roomEvent(next, { ...e, users: next.users }, false);
}

/** A `room` snapshot: its window is made (or refreshed); after /join it goes on screen with who is there. */
function entered(s: ViewState, e: Extract<ChatEvent, { kind: 'room' }>): ViewState {
  let next = s;
  if (windowAt(s, e.room) < 0) {
    const fresh: RoomWindow = withLock({ name: e.room, unread: 0, mentions: 0, ...(e.topic !== undefined && { topic: e.topic }) }, e.locked === true);
    // The first window takes what is on screen; later ones start empty, off screen until shown.
    next = s.windows.length === 0 ? { ...s, windows: [fresh], shown: e.room } : { ...s, windows: [...s.windows, { ...fresh, view: emptyView() }] };
  } else next = editWindow(s, e.room, (w) => withLock({ ...w, topic: e.topic }, e.locked === true));
  if (e.login) return inWindow(next, e.room, (t) => withUsers({ ...t, away: markAway(t.away, e.users, e.away) }, e.users));
  if (e.current) next = showRoom(next, e.room);
  return inWindow(next, e.room, (t) => roomEvent(t, e, false));
}

function withLock(w: RoomWindow, locked: boolean): RoomWindow {
  if (locked) return { ...w, locked: true };
  const { locked: _, ...rest } = w;
  return rest;
}

/** We left a room: its window goes; if it was on screen, the room current now is shown, and says why. */
function parted(s: ViewState, e: Extract<ChatEvent, { kind: 'parted' }>): ViewState {
  const at = windowAt(s, e.room);
  let next = s;
  if (at >= 0 && isShown(s, e.room) && s.windows.length > 1) {
    const to = e.current !== undefined && windowAt(s, e.current) >= 0 && !sameRoom(e.current, e.room) ? e.current : s.windows[at === 0 ? 1 : at - 1]!.name;
    next = showRoom(s, to);
  }
  if (at >= 0) next = { ...next, windows: next.windows.filter((w) => !sameRoom(w.name, e.room)) };
  if (next.windows.length === 0) next = { ...next, shown: undefined };
  return roomEvent(next, e, false);
}

/** A rename is said in every room the person is in (each keeps its own members). */
function renamed(s: ViewState, e: Extract<ChatEvent, { kind: 'renamed' }>): ViewState {
  if (s.windows.length <= 1) return roomEvent(s, e, false);
  let next = s;
  for (const w of s.windows) {
    const users = w.view?.users ?? s.users;
    if (e.self || users.some((u) => foldName(u) === foldName(e.old))) next = inWindow(next, w.name, (t) => roomEvent(t, e, false));
  }
  return next;
}

/** The events of the room on screen (or swapped in): `elsewhere` says a highlight is in a room not shown. */
function roomEvent(s: ViewState, e: ChatEvent, elsewhere: boolean): ViewState {
  switch (e.kind) {
    case 'welcome': {
      const first = s.room.length === 0;
      // A reconnect is one line: the greeting is on screen already, and the replay brings only what was missed.
      const lines: RoomLine[] = [{ kind: 'system', text: `${e.again ? 'reconnected' : 'connected'} to ${e.server} as ${e.name}` }];
      if (e.motd && !e.again) lines.push({ kind: 'system', text: e.motd });
      // One line, not the whole help: the message of the day and the way to help fit the first screen.
      if (first) lines.push({ kind: 'help', text: 'F1 or /help for commands' });
      const next = { ...s, me: e.name, server: e.server, users: e.users, away: markAway([], e.users, e.away), blocked: e.blocked, account: e.account, selectedUser: clamp(s.selectedUser, 0, e.users.length - 1) };
      return addRoom(next, lines);
    }
    case 'message': {
      const line: RoomLine = { kind: 'message', time: e.time, from: e.from, text: e.text, action: e.action, own: e.own, mention: e.mention, ...(e.history && { history: true }) };
      const at = e.ref === undefined ? -1 : s.room.findIndex((l) => l.kind === 'pending' && l.ref === e.ref);
      if (at >= 0) return { ...s, room: s.room.map((l, i) => (i === at ? line : l)) };
      if (!e.mention || e.history) return addRoom(s, [line]);
      const alert = { kind: 'highlight' as const, conversation: e.room ?? 'the room', from: e.from, text: e.text };
      const marked = addRoom({ ...s, effects: [...s.effects, { kind: 'bell', alert, ...(elsewhere && { elsewhere: true }) }] }, [line]);
      return marked.roomScroll > 0 ? { ...marked, highlights: marked.highlights + 1 } : marked;
    }
    case 'whisper': {
      const line: WhisperLine = {
        time: e.time,
        peer: e.outgoing ? e.to : e.from,
        text: e.text,
        outgoing: e.outgoing,
        ...(e.direct && { direct: true }),
        ...(e.late && { late: true }),
        ...(e.stored && { stored: true }),
        ...(e.away !== undefined && { away: e.away }),
      };
      const at = e.ref === undefined ? -1 : s.whispers.findIndex((w) => w.pendingRef === e.ref);
      const whispers = at >= 0 ? s.whispers.map((w, i) => (i === at ? line : w)) : bounded([...s.whispers, line], WHISPER_LINES);
      const unread = e.outgoing ? 0 : s.focus === 'whispers' ? 0 : s.unreadWhispers + 1;
      const effects: Effect[] = e.outgoing ? s.effects : [...s.effects, { kind: 'bell', alert: { kind: 'whisper', conversation: e.from, from: e.from, text: e.text } }];
      return { ...s, whispers, unreadWhispers: unread, effects, whisperScroll: s.whisperScroll > 0 && at < 0 ? s.whisperScroll + 1 : s.whisperScroll };
    }
    case 'pending':
      if (e.to !== undefined) return { ...s, whispers: bounded([...s.whispers, { peer: e.to, text: e.text, outgoing: true, pendingRef: e.ref }], WHISPER_LINES) };
      return addRoom(s, [{ kind: 'pending', ref: e.ref, from: s.me, text: e.text, action: e.action }]);
    case 'joined': {
      // A grouped notice (e.others) names several people on one line.
      const names = [e.name, ...(e.others ?? [])];
      const keys = new Set(names.map(foldName));
      const away = names.reduce((a, n) => setAway(a, n, false), s.away);
      const text = `${whoHave(e.name, e.others)} joined`;
      return addRoom(withUsers({ ...s, away }, [...s.users.filter((u) => !keys.has(foldName(u))), ...names]), [{ kind: 'system', time: e.time, text, event: 'join' }]);
    }
    case 'left': {
      const why = LEAVE_WORDS[e.reason] + (e.by !== undefined ? ` by ${e.by}` : '') + (e.message ? `: ${e.message}` : '');
      const keys = new Set([e.name, ...(e.others ?? [])].map(foldName));
      const text = `${whoHave(e.name, e.others)} left (${why})`;
      return addRoom(withUsers(s, s.users.filter((u) => !keys.has(foldName(u)))), [{ kind: 'system', time: e.time, text, event: 'leave' }]);
    }
    case 'renamed': {
      const users = [...s.users.filter((u) => foldName(u) !== foldName(e.old)), e.new];
      const text = e.self ? `you are now known as ${e.new}` : `${e.old} is now known as ${e.new}`;
      return addRoom(withUsers({ ...s, me: e.self ? e.new : s.me, away: renameAway(s.away, e.old, e.new) }, users), [{ kind: 'system', time: e.time, text, event: 'rename' }]);
    }
    case 'users': {
      const next = withUsers({ ...s, away: markAway(s.away, e.users, e.away) }, e.users);
      if (e.update) return next;
      // The reply to /list (or F3) is also said in the room, as irssi's /names does.
      return addRoom(next, [{ kind: 'system', text: plainText(e) }]);
    }
    case 'away':
      return addRoom({ ...s, away: setAway(s.away, e.name, e.away) }, [{ kind: 'system', time: e.time, text: plainText(e).replace(/^\d\d:\d\d:\d\d -!- /, '') }]);
    case 'room':
      return addRoom(withUsers({ ...s, away: markAway(s.away, e.users, e.away) }, e.users), roomWords(e).split('\n').map((text): RoomLine => ({ kind: 'system', text: text.replace(/^\* /, '') })));
    case 'parted': {
      const how = e.reason === undefined ? '' : ` (${LEAVE_WORDS[e.reason]}${e.by !== undefined ? ' by ' + e.by : ''}${e.message ? ': ' + e.message : ''})`;
      const now = e.current !== undefined && s.windows.length > 1 ? '' : e.current !== undefined ? `; current room: ${e.current}` : '';
      return addRoom(s, [{ kind: 'system', text: `you are no longer in ${e.room}${how}${now}` }]);
    }
    case 'window':
    case 'rooms':
    case 'topic':
    case 'moderation':
      // A moderation step keeps its time: the pane puts it (hh:mm) in front, as for joins and leaves.
      return addRoom(s, roomWords(e).split('\n').map((text): RoomLine => ({ kind: 'system', ...(e.kind === 'moderation' && { time: e.time }), text: text.replace(/^(\d\d:\d\d:\d\d -!- |\d\d:\d\d:\d\d \* |\* )/, '') })));
    case 'help':
      return addRoom(s, e.lines.map((text): RoomLine => ({ kind: 'help', text })));
    case 'error': {
      // A refused server key must not scroll by unnoticed: it means someone may be impersonating the server.
      const refused = e.code === 'untrusted' ? { popup: { kind: 'trust' as const, server: s.server, fingerprint: '', refused: e.text } } : {};
      // A refused line that was waiting to be sent ends as failed, with the reason, where it stands.
      const next = { ...s, ...refused };
      return addRoom(e.ref === undefined ? next : failPending(next, e.text, e.ref), [{ kind: 'error', text: e.text }]);
    }
    case 'status': {
      // Disconnected for good: nothing still waiting will be sent.
      if (e.status === 'disconnected') s = failPending(s, e.detail, null);
      const lines: RoomLine[] = [];
      // Once per outage: not again when /nick NEW restarts reconnecting after a refusal.
      if (e.status === 'reconnecting' && s.status === 'connected') lines.push({ kind: 'error', text: 'connection lost; reconnecting (what you type is sent when we are back)' });
      return addRoom({ ...s, status: e.status, statusDetail: e.detail }, lines);
    }
    case 'shutdown':
      return addRoom(s, [{ kind: 'error', text: `the server is going down: ${e.reason}` }]);
    case 'private_request': {
      const asked = addRoom(s, [{ kind: 'system', time: e.time, text: requestLine(e) }]);
      const effects: Effect[] = [...asked.effects, { kind: 'bell' }];
      // One popup at a time: if another is open, the room line above is the way to answer.
      return s.popup ? { ...asked, effects } : { ...asked, effects, popup: { kind: 'consent', from: e.from, ...(e.host !== undefined && { host: e.host }), ...(e.refused !== undefined && { refused: e.refused }) } };
    }
    case 'private':
      return addRoom(s, [{ kind: 'system', time: e.time, text: e.detail }]);
    case 'blocks': {
      // A request from someone just blocked is void (the chat was ended): its prompt goes too.
      const stale = s.popup?.kind === 'consent' && e.names.some((n) => foldName(n) === foldName((s.popup as { from: string }).from));
      return addRoom({ ...s, blocked: e.names, ...(stale && { popup: undefined }) }, [{ kind: 'system', text: plainText(e) }]);
    }
    case 'registered':
      return addRoom({ ...s, account: true }, [{ kind: 'system', text: plainText(e) }]);
    case 'seen':
    case 'invited':
      return addRoom(s, [{ kind: 'system', text: plainText(e) }]);
    case 'sessions':
    case 'password_changed':
      return addRoom(s, sessionWords(e).split('\n').map((text): RoomLine => ({ kind: 'system', text: text.replace(/^\* /, '') })));
    case 'signed_out':
      return addRoom({ ...failPending(s, e.text, null), status: 'disconnected', statusDetail: e.text }, [{ kind: 'error', text: e.text }]);
    case 'search':
      return search(s, e.query);
  }
}

/**
 * Lines still waiting to be sent end as failed with `why`: the one with `ref` (the server refused it), or
 * with `null` every one of them (the session is over). Each typed line so ends sent, stored or failed.
 */
function failPending(s: ViewState, why: string, ref: string | null): ViewState {
  const hit = (r: string | undefined) => r !== undefined && (ref === null || r === ref);
  const roomHit = s.room.some((l) => l.kind === 'pending' && l.failed === undefined && hit(l.ref));
  const whisperHit = s.whispers.some((w) => w.failed === undefined && hit(w.pendingRef));
  if (!roomHit && !whisperHit) return s;
  return {
    ...s,
    ...(roomHit && { room: s.room.map((l) => (l.kind === 'pending' && l.failed === undefined && hit(l.ref) ? { ...l, failed: why } : l)) }),
    ...(whisperHit && { whispers: s.whispers.map((w) => (w.failed === undefined && hit(w.pendingRef) ? { ...w, failed: why } : w)) }),
  };
}

// --- search -------------------------------------------------------------------------------------------

/** The text of a room line as the pane draws it (before wrapping): what /search matches against. */
export function roomLineText(l: RoomLine, look: Look = DEFAULT_LOOK): string {
  return roomSegments(l, look).segments.map((g) => g.text).join('');
}

/** Start a search: jump to the newest match, focus the room so Up/Down and PgUp/PgDn step through them. */
function search(s: ViewState, query: string): ViewState {
  const found = startSearch(s.room.map((l) => roomLineText(l, s.look)), query);
  const next = { ...s, search: found, focus: 'room' as const };
  return found.current < 0 ? next : showMatch(next);
}

function showMatch(s: ViewState): ViewState {
  const m = s.search?.matches[s.search.current];
  if (!m) return s;
  // Never past the top: the first line stays on the top row (no blank rows above it), as with PgUp.
  const roomScroll = Math.min(scrollFor(m.line, s.room.length, s.pageRows), s.roomScrollMax);
  return { ...s, roomScroll, unseen: Math.min(s.unseen, roomScroll) };
}

/** Esc: the search ends and the room is back at the bottom. */
function endSearch(s: ViewState): ViewState {
  return { ...s, search: undefined, roomScroll: 0, unseen: 0, highlights: 0, focus: 'input' };
}

/** The words line mode uses for an event, without its `* ` (the room pane marks system lines itself). */
function plainText(e: ChatEvent): string {
  return (formatPlain(e)?.line ?? '').replace(/^\* /, '');
}

function withUsers(s: ViewState, users: string[]): ViewState {
  const sorted = [...users].sort(compareNames);
  const selected = s.users[s.selectedUser];
  const keep = selected === undefined ? -1 : sorted.findIndex((u) => foldName(u) === foldName(selected));
  return { ...s, users: sorted, selectedUser: keep >= 0 ? keep : clamp(s.selectedUser, 0, sorted.length - 1) };
}

/** Append room lines, bounded; while scrolled up the view stays put and counts what it has not shown. */
function addRoom(s: ViewState, lines: RoomLine[]): ViewState {
  if (lines.length === 0) return s;
  const before = s.room.length;
  const room = appended(s.room, lines, SCROLLBACK_LINES);
  if (s.search) {
    const shifted = before + lines.length - room.length;
    s = { ...s, search: refreshSearch(s.search, room.map((l) => roomLineText(l, s.look)), shifted) };
  }
  if (s.roomScroll === 0) return { ...s, room };
  return { ...s, room, roomScroll: Math.min(s.roomScroll + lines.length, room.length - 1), unseen: s.unseen + lines.length };
}

/** `list` with `lines` after it, its oldest dropped past `max`: a new array, or `list` itself when it is fresh. */
function appended(list: RoomLine[], lines: RoomLine[], max: number): RoomLine[] {
  if (!fresh?.has(list)) {
    const out = bounded([...list, ...lines], max);
    fresh?.add(out);
    return out;
  }
  list.push(...lines);
  if (list.length > max) list.splice(0, list.length - max);
  return list;
}

function bounded<T>(list: T[], max: number): T[] {
  return list.length > max ? list.slice(list.length - max) : list;
}

function scrollRoom(s: ViewState, by: number): ViewState {
  const roomScroll = clamp(s.roomScroll + by, 0, Math.min(s.roomScrollMax, Math.max(0, s.room.length - 1)));
  return { ...s, roomScroll, unseen: roomScroll === 0 ? 0 : Math.min(s.unseen, roomScroll), highlights: roomScroll === 0 ? 0 : s.highlights };
}

function scrollWhispers(s: ViewState, by: number): ViewState {
  return { ...s, whisperScroll: clamp(s.whisperScroll + by, 0, Math.max(0, s.whispers.length - 1)) };
}

// --- input line ---------------------------------------------------------------------------------------

function insert(s: ViewState, raw: string): ViewState {
  // One line only: a typed or pasted newline never reaches the input as a control character.
  const text = raw.replace(/[\x00-\x1f\x7f-\x9f]/g, '');
  // Everything typed or pasted is kept, even past what one message may hold: the input line shows the
  // count and Enter refuses with it, so you can shorten it instead of losing the end unseen. Only a
  // paste past MAX_PASTE_CHARS is cut, and that is said.
  const room = MAX_PASTE_CHARS - codePointLength(s.input);
  const chars = [...text];
  const fitted = chars.slice(0, Math.max(0, room)).join('');
  const cut = chars.length - [...fitted].length;
  const next = fitted === '' ? s : { ...s, input: s.input.slice(0, s.cursor) + fitted + s.input.slice(s.cursor), cursor: s.cursor + fitted.length };
  if (cut === 0) return next;
  return addRoom(next, [{ kind: 'error', text: `the input line holds at most ${MAX_PASTE_CHARS} characters; the last ${cut} were not added` }]);
}

/**
 * Characters (code points, after sanitising, as the server counts them) of the message text a line would
 * send: the line itself, or the text of /w, /r, /me; 0 for other commands.
 */
export function messageLength(line: string): number {
  const parsed = parseInput(line);
  const text = parsed.kind === 'say' ? parsed.text : parsed.kind === 'command' ? (parsed.args['text'] ?? parsed.args['action'] ?? '') : '';
  return codePointLength(sanitizeText(text));
}

function edit(s: ViewState, op: Extract<UiAction, { type: 'edit' }>['op']): ViewState {
  const { input, cursor } = s;
  switch (op) {
    case 'backspace': {
      const p = prevCluster(input, cursor);
      return { ...s, input: input.slice(0, p) + input.slice(cursor), cursor: p };
    }
    case 'delete':
      return { ...s, input: input.slice(0, cursor) + input.slice(nextCluster(input, cursor)) };
    case 'left':
      return { ...s, cursor: prevCluster(input, cursor) };
    case 'right':
      return { ...s, cursor: nextCluster(input, cursor) };
    case 'home':
      return { ...s, cursor: 0 };
    case 'end':
      return { ...s, cursor: input.length };
    case 'kill-line':
      return { ...s, input: input.slice(cursor), cursor: 0 };
    case 'kill-end':
      return { ...s, input: input.slice(0, cursor) };
    case 'kill-word': {
      const start = input.slice(0, cursor).replace(/\S*\s*$/, '').length;
      return { ...s, input: input.slice(0, start) + input.slice(cursor), cursor: start };
    }
  }
}

function submit(s: ViewState): ViewState {
  if (s.focus === 'users') {
    const who = s.users[s.selectedUser];
    if (who === undefined || foldName(who) === foldName(s.me)) return s;
    return startWhisper(s, who);
  }
  if (s.focus !== 'input') return focus(s, 'input');
  const line = s.input;
  if (line.trim() === '') return s;
  // /help on its own opens the same popup as F1 (with a command, the one line goes to the room).
  const parsed = parseInput(line);
  if (parsed.kind === 'command' && parsed.name === 'help' && parsed.args['command'] === undefined) {
    return { ...commandKey(s, 'help'), input: '', cursor: 0, history: remember(s.history, line), historyIndex: remember(s.history, line).length, draft: '' };
  }
  const length = messageLength(line);
  if (length > MAX_TEXT_CHARS) {
    return addRoom(s, [{ kind: 'error', text: `a message may be at most ${MAX_TEXT_CHARS} characters; this one has ${length}: shorten it (it is still in the input line)` }]);
  }
  const history = remember(s.history, line);
  return {
    ...s,
    input: '',
    cursor: 0,
    history,
    historyIndex: history.length,
    draft: '',
    // Sending something means you are reading the bottom again.
    roomScroll: 0,
    unseen: 0,
    effects: [...s.effects, { kind: 'send', line }],
  };
}

/** Input history with `line` added last (once, if it is already the last). */
function remember(history: string[], line: string): string[] {
  return line === history[history.length - 1] ? history : bounded([...history, line], INPUT_HISTORY_LINES);
}

function history(s: ViewState, dir: -1 | 1): ViewState {
  const index = clamp(s.historyIndex + dir, 0, s.history.length);
  if (index === s.historyIndex) return s;
  const draft = s.historyIndex === s.history.length ? s.input : s.draft;
  const input = index === s.history.length ? draft : s.history[index]!;
  return { ...s, historyIndex: index, draft, input, cursor: input.length };
}

/** Tab: complete the word before the cursor (complete.ts says from what); Tab again for the next match. */
function complete(s: ViewState): ViewState {
  const r = completeWord(s.input, s.cursor, { me: s.me, users: s.users, rooms: [...s.windows.map((w) => w.name), ...s.rooms], servers: s.servers }, s.completion);
  return r ? { ...s, input: r.input, cursor: r.cursor, completion: r.completion } : s;
}

// --- keys, focus and popups ---------------------------------------------------------------------------

function commandKey(s: ViewState, command: CommandName): ViewState {
  switch (command) {
    case 'help':
      return { ...s, popup: { kind: 'help', scroll: 0 } };
    case 'nick':
      return { ...s, popup: { kind: 'prompt', purpose: 'rename', text: '' } };
    case 'list':
      return { ...focus(s, 'users'), effects: [...s.effects, { kind: 'send', line: '/list' }] };
    case 'w': {
      const who = s.users[s.selectedUser];
      if (s.focus === 'users' && who !== undefined && foldName(who) !== foldName(s.me)) return startWhisper(s, who);
      return { ...s, popup: { kind: 'prompt', purpose: 'whisper-to', text: '' } };
    }
    case 'quit':
      return { ...s, effects: [...s.effects, { kind: 'quit' }] };
    case 'search': {
      // The key types the command, as senpai's keys do: the query is edited where every line is.
      const input = '/search ';
      return { ...s, focus: 'input', input, cursor: input.length };
    }
    default:
      return s;
  }
}

function startWhisper(s: ViewState, who: string): ViewState {
  const input = `/w ${who} `;
  return { ...s, focus: 'input', popup: undefined, input, cursor: input.length };
}

function focus(s: ViewState, pane: Pane): ViewState {
  return { ...s, focus: pane, unreadWhispers: pane === 'whispers' ? 0 : s.unreadWhispers };
}

function nextPane(p: Pane): Pane {
  return PANE_ORDER[(PANE_ORDER.indexOf(p) + 1) % PANE_ORDER.length]!;
}

/** An action while a popup is open, or undefined to handle it as usual. */
function popupAction(s: ViewState, p: Popup, a: UiAction): ViewState | undefined {
  const close = { ...s, popup: undefined };
  if (a.type === 'close') {
    if (p.kind === 'password') return { ...close, effects: [...s.effects, { kind: 'password', value: undefined }] };
    if (p.kind === 'trust' && p.refused === undefined) return { ...close, effects: [...s.effects, { kind: 'trust', value: false }] };
    // Cancelling a multi-line paste keeps the text, joined, in the input for editing.
    if (p.kind === 'paste') return insert({ ...close, focus: 'input' }, p.lines.join(' '));
    return close;
  }
  if (a.type === 'key' && a.command === 'quit') return undefined;
  switch (p.kind) {
    case 'help':
      if (a.type === 'page' || a.type === 'history') return { ...s, popup: { ...p, scroll: Math.max(0, p.scroll + a.dir * (a.type === 'page' ? 5 : 1)) } };
      if (a.type === 'key' && a.command === 'help') return close;
      if (a.type === 'submit') return close;
      return a.type === 'redraw' ? undefined : s;
    case 'prompt': {
      if (a.type === 'insert' || a.type === 'paste') return { ...s, popup: { ...p, text: (p.text + a.text.replace(/\s/g, '')).slice(0, MAX_NAME_CHARS) } };
      if (a.type === 'edit' && a.op === 'backspace') return { ...s, popup: { ...p, text: [...p.text].slice(0, -1).join('') } };
      if (a.type === 'complete') {
        const m = s.users.find((u) => foldName(u).startsWith(foldName(p.text)) && foldName(u) !== foldName(s.me));
        return m ? { ...s, popup: { ...p, text: m } } : s;
      }
      if (a.type === 'submit') {
        const name = p.text.trim();
        if (name === '') return close;
        if (p.purpose === 'rename') return { ...close, effects: [...s.effects, { kind: 'send', line: `/nick ${name}` }] };
        return startWhisper(close, name);
      }
      return a.type === 'redraw' ? undefined : s;
    }
    case 'password': {
      if (a.type === 'insert' || a.type === 'paste') return { ...s, popup: { ...p, text: (p.text + a.text.replace(/[\r\n]/g, '')).slice(0, MAX_PASSWORD_CHARS) } };
      if (a.type === 'edit' && a.op === 'backspace') return { ...s, popup: { ...p, text: [...p.text].slice(0, -1).join('') } };
      if (a.type === 'submit') return { ...close, effects: [...s.effects, { kind: 'password', value: p.text }] };
      return a.type === 'redraw' ? undefined : s;
    }
    case 'consent':
      // Only the chords answer; everything else (typing, Enter, scrolling) goes on as if there were no
      // popup, so a request arriving mid-sentence neither swallows keys nor takes one as consent.
      if (a.type === 'consent') return { ...close, effects: [...s.effects, { kind: 'send', line: `/${a.answer} ${p.from}` }] };
      return undefined;
    case 'trust':
      // Only the chord trusts: Enter, typed in the middle of a sentence, must never accept a key.
      if (p.refused === undefined && a.type === 'consent') return { ...close, effects: [...s.effects, { kind: 'trust', value: a.answer === 'allow' }] };
      return a.type === 'redraw' ? undefined : s;
    case 'paste':
      if (a.type === 'submit' || (a.type === 'insert' && /^[yY]$/.test(a.text))) {
        // Pasted text is said, never run: a pasted "/quit" is a line of text (the // escape).
        const sends = p.lines.filter((l) => l.trim() !== '').map((line): Effect => ({ kind: 'send', line: line.startsWith('/') ? '/' + line : line }));
        return { ...close, effects: [...s.effects, ...sends] };
      }
      if (a.type === 'insert' && /^[nN]$/.test(a.text)) return popupAction(s, p, { type: 'close' });
      return a.type === 'redraw' ? undefined : s;
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
