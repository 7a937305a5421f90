import { LEAVE_WORDS, whoHave, type ChatEvent } from './core/events.js';

// Line mode's words for each event: the stable format the README documents. Pure, so the full-screen
// client reuses the same sentences for its system lines. What the room says (joins, leaves, renames,
// private-chat steps) is marked `-!-`, as irssi does, and what a person does with /me is `* name ...`:
// a /me can never print a line of the first form ("/me has left (quit: see you)" stays an action).

/** Marks a timed line the room says, never a person: no /me text can begin with it (actions are `* name`). */
export const SYSTEM = '-!-';

/** `HH:MM:SS` in local time. */
export function clock(time: number): string {
  const d = new Date(time);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `YYYY-MM-DD HH:MM:SS` in local time, for times that may be days old. */
export function dateTime(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${clock(time)}`;
}

/** The line an event prints as, and where; null for events line mode does not show. */
/** The question a private-chat request asks, with where allowing connects (line mode and the room pane). */
export function requestLine(ev: Extract<ChatEvent, { kind: 'private_request' }>): string {
  const where =
    ev.host === undefined
      ? ''
      : ev.refused !== undefined
        ? `; the server says they are at ${ev.host}, where your client will not connect (${ev.refused})`
        : `; allowing connects you to ${ev.host} (their address as the server sees it)`;
  return `${ev.from} asks for a direct private chat${where}: /allow ${ev.from} or /deny ${ev.from}`;
}

export function formatPlain(ev: ChatEvent): { line: string; stream: 'out' | 'err' } | null {
  const f = formatOne(ev);
  // In more than one room, each room event names its room first (`#dev <alice> hi`); `room` is set only then.
  const room = 'room' in ev && ev.kind !== 'room' && ev.kind !== 'parted' && ev.kind !== 'window' ? ev.room : undefined;
  return f !== null && room !== undefined ? { ...f, line: `${room} ${f.line}` } : f;
}

/** The words for the room events of protocol version 2 (issue 13), without a room prefix. */
export function roomWords(ev: Extract<ChatEvent, { kind: 'room' | 'parted' | 'rooms' | 'topic' | 'moderation' | 'window' }>): string {
  switch (ev.kind) {
    case 'room':
      return `* now in ${ev.room}${ev.topic !== undefined ? ` — ${ev.topic}` : ''}\n* users (${ev.users.length}): ${nameList(ev.users, ev.away)}` + (ev.operators.length > 0 ? `\n* operators: ${ev.operators.join(', ')}` : '');
    case 'parted':
      return `* you are no longer in ${ev.room}` + (ev.current !== undefined ? `; current room: ${ev.current}` : '');
    case 'window':
      return `* current room: ${ev.room}`;
    case 'rooms':
      return `* rooms (${ev.rooms.length}):` + ev.rooms.map((r) => `\n*   ${r.room} (${r.users})${r.topic !== undefined ? ' ' + r.topic : ''}`).join('');
    case 'topic':
      return ev.topic === '' ? `* no topic${ev.by !== undefined ? ` (cleared by ${ev.by})` : ''}` : `* topic: ${ev.topic}${ev.by !== undefined ? ` (set by ${ev.by}${ev.time !== undefined ? ` at ${dateTime(ev.time)}` : ''})` : ''}`;
    case 'moderation': {
      const who = ev.name ?? '';
      const span = ev.seconds !== undefined ? ` for ${ev.seconds} s` : '';
      const why = ev.reason !== undefined ? `: ${ev.reason}` : '';
      const what: Record<typeof ev.action, string> = {
        ban: `banned ${who}${span}`,
        unban: `lifted the ban on ${who}`,
        mute: `muted ${who}${span}`,
        unmute: `let ${who} speak again`,
        op: `made ${who} an operator`,
        deop: `took operator from ${who}`,
        lock: 'locked the topic',
        unlock: 'unlocked the topic',
      };
      return `${clock(ev.time)} ${SYSTEM} ${ev.by} ${what[ev.action]}${why}`;
    }
  }
}

/** `alice, bob (away), carol`: who is away is said after their name. */
function nameList(users: readonly string[], away: readonly string[] | undefined): string {
  if (away === undefined || away.length === 0) return users.join(', ');
  const marked = new Set(away);
  return users.map((u) => (marked.has(u) ? `${u} (away)` : u)).join(', ');
}

/** `bob is away: gone fishing` (what a whisper to someone away is told, and what others see when they go). */
export function awayWords(name: string, message: string): string {
  return `${name} is away${message !== '' ? ': ' + message : ''}`;
}

/**
 * The words for an account's logins: `/sessions` (one line each: id, this one, since, last used, from),
 * what `/logout` ended, and `/password`'s outcome.
 */
export function sessionWords(ev: Extract<ChatEvent, { kind: 'sessions' | 'password_changed' }>): string {
  const plural = (n: number) => `${n} ${n === 1 ? 'login' : 'logins'}`;
  if (ev.kind === 'password_changed') return `* password changed; every login of your account ended (${ev.ended}, this one included); this one goes on with a new token`;
  const lines = ev.ended !== undefined ? [`* ended ${plural(ev.ended)}`] : [];
  lines.push(`* logins of your account (${ev.sessions.length}):`);
  for (const x of ev.sessions) {
    const when = [x.created !== undefined ? `since ${dateTime(x.created)}` : 'since before this server kept times', ...(x.lastUsed !== undefined && x.lastUsed !== x.created ? [`last resumed ${dateTime(x.lastUsed)}`] : [])];
    lines.push(`*   ${x.id}${x.current ? ' (this one)' : ''} ${when.join(', ')}${x.from !== undefined ? ` from ${x.from}` : ''}`);
  }
  if (ev.sessions.some((x) => !x.current)) lines.push('* end one with /logout ID, all the others with /logout all');
  return lines.join('\n');
}

function formatOne(ev: ChatEvent): { line: string; stream: 'out' | 'err' } | null {
  const out = (line: string) => ({ line, stream: 'out' as const });
  switch (ev.kind) {
    case 'welcome':
      // A reconnect (--reconnect) is one line; the replay after it brings only what was missed.
      if (ev.again) return out(`* reconnected to ${ev.server} as ${ev.name}${ev.account ? ' (logged in)' : ''}`);
      return out(
        `* connected to ${ev.server} as ${ev.name}${ev.account ? ' (logged in)' : ''}\n* ${ev.motd}\n* users (${ev.users.length}): ${nameList(ev.users, ev.away)}` +
          (ev.blocked.length > 0 ? `\n* blocked: ${ev.blocked.join(', ')}` : ''),
      );
    case 'message': {
      const when = clock(ev.time) + (ev.history ? ' [history]' : '');
      return out(ev.action ? `${when} * ${ev.from} ${ev.text}` : `${when} <${ev.from}> ${ev.text}`);
    }
    case 'whisper': {
      // `*bob*= psst`: the `=` marks a whisper that went over the direct link, not through the server.
      const mark = ev.direct === true ? '=' : '';
      if (ev.outgoing) {
        const away = ev.away === undefined ? '' : `\n${clock(ev.time)} ${SYSTEM} ${awayWords(ev.to, ev.away)}`;
        return out(`${clock(ev.time)} -> *${ev.to}*${mark} ${ev.text}${ev.stored ? ` [stored: ${ev.to} is offline and gets it at next login]` : ''}${away}`);
      }
      return out(`${clock(ev.time)}${ev.late ? ' [late]' : ''} *${ev.from}*${mark} ${ev.text}`);
    }
    case 'joined':
      return out(`${clock(ev.time)} ${SYSTEM} ${whoHave(ev.name, ev.others)} joined`);
    case 'left':
      return out(`${clock(ev.time)} ${SYSTEM} ${whoHave(ev.name, ev.others)} left (${LEAVE_WORDS[ev.reason]}${ev.by !== undefined ? ' by ' + ev.by : ''}${ev.message ? ': ' + ev.message : ''})`);
    case 'renamed':
      return out(ev.self ? `${clock(ev.time)} ${SYSTEM} you are now known as ${ev.new}` : `${clock(ev.time)} ${SYSTEM} ${ev.old} is now known as ${ev.new}`);
    case 'users':
      if (ev.update) return null; // no answer to anything: nothing to print
      return out(`* users (${ev.users.length}): ${nameList(ev.users, ev.away)}`);
    case 'away':
      if (ev.self) return out(`${clock(ev.time)} ${SYSTEM} ${ev.away ? `you are away${ev.message !== undefined ? ': ' + ev.message : ''} (/back when you return)` : 'you are back'}`);
      return out(`${clock(ev.time)} ${SYSTEM} ${ev.away ? awayWords(ev.name, ev.message ?? '') : `${ev.name} is back`}`);
    case 'help':
      return out(ev.lines.join('\n'));
    case 'error':
      return { line: `parley: ${ev.text}`, stream: 'err' };
    case 'shutdown':
      return out(`* the server is going down: ${ev.reason}`);
    case 'private_request':
      return out(`${clock(ev.time)} ${SYSTEM} ${requestLine(ev)}`);
    case 'private':
      return out(`${clock(ev.time)} ${SYSTEM} ${ev.detail}`);
    case 'registered':
      return out(`* registered ${ev.name}: from now on this name needs its password`);
    case 'invited':
      return out(ev.self ? `* you invited ${ev.name} to ${ev.room}` : `* ${ev.by} invites you to ${ev.room}: /join ${ev.room}`);
    case 'seen': {
      const what = ev.since === undefined ? 'online' : `online or seen in the last ${ev.since} s`;
      const names = ev.users.map((u) => (u.online ? u.name : `${u.name} (last seen ${u.lastSeen === undefined ? '?' : dateTime(u.lastSeen)})`));
      return out(`* ${what} (${names.length})${names.length > 0 ? ': ' + names.join(', ') : ''}`);
    }
    case 'blocks':
      // "nobody" is a valid name: an empty list is said in words no name can be.
      return out(ev.names.length > 0 ? `* blocked: ${ev.names.join(', ')}` : '* you block no one');
    case 'sessions':
    case 'password_changed':
      return out(sessionWords(ev));
    case 'room':
    case 'parted':
    case 'window':
    case 'rooms':
    case 'topic':
    case 'moderation':
      return out(roomWords(ev));
    case 'signed_out':
    case 'search':
    case 'status':
    case 'pending':
      return null;
  }
}
