import type { ChatEvent } from '../core/events.js';
import { LEAVE_WORDS, whoHave } from '../core/events.js';
import type { ChatLog, LogEntry } from './chatlog.js';

// Which events go into the logs, and in which conversation: what was said in the room and every whisper,
// plus joins, leaves and renames (the context a reader of a log needs). Not: help, errors, status lines,
// lines not yet sent (they are logged when the server echoes them) and replayed history (it was logged
// live, by whoever was there, and would be doubled at every login).

/** The room's conversation until events name their room: the server's default room. */
export const ROOM_CONVERSATION = '#lobby';

/** The log entry for an event, or undefined for events that are not logged. */
export function logEntry(e: ChatEvent): LogEntry | undefined {
  const room = (time: number, text: string): LogEntry => ({ time, conversation: ROOM_CONVERSATION, text });
  switch (e.kind) {
    case 'message':
      if (e.history) return undefined;
      return room(e.time, e.action ? `* ${e.from} ${e.text}` : `<${e.from}> ${e.text}`);
    case 'whisper':
      return { time: e.time, conversation: e.outgoing ? e.to : e.from, text: e.outgoing ? `-> *${e.to}* ${e.text}` : `*${e.from}* ${e.text}` };
    case 'joined':
      return room(e.time, `-- ${whoHave(e.name, e.others)} joined`);
    case 'left':
      return room(e.time, `-- ${whoHave(e.name, e.others)} left (${LEAVE_WORDS[e.reason]}${e.message ? ': ' + e.message : ''})`);
    case 'renamed':
      return room(e.time, `-- ${e.old} is now known as ${e.new}`);
    default:
      return undefined;
  }
}

/**
 * `show` preceded by logging, so what was seen survives a crash. The chat log writes at the end of the turn
 * (ChatLog.write): that is before the screen where it is drawn later (the full-screen client's frame tick);
 * a `show` that prints at once (`showsAtOnce`: line mode) gets the line written out first.
 */
export function logged(log: ChatLog | undefined, show: (e: ChatEvent) => void, showsAtOnce = false): (e: ChatEvent) => void {
  if (!log) return show;
  return (e) => {
    const entry = logEntry(e);
    if (entry) {
      log.write(entry);
      if (showsAtOnce) log.flush();
    }
    show(e);
  };
}

/** What /log answers. */
export function logWhere(log: ChatLog | undefined): string {
  if (!log) return 'chat logs are off (turn them on with [log] enabled = true in the config file, and run without --no-log)';
  return `chat logs are written to ${log.serverDir}: the room to ${log.fileFor(ROOM_CONVERSATION)}, whispers to one file per person`;
}
