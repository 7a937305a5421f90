import { MAX_OFFLINE_PER_USER } from '../../wire/limits.js';
import type { ClientMessage } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import { formatDuration } from '../../wire/rooms.js';
import { requestDigest } from '../accepted.js';
import type { ChatEvent, RoomEvent } from '../events.js';
import type { Session } from '../session.js';
import { FAILED, type Context } from './context.js';
import { offlineRefusal } from '../quota.js';

// say and whisper: a message to a room, a whisper to one person (online, or stored for a registered user
// who is offline). A request sent again with the same ref in the same session (not merely under the same
// name: a later guest may take it) is answered from memory, not sent twice.

/** A room line refused while the cluster's Redis is away (one line: what happened, what to do). */
const LINE_REFUSED = "the servers cannot put your line in the room's order right now (their Redis is unreachable); it was not sent — send it again in a moment";
/** A room line held while Redis was away and dropped before it could be sent (the server held too many). */
const LINE_LOST = 'your line may not have been sent: the servers lost their Redis for too long; if it does not appear, send it again';

type MessageEvent = Extract<RoomEvent, { type: 'message' }>;

/**
 * A room line as an event, its fields in the order the wire has always carried them (`id` last). One object
 * literal: spreading the optional fields into one object and that into another with the id (V8 copies spread
 * objects in its runtime, and encodes the copy more slowly) cost about a third of the core's work per line.
 */
function messageEvent(room: string, from: string, text: string, time: number, id: number, action: boolean, notice: boolean): MessageEvent {
  if (!action && !notice) return { type: 'message', room, from, text, time, id };
  return { type: 'message', room, from, text, time, ...(action && { action: true }), ...(notice && { notice: true }), id };
}

export function say(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'say' }>, now: number): void {
  // The digest is only needed to recognise a request sent again, which only a ref allows (a hash per message otherwise).
  const digest = msg.ref === undefined ? '' : requestDigest(msg.action === true ? 'me' : 'say', '', msg.text);
  const again = msg.ref === undefined ? undefined : ctx.accepted.get(s.refsKey, msg.ref, digest);
  if (again) {
    const room = s.version === 1 || msg.room === undefined ? ctx.lobby.name : (ctx.rooms.get(msg.room)?.name ?? msg.room);
    const event: ChatEvent = { type: 'message', room, id: again.id, from: s.name!, text: sanitizeText(msg.text), time: again.time, ...(msg.action === true && { action: true }), ...(msg.notice === true && { notice: true }) };
    return ctx.echo(s, event, msg.ref);
  }
  const room = ctx.roomFor(s, s.version === 1 ? undefined : msg.room, 'say', msg.ref);
  if (!room) return;
  const mute = room.muted(foldName(s.name!), now);
  if (mute) {
    const how = mute.until === undefined ? 'until an operator lifts it' : `for ${formatDuration((mute.until - now) / 1000)} more`;
    return ctx.error(s, 'muted', `you are muted in ${room.name} ${how}; you can still read it`, { re: 'say', ref: msg.ref });
  }
  const text = ctx.cleanText(s, msg.text, 'say', msg.ref);
  if (text === null) return;
  const action = msg.action === true;
  const notice = msg.notice === true;
  const ref = msg.ref;
  // In a cluster the line takes its place in the cluster's one order first: shown here when its turn comes.
  // Without Redis there is no such order: a line numbered here could fall below numbers Redis already gave,
  // and a client's hello.last would skip it (PROTOCOL.md §6.1), so it is refused, not acknowledged.
  if (ctx.peers) {
    const said = { type: 'message' as const, room: room.name, from: s.name!, text, time: now, ...(action && { action: true }), ...(notice && { notice: true }) };
    const accepted = ref === undefined ? undefined : { sender: s.refsKey, ref, digest };
    const lost = (): void => {
      if (ctx.directory.session(s.id) === s) ctx.error(s, 'server_error', LINE_LOST, { re: 'say', ref });
    };
    const sequenced = (id: number): void => shown(messageEvent(said.room, said.from, text, now, id, action, notice), true);
    if (!ctx.peers.sequence(room.name, said, accepted, sequenced, lost)) ctx.error(s, 'server_error', LINE_REFUSED, { re: 'say', ref });
    return;
  }
  shown(messageEvent(room.name, s.name!, text, now, ctx.messageId(), action, notice), false);

  /** The line has its id: stored, delivered, echoed (`sequenced`: the other servers have it already). */
  function shown(event: MessageEvent, sequenced: boolean): void {
    // Stored before anyone sees it, when the database can take it. History is a replay for latecomers, not
    // the room itself: a full disk or a database locked by another process must not stop the room talking
    // (issue 10), so a failed write is logged and the message still goes out to everyone here.
    if (ctx.opts.historySize > 0 && !ctx.store!.lowOnDisk(now)) {
      ctx.persist(undefined, 'say', ref, () => ctx.store!.addHistory({ id: event.id, room: room!.key, from: event.from, text: event.text, time: now, action: event.action === true, notice: event.notice === true }));
      ctx.noteHistory(room!);
    }
    const fromKey = foldName(event.from);
    if (sequenced) room!.deliver(event, s, fromKey);
    else room!.publish(event, s, fromKey);
    // The sender may have gone while the line was on its way: the others still get it.
    if (ctx.directory.session(s.id) === s) ctx.echo(s, event, ref);
    if (ref !== undefined) {
      const entry = { digest, id: event.id, time: now };
      if (sequenced) ctx.accepted.remember(s.refsKey, ref, entry);
      else ctx.remember(s.refsKey, ref, entry);
    }
    if (ctx.opts.logMessages) ctx.log('message', { conn: s.id, from: event.from, id: event.id, text: event.text, action: event.action, room: room!.name });
  }
}

export function whisper(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'whisper' }>, now: number): void {
  const digest = requestDigest('whisper', foldName(msg.to), msg.text);
  const again = msg.ref === undefined ? undefined : ctx.accepted.get(s.refsKey, msg.ref, digest);
  if (again) {
    const event: ChatEvent = { type: 'whisper', id: again.id, from: s.name!, to: again.to!, text: sanitizeText(msg.text), time: again.time, ...(again.stored && { stored: true }), ...(msg.notice === true && { notice: true }) };
    return ctx.echo(s, event, msg.ref);
  }
  const target = ctx.directory.find(msg.to);
  // In a cluster, the recipient may be online on another server.
  const remote = target ? undefined : ctx.peers?.remoteName(foldName(msg.to));
  const offline = target || remote !== undefined ? undefined : ctx.lookup(s, 'whisper', msg.ref, () => ctx.accounts?.store.user(foldName(msg.to)));
  if (offline === FAILED) return;
  if (!target && remote === undefined && !offline) {
    const shown = truncateCodePoints(sanitizeText(msg.to), 40);
    return ctx.error(s, 'no_such_user', `no one called "${shown}" is here; /list shows who is`, { re: 'whisper', ref: msg.ref, name: shown });
  }
  const text = ctx.cleanText(s, msg.text, 'whisper', msg.ref);
  if (text === null) return;
  const toName = target ? target.name! : (remote ?? offline!.name);
  const senderKey = foldName(s.name!);
  const toKey = foldName(toName);
  // A recipient on another server: a registered user's blocks are in the shared store, a guest's come
  // from its server (peers.guestBlocks).
  const blocked = target
    ? target.blocks.has(senderKey)
    : (remote !== undefined && ctx.peers!.blockedElsewhere(toKey, senderKey)) ||
      ctx.persist(s, 'whisper', msg.ref, () => (ctx.store?.blocks(toKey) ?? []).some((b) => b.key === senderKey));
  if (blocked === FAILED) return;
  if (blocked) {
    // The same words whether the target is online or not: the sender learns nothing more.
    ctx.log('whisper_blocked', { conn: s.id, from: s.name, to: toName });
    return ctx.error(s, 'not_delivered', `your whisper to ${toName} was not delivered`, { re: 'whisper', ref: msg.ref, name: toName });
  }
  const event: ChatEvent = { type: 'whisper', id: ctx.messageId(), from: s.name!, to: toName, text, time: now, ...(msg.notice === true && { notice: true }) };
  // The sender's copy carries the recipient's away message the first time in their away period (issue 17).
  const withAway = (): ChatEvent => {
    const away = ctx.away.noticeFor(toName, senderKey);
    return away === undefined ? event : { ...event, away };
  };
  if (target) {
    if (target !== s) ctx.send(target, event);
    ctx.echo(s, withAway(), msg.ref);
  } else if (remote !== undefined) {
    if (!ctx.peers!.whisper(toKey, event)) {
      return ctx.error(s, 'server_error', `${toName} is on another server, which cannot be reached now; your whisper was not sent — try again later`, { re: 'whisper', ref: msg.ref, name: toName });
    }
    ctx.echo(s, withAway(), msg.ref);
  } else {
    const stored = ctx.persist(s, 'whisper', msg.ref, () => {
      if (ctx.store!.offlineCount(offline!.key) >= MAX_OFFLINE_PER_USER) return false;
      const refusal = offlineRefusal(ctx.store!, senderKey, s.source, Buffer.byteLength(text));
      if (refusal) return refusal;
      ctx.store!.addOffline(offline!.key, { id: event.id, from: s.name!, to: toName, text, time: now, source: s.source });
      return true;
    });
    if (stored === FAILED) return;
    if (typeof stored === 'object') return ctx.error(s, stored.code, stored.message, { re: 'whisper', ref: msg.ref, name: toName });
    if (!stored) {
      return ctx.error(s, 'mailbox_full', `${toName} is offline and already has ${MAX_OFFLINE_PER_USER} whispers waiting; try again after they log in`, {
        re: 'whisper',
        ref: msg.ref,
        name: toName,
      });
    }
    ctx.echo(s, { ...event, stored: true }, msg.ref);
  }
  if (msg.ref !== undefined) ctx.remember(s.refsKey, msg.ref, { digest, id: event.id, time: now, to: toName, ...(!target && !remote && { stored: true }) });
  ctx.log('whisper', { conn: s.id, from: s.name, to: toName, id: event.id, stored: !target || undefined, ...(ctx.opts.logWhisperText && { text }) });
}
