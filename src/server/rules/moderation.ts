import { MAX_BANS_PER_ROOM, MAX_REASON_CHARS } from '../../wire/limits.js';
import type { ClientMessage, ModerationAction } from '../../wire/messages.js';
import { foldName, nameProblem } from '../../wire/names.js';
import { formatDuration } from '../../wire/rooms.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { Room } from '../room.js';
import type { Session } from '../session.js';
import { FAILED, type Context } from './context.js';
import { dropMember } from './rooms.js';

// What a room's operators (and the server's administrators, in every room) may do: kick, ban, unban,
// mute, unmute, op, deop, lock the topic; and what only administrators may do: close a room. Every step
// is shown to the room (a `moderation` event, or `left`/`closed`) and written to the server log.

type ModRequest = Extract<ClientMessage, { type: 'kick' | 'ban' | 'unban' | 'mute' | 'unmute' | 'op' | 'deop' | 'topic_lock' }>;

/** The room `msg` acts on, if `s` may moderate it; null after saying why not. Administrators need not be members. */
function moderated(ctx: Context, s: Session, msg: ModRequest): Room | null {
  const room = ctx.roomFor(s, msg.room, msg.type, msg.ref, !s.admin);
  if (!room) return null;
  if (!ctx.isOperator(room, s)) {
    ctx.error(s, 'not_operator', `only the operators of ${room.name} may do that`, { re: msg.type, ref: msg.ref });
    return null;
  }
  return room;
}

/** A valid target name, or null after saying why not. */
function targetName(ctx: Context, s: Session, name: string, re: string, ref: string | undefined): string | null {
  const problem = nameProblem(name);
  if (problem === null) return name;
  ctx.error(s, 'invalid_name', `"${truncateCodePoints(sanitizeText(name), 40)}" is not a valid name: ${problem}`, { re, ref });
  return null;
}

function reasonOf(raw: string | undefined): string | undefined {
  const r = raw === undefined ? '' : truncateCodePoints(sanitizeText(raw), MAX_REASON_CHARS);
  return r === '' ? undefined : r;
}

/** Show a moderation step to the room (and its author, with the ref) and log it. */
function announce(
  ctx: Context,
  s: Session,
  room: Room,
  ref: string | undefined,
  action: ModerationAction,
  now: number,
  extra: { name?: string; seconds?: number; reason?: string } = {},
): void {
  const event = { type: 'moderation', room: room.name, action, by: s.name!, ...extra, time: now } as const;
  room.publish(event, s);
  ctx.echo(s, event, ref);
  ctx.log('moderation', { room: room.name, action, by: s.name, name: extra.name, seconds: extra.seconds, reason: extra.reason });
}

/**
 * `target` is out of `room` by an operator's hand: told, with the room, by one `left`. A version-1
 * session lives in the default room only, so leaving it there ends its connection.
 */
function removeFrom(ctx: Context, s: Session, room: Room, target: Session, reason: 'kicked' | 'banned', message: string | undefined, ref: string | undefined, now: number): void {
  dropMember(ctx, target, room);
  const event = { type: 'left', room: room.name, name: target.name!, reason, by: s.name!, ...(message !== undefined && { message }), time: now } as const;
  room.publish(event, s);
  if (target !== s) ctx.send(target, event);
  ctx.echo(s, event, ref);
  if (target.version === 1) ctx.remove(target, 'kicked', `${reason === 'banned' ? 'banned' : 'kicked'} from ${room.name}`);
}

/**
 * `name` (online on another server of the cluster) is out of `room` by an operator's hand here: no
 * longer kept or listed; the `left` event reaches their server, which takes them out and tells them.
 */
function removeElsewhere(ctx: Context, s: Session, room: Room, name: string, reason: 'kicked' | 'banned', message: string | undefined, ref: string | undefined, now: number): void {
  const key = foldName(name);
  if (room.kept.has(key)) {
    ctx.rooms.unkeep(room, key);
    if (ctx.store) ctx.persist(undefined, reason === 'banned' ? 'ban' : 'kick', undefined, () => ctx.store!.dropMember(room.key, key));
  }
  room.remoteMember(name, false);
  const event = { type: 'left', room: room.name, name, reason, by: s.name!, ...(message !== undefined && { message }), time: now } as const;
  room.publish(event, s);
  ctx.echo(s, event, ref);
}

/** Whether `s` may act on `target` (online here) or `key` (on another server): only an administrator acts on one. */
function outranks(ctx: Context, s: Session, target: Session | undefined, re: string, ref: string | undefined, key?: string): boolean {
  if (s.admin) return true;
  const admin = target ? target.admin : key !== undefined && ctx.peers?.remoteName(key) !== undefined && ctx.lookup(s, re, ref, () => ctx.store?.isAdmin(key) === true);
  if (admin === FAILED) return false;
  if (admin) {
    ctx.error(s, 'not_operator', `${target?.name ?? ctx.peers!.remoteName(key!)} is a server administrator`, { re, ref });
    return false;
  }
  return true;
}

export function kick(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'kick' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  const key = foldName(msg.name);
  const target = room.member(key);
  // In a cluster the member may be on another server.
  const elsewhere = target ? undefined : room.remoteName(key);
  if (!target && elsewhere === undefined) return ctx.error(s, 'no_such_user', `no one called ${truncateCodePoints(sanitizeText(msg.name), 40)} is in ${room.name}`, { re: 'kick', ref: msg.ref, name: msg.name });
  if (!outranks(ctx, s, target, 'kick', msg.ref, key)) return;
  const reason = reasonOf(msg.reason);
  if (target) removeFrom(ctx, s, room, target, 'kicked', reason, msg.ref, now);
  else removeElsewhere(ctx, s, room, elsewhere!, 'kicked', reason, msg.ref, now);
  ctx.log('moderation', { room: room.name, action: 'kick', by: s.name, name: target?.name ?? elsewhere, reason });
  ctx.forgetIfIdle(room);
}

export function ban(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'ban' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  const name = targetName(ctx, s, msg.name, 'ban', msg.ref);
  if (name === null) return;
  const key = foldName(name);
  const online = ctx.directory.find(name);
  if (!outranks(ctx, s, online, 'ban', msg.ref, key)) return;
  if (!room.bans.has(key) && room.bans.size >= MAX_BANS_PER_ROOM) {
    return ctx.error(s, 'too_many_bans', `${room.name} already has ${MAX_BANS_PER_ROOM} bans; /unban some first`, { re: 'ban', ref: msg.ref });
  }
  // A registered user is banned by account; a guest by name and by the address it is connected from.
  const registered = online ? online.account : ctx.lookup(s, 'ban', msg.ref, () => ctx.accounts?.store.user(key) !== undefined);
  if (registered === FAILED) return;
  const elsewhere = online ? undefined : room.remoteName(key);
  const shown = online?.name ?? elsewhere ?? name;
  // A guest on another server: its address is known there, which adds it to the ban (elsewhere.ts).
  const addr = online && !registered ? online.ip : undefined;
  const until = msg.seconds === undefined ? undefined : now + msg.seconds * 1000;
  const entry = { name: shown, ...(addr !== undefined && { addr }), ...(until !== undefined && { until }), by: s.name! };
  if (ctx.store && ctx.persist(s, 'ban', msg.ref, () => ctx.store!.addBan(room.key, { key, ...entry })) === FAILED) return;
  room.bans.set(key, entry);
  const reason = reasonOf(msg.reason);
  announce(ctx, s, room, msg.ref, 'ban', now, { name: shown, ...(msg.seconds !== undefined && { seconds: msg.seconds }), ...(reason !== undefined && { reason }) });
  const member = room.member(key);
  if (member) {
    const why = msg.seconds === undefined ? reason : `${reason ?? 'banned'} (for ${formatDuration(msg.seconds)})`;
    removeFrom(ctx, s, room, member, 'banned', why, undefined, now);
  } else if (elsewhere !== undefined) {
    const why = msg.seconds === undefined ? reason : `${reason ?? 'banned'} (for ${formatDuration(msg.seconds)})`;
    removeElsewhere(ctx, s, room, elsewhere, 'banned', why, undefined, now);
  } else if (room.kept.has(key)) {
    ctx.rooms.unkeep(room, key);
    if (ctx.store) ctx.persist(undefined, 'ban', undefined, () => ctx.store!.dropMember(room.key, key));
  }
}

export function unban(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'unban' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  const key = foldName(msg.name);
  const entry = room.banOf(key, undefined, now);
  if (!entry) return ctx.error(s, 'no_such_user', `${truncateCodePoints(sanitizeText(msg.name), 40)} is not banned from ${room.name}`, { re: 'unban', ref: msg.ref, name: msg.name });
  if (ctx.store && ctx.persist(s, 'unban', msg.ref, () => ctx.store!.dropBan(room.key, key)) === FAILED) return;
  room.bans.delete(key);
  announce(ctx, s, room, msg.ref, 'unban', now, { name: entry.name });
}

export function mute(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'mute' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  const name = targetName(ctx, s, msg.name, 'mute', msg.ref);
  if (name === null) return;
  const key = foldName(name);
  const member = room.member(key);
  if (!outranks(ctx, s, member, 'mute', msg.ref, key)) return;
  const until = msg.seconds === undefined ? undefined : now + msg.seconds * 1000;
  if (ctx.store && ctx.persist(s, 'mute', msg.ref, () => ctx.store!.addMute(room.key, key, until)) === FAILED) return;
  room.mutes.set(key, until);
  announce(ctx, s, room, msg.ref, 'mute', now, { name: member?.name ?? room.remoteName(key) ?? name, ...(msg.seconds !== undefined && { seconds: msg.seconds }) });
}

export function unmute(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'unmute' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  const key = foldName(msg.name);
  if (!room.muted(key, now)) return ctx.error(s, 'no_such_user', `${truncateCodePoints(sanitizeText(msg.name), 40)} is not muted in ${room.name}`, { re: 'unmute', ref: msg.ref, name: msg.name });
  if (ctx.store && ctx.persist(s, 'unmute', msg.ref, () => ctx.store!.dropMute(room.key, key)) === FAILED) return;
  room.mutes.delete(key);
  announce(ctx, s, room, msg.ref, 'unmute', now, { name: room.member(key)?.name ?? msg.name });
}

export function op(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'op' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  const name = targetName(ctx, s, msg.name, 'op', msg.ref);
  if (name === null) return;
  const key = foldName(name);
  const online = ctx.directory.find(name);
  const account = online ? (online.account ? online.name! : undefined) : ctx.lookup(s, 'op', msg.ref, () => ctx.accounts?.store.user(key)?.name);
  if (account === FAILED) return;
  // A guest can be an operator only while online: the name may be someone else's tomorrow.
  const shown = account ?? online?.name ?? ctx.peers?.remoteName(key);
  if (shown === undefined) return ctx.error(s, 'no_such_user', `no one called ${name} is online or registered`, { re: 'op', ref: msg.ref, name });
  if (account !== undefined && ctx.store && ctx.persist(s, 'op', msg.ref, () => ctx.store!.addOperator(room.key, key, account)) === FAILED) return;
  room.operators.set(key, shown);
  announce(ctx, s, room, msg.ref, 'op', now, { name: shown });
}

export function deop(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'deop' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  const key = foldName(msg.name);
  const shown = room.operators.get(key);
  if (shown === undefined) return ctx.error(s, 'no_such_user', `${truncateCodePoints(sanitizeText(msg.name), 40)} is not an operator of ${room.name}`, { re: 'deop', ref: msg.ref, name: msg.name });
  if (ctx.store && ctx.persist(s, 'deop', msg.ref, () => ctx.store!.dropOperator(room.key, key)) === FAILED) return;
  room.operators.delete(key);
  announce(ctx, s, room, msg.ref, 'deop', now, { name: shown });
}

export function topicLock(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'topic_lock' }>, now: number): void {
  const room = moderated(ctx, s, msg);
  if (!room) return;
  if (ctx.store && ctx.persist(s, 'topic_lock', msg.ref, () => ctx.store!.setLocked(room.key, msg.locked)) === FAILED) return;
  room.locked = msg.locked;
  announce(ctx, s, room, msg.ref, msg.locked ? 'lock' : 'unlock', now);
}

export function close(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'close' }>, now: number): void {
  const ref = msg.ref;
  if (!s.admin) return ctx.error(s, 'not_operator', 'only server administrators may close a room', { re: 'close', ref });
  const room = ctx.roomFor(s, msg.room, 'close', ref, false);
  if (!room) return;
  if (room === ctx.lobby) return ctx.error(s, 'invalid_room', `${room.name} is the default room; it cannot be closed`, { re: 'close', ref });
  if (ctx.store && ctx.persist(s, 'close', ref, () => ctx.store!.dropRoom(room.key)) === FAILED) return;
  const reason = reasonOf(msg.reason);
  const event = { type: 'closed', room: room.name, by: s.name!, ...(reason !== undefined && { reason }), time: now } as const;
  room.publish(event, s);
  ctx.echo(s, event, ref);
  for (const m of [...room.sessions()]) room.remove(m);
  ctx.rooms.drop(room);
  ctx.log('moderation', { room: room.name, action: 'close', by: s.name, reason });
}
