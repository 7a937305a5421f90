import { MAX_AWAY_CHARS } from '../../wire/limits.js';
import type { ClientMessage } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { checkText, codePointLength } from '../../wire/sanitize.js';
import type { RoomEvent } from '../events.js';
import { fanout, neighbours } from '../room.js';
import type { Session } from '../session.js';
import type { Context } from './context.js';

// away and back (issue 17): a person says they are not at the keyboard. Everyone who shares a room with
// them is told (and sees it in the users list); someone who whispers them gets the away message back once
// per away period (talk.ts asks ctx.away.noticeFor), as IRC's RPL_AWAY but not at every whisper.

export function away(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'away' }>, now: number): void {
  let message = '';
  if (msg.message !== undefined && msg.message.trim() !== '') {
    const checked = checkText(msg.message);
    if (!checked.ok) return ctx.error(s, checked.code, checked.message, { re: 'away', ref: msg.ref });
    const length = codePointLength(checked.text);
    if (length > MAX_AWAY_CHARS) return ctx.error(s, 'text_too_long', `an away message has at most ${MAX_AWAY_CHARS} characters; this one has ${length}`, { re: 'away', ref: msg.ref });
    message = checked.text;
  }
  ctx.away.set(s.name!, message, now);
  tell(ctx, s, { type: 'away', name: s.name!, away: true, ...(message !== '' && { message }), time: now }, msg.ref);
  ctx.log('away', { conn: s.id, name: s.name });
}

export function back(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'back' }>, now: number): void {
  const event: RoomEvent = { type: 'away', name: s.name!, away: false, time: now };
  // Not away: only the echo (as IRC's RPL_UNAWAY comes whatever the state); nobody else hears of it.
  if (!ctx.away.clear(s.name!)) return ctx.echo(s, event, msg.ref);
  tell(ctx, s, event, msg.ref);
  ctx.log('back', { conn: s.id, name: s.name });
}

/** Once to each person who shares a room with `s` (but those who block them), then to the other servers; the echo to `s`. */
function tell(ctx: Context, s: Session, event: RoomEvent, ref: string | undefined): void {
  fanout(neighbours(s), event, (m, frame) => ctx.out.send(m.id, frame), s, foldName(s.name!));
  for (const room of s.rooms) room.offer(event);
  ctx.echo(s, event, ref);
}

/** The `away` field of a users list (welcome, users, room): which of `names` are away, or nothing. */
export function awayField(ctx: Context, names: readonly string[]): { away?: string[] } {
  const away = ctx.away.among(names);
  return away === undefined ? {} : { away };
}
