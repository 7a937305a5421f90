import { LEAVE_WORDS, type ChatEvent } from './core/events.js';

// Line mode's words for each event: the stable format the README documents. Pure, so the full-screen
// client reuses the same sentences for its system lines.

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
export function formatPlain(ev: ChatEvent): { line: string; stream: 'out' | 'err' } | null {
  const out = (line: string) => ({ line, stream: 'out' as const });
  switch (ev.kind) {
    case 'welcome':
      return out(
        `* connected to ${ev.server} as ${ev.name}${ev.account ? ' (logged in)' : ''}\n* ${ev.motd}\n* users (${ev.users.length}): ${ev.users.join(', ')}` +
          (ev.blocked.length > 0 ? `\n* blocked: ${ev.blocked.join(', ')}` : ''),
      );
    case 'message': {
      const when = clock(ev.time) + (ev.history ? ' [history]' : '');
      return out(ev.action ? `${when} * ${ev.from} ${ev.text}` : `${when} <${ev.from}> ${ev.text}`);
    }
    case 'whisper': {
      // `*bob*= psst`: the `=` marks a whisper that went over the direct link, not through the server.
      const mark = ev.direct === true ? '=' : '';
      if (ev.outgoing) return out(`${clock(ev.time)} -> *${ev.to}*${mark} ${ev.text}${ev.stored ? ` [stored: ${ev.to} is offline and gets it at next login]` : ''}`);
      return out(`${clock(ev.time)}${ev.late ? ' [late]' : ''} *${ev.from}*${mark} ${ev.text}`);
    }
    case 'joined':
      return out(`${clock(ev.time)} * ${ev.name} has joined`);
    case 'left':
      return out(`${clock(ev.time)} * ${ev.name} has left (${LEAVE_WORDS[ev.reason]}${ev.message ? ': ' + ev.message : ''})`);
    case 'renamed':
      return out(ev.self ? `${clock(ev.time)} * you are now known as ${ev.new}` : `${clock(ev.time)} * ${ev.old} is now known as ${ev.new}`);
    case 'users':
      return out(`* users (${ev.users.length}): ${ev.users.join(', ')}`);
    case 'help':
      return out(ev.lines.join('\n'));
    case 'error':
      return { line: `parley: ${ev.text}`, stream: 'err' };
    case 'shutdown':
      return out(`* the server is going down: ${ev.reason}`);
    case 'private_request':
      return out(`${clock(ev.time)} * ${ev.from} asks for a direct private chat: /allow ${ev.from} or /deny ${ev.from}`);
    case 'private':
      return out(`${clock(ev.time)} * ${ev.detail}`);
    case 'registered':
      return out(`* registered ${ev.name}: from now on this name needs its password`);
    case 'seen': {
      const what = ev.since === undefined ? 'online' : `online or seen in the last ${ev.since} s`;
      const names = ev.users.map((u) => (u.online ? u.name : `${u.name} (last seen ${u.lastSeen === undefined ? '?' : dateTime(u.lastSeen)})`));
      return out(`* ${what} (${names.length})${names.length > 0 ? ': ' + names.join(', ') : ''}`);
    }
    case 'blocks':
      // "nobody" is a valid name: an empty list is said in words no name can be.
      return out(ev.names.length > 0 ? `* blocked: ${ev.names.join(', ')}` : '* you block no one');
    case 'signed_out':
    case 'search':
    case 'status':
    case 'pending':
      return null;
  }
}
