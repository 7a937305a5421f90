import type { LeaveReason } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import type { RoomEvent } from '../events.js';
import type { RoomChange } from '../peers.js';
import { FAILED, type Context } from './context.js';
import type { Room } from '../room.js';
import { dropMember } from './rooms.js';

// What another server of a cluster did to the rooms, applied here: the rooms' lasting state (a RoomChange
// from the journal), a member of this server put out by an operator there, a room closed there, a guest
// made an operator there, a rename there that a block here must follow. The other server already checked
// the rules; these only bring this server's rooms and sessions in line.

/**
 * `room` was forgotten as idle by a server that had not yet heard that someone here joined it: made again
 * across the cluster (no creator: its operators were gone, or it would not have been idle), with its
 * members here announced again and those to put back at login remembered again, so every server lists it.
 */
function restoreRoom(ctx: Context, room: Room): void {
  ctx.peers?.createRoom(room.name, undefined, ctx.clock()).then(
    () => {
      // Emptied and forgotten here meanwhile (and perhaps made again, a Room of its own): nothing of this
      // one is left to remember or announce.
      if (ctx.rooms.get(room.name) !== room) return;
      for (const key of room.kept) ctx.persist(undefined, 'join', undefined, () => ctx.store?.addMember(room.key, key));
      const now = ctx.clock();
      for (const s of room.sessions()) room.offer({ type: 'joined', room: room.name, name: s.name!, time: now });
      ctx.log('room_restored', { room: room.name, members: room.size });
    },
    (err: Error) => ctx.log('cluster_error', { during: 'restore_room', room: room.name, error: err.message }),
  );
}

/** A room change made by another server: this server's rooms follow (idempotent: it may come twice). */
export function roomChanged(ctx: Context, c: RoomChange): void {
  const { rooms } = ctx;
  if (c.op === 'addRoom') {
    const room = rooms.get(c.key) ?? rooms.create(c.name);
    if (c.by) {
      room.operators.set(c.by.key, c.by.name);
      if (!c.by.account) room.guestOperators.add(c.by.key);
    }
    return;
  }
  const room = rooms.get(c.op === 'dropRoom' ? c.key : c.room);
  if (!room) return;
  switch (c.op) {
    case 'dropRoom':
      // Closed there: the `closed` event puts this server's members out. Forgotten there as idle while
      // someone here joined: it goes on here, and is made again across the cluster.
      if (room.size === 0) rooms.drop(room);
      else if (c.idle) restoreRoom(ctx, room);
      return;
    case 'setTopic':
      room.topic = c.topic;
      room.topicBy = c.by;
      room.topicTime = c.time;
      return;
    case 'setLocked':
      room.locked = c.locked;
      return;
    case 'addOperator':
      room.operators.set(c.key, c.name);
      room.guestOperators.delete(c.key);
      return;
    case 'dropOperator':
      room.operators.delete(c.key);
      room.guestOperators.delete(c.key);
      return;
    case 'addBan': {
      const { key, ...ban } = c.ban;
      room.bans.set(key, ban);
      return;
    }
    case 'dropBan':
      room.bans.delete(c.key);
      return;
    case 'addMute':
      room.mutes.set(c.key, c.until);
      return;
    case 'dropMute':
      room.mutes.delete(c.key);
      return;
    case 'addMember':
      rooms.keep(room, c.key);
      return;
    case 'dropMember':
      rooms.unkeep(room, c.key);
      return;
  }
}

/**
 * An operator on another server kicked or banned `event.name` from `roomName`. A member on this server is
 * taken out and told, as on one server (a guest's ban then also holds its address, known only here);
 * one on a third server is no longer listed. The room's other members here see the event.
 */
export function removedByOperator(ctx: Context, roomName: string, event: Extract<RoomEvent, { type: 'left' }>): void {
  const room = ctx.rooms.get(roomName);
  if (!room) return;
  const key = foldName(event.name);
  const member = room.member(key);
  if (!member) {
    room.remoteMember(event.name, false);
    return room.deliver(event, undefined, key);
  }
  dropMember(ctx, member, room);
  const ban = room.bans.get(key);
  if (event.reason === 'banned' && !member.account && ban && ban.addr === undefined) {
    ban.addr = member.ip;
    if (ctx.store) ctx.persist(undefined, 'ban', undefined, () => ctx.store!.addBan(room.key, { key, ...ban }));
  }
  ctx.send(member, event);
  room.deliver(event, member, key);
  if (member.version === 1) ctx.remove(member, 'kicked', `${event.reason === 'banned' ? 'banned' : 'kicked'} from ${room.name}`);
  ctx.forgetIfIdle(room);
}

/** An administrator on another server closed `roomName`: its members here are told and are out of it. */
export function closedElsewhere(ctx: Context, roomName: string, event: Extract<RoomEvent, { type: 'closed' }>): void {
  const room = ctx.rooms.get(roomName);
  if (!room) return;
  room.deliver(event);
  for (const m of [...room.sessions()]) room.remove(m);
  ctx.rooms.drop(room);
}

/**
 * `name` was made an operator of `roomName` (or no longer one) on another server. A registered user's
 * status also comes from the journal; a guest's only this way, and it ends when the guest leaves.
 */
export function operatorElsewhere(ctx: Context, roomName: string, name: string, op: boolean): void {
  const room = ctx.rooms.get(roomName);
  if (!room || name === '') return;
  const key = foldName(name);
  if (!op) {
    room.operators.delete(key);
    room.guestOperators.delete(key);
    return;
  }
  room.operators.set(key, name);
  const registered = ctx.persist(undefined, 'op', undefined, () => ctx.store?.user(key) !== undefined);
  if (registered !== FAILED && !registered) room.guestOperators.add(key);
}

/** `old` is now called `name` on another server: blocks held here follow (renaming is no way out of one). */
export function renamedElsewhere(ctx: Context, old: string, name: string): void {
  const oldKey = foldName(old);
  for (const s of ctx.directory.named()) {
    if (!s.blocks.has(oldKey)) continue;
    if (ctx.persist(s, 'nick', undefined, () => s.blocks.rename(old, name)) === FAILED) continue;
    if (!s.account) ctx.peers?.guestBlocks(s.name!, s.blocks.keys());
  }
}

/**
 * `name` came online on another server, as its user list says (it started, or came back after losing
 * Redis): listed in the default room and the rooms that keep them, and each of them told.
 */
export function arrivedElsewhere(ctx: Context, name: string, time: number, inDefaultRoom = true): void {
  const key = foldName(name);
  for (const room of [...(inDefaultRoom ? [ctx.lobby] : []), ...ctx.rooms.keptFor(key)]) {
    if (room.remoteName(key) !== undefined || room.member(key)) continue;
    room.remoteMember(name, true);
    room.notice({ type: 'joined', room: room.name, name, time });
  }
}

/**
 * `name`'s server died or lost Redis (its presence lapsed, or its user list no longer has them): out of
 * every room that listed them, and each told, with `reason`, as when someone leaves one server.
 */
export function lostElsewhere(ctx: Context, name: string, reason: LeaveReason, time: number): void {
  const key = foldName(name);
  for (const room of ctx.rooms.all()) {
    if (room.remoteName(key) === undefined) continue;
    room.remoteMember(name, false);
    room.notice({ type: 'left', room: room.name, name, reason, time });
  }
}

/** A user of another server left it: an operator's status that was a guest's ends (the name may be someone else's next). */
export function goneElsewhere(ctx: Context, key: string): void {
  for (const room of ctx.rooms.all()) {
    if (!room.guestOperators.delete(key)) continue;
    room.operators.delete(key);
  }
}
