import { MAX_REASON_CHARS, MAX_ROOMS_PER_USER, MAX_TOPIC_CHARS } from '../../wire/limits.js';
import type { ClientMessage, RoomInfo } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { formatDuration, roomProblem } from '../../wire/rooms.js';
import { checkText, sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { Room } from '../room.js';
import type { Session } from '../session.js';
import { FAILED, type Context } from './context.js';
import { awayField } from './away.js';

// join, part, rooms, topic and list: moving between rooms and seeing them. Protocol version 2; a version-1
// session is in the default room only and never reaches join or part.

/** What `s` needs to show `room` now: members, operators, topic (the reply to join, and at login). */
export function sendRoomState(ctx: Context, s: Session, room: Room, ref?: string): void {
  const users = room.namesFor(s);
  ctx.send(s, {
    type: 'room',
    room: room.name,
    users,
    ...awayField(ctx, users),
    operators: [...room.operators.values()],
    ...(room.topic !== '' && { topic: room.topic }),
    ...(room.topic !== '' && room.topicBy !== undefined && { topicBy: room.topicBy }),
    ...(room.topic !== '' && room.topicTime !== undefined && { topicTime: room.topicTime }),
    ...(room.locked && { locked: true }),
    ...(ref !== undefined && { ref }),
  });
}

/**
 * The room's recent messages for `s`, as history, without those of people `s` blocks; with `after`, only
 * those with a greater id (the client has the rest: hello.last).
 */
export function replay(ctx: Context, s: Session, room: Room, after?: number): void {
  if (ctx.opts.historySize === 0 || !ctx.store) return;
  const rows = ctx.persist(s, 'hello', undefined, () => ctx.store!.recentHistory(room.key, ctx.opts.historySize, after));
  if (rows === FAILED) return;
  for (const m of rows) {
    if (s.blocks.has(foldName(m.from))) continue;
    ctx.backlog(s, { type: 'message', room: room.name, id: m.id, from: m.from, text: m.text, time: m.time, ...(m.action && { action: true }), ...(m.notice === true && { notice: true }), history: true });
  }
}

/** The ban keeping `s` out of `room` now, said to `s` as an error; or false when there is none. */
export function refusedByBan(ctx: Context, s: Session, room: Room, re: string, ref: string | undefined, now: number): boolean {
  const ban = room.banOf(foldName(s.name!), s.account ? undefined : s.ip, now);
  if (!ban) return false;
  const seconds = ban.until === undefined ? undefined : Math.ceil((ban.until - now) / 1000);
  const how = seconds === undefined ? 'until an operator lifts it' : `for ${formatDuration(seconds)} more`;
  ctx.error(s, 'banned', `you are banned from ${room.name} ${how}`, { re, ref, ...(seconds !== undefined && { seconds }) });
  return true;
}

/** Put `s` in `room`, remember it for the next login (the default room needs no remembering). */
export function addMember(ctx: Context, s: Session, room: Room): void {
  room.add(s);
  if (room === ctx.lobby) return;
  const key = foldName(s.name!);
  if (room.kept.has(key)) return;
  ctx.rooms.keep(room, key);
  if (ctx.store) ctx.persist(undefined, 'join', undefined, () => ctx.store!.addMember(room.key, key));
}

/** `s` is no longer a member of `room` (parted, kicked, banned): out of it now and at the next login. */
export function dropMember(ctx: Context, s: Session, room: Room): void {
  room.remove(s);
  const key = foldName(s.name!);
  // A guest is an operator only while it is in the room.
  if (!s.account) room.operators.delete(key);
  if (room.kept.has(key)) {
    ctx.rooms.unkeep(room, key);
    if (ctx.store) ctx.persist(undefined, 'part', undefined, () => ctx.store!.dropMember(room.key, key));
  }
}

export function join(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'join' }>, now: number): void {
  const ref = msg.ref;
  const problem = roomProblem(msg.room);
  if (problem !== null) return ctx.error(s, 'invalid_room', `"${truncateCodePoints(sanitizeText(msg.room), 40)}" is not a room name: ${problem}`, { re: 'join', ref });
  let room = ctx.rooms.get(msg.room);
  if (room && s.rooms.has(room)) return sendRoomState(ctx, s, room, ref); // already there: the state again
  if (s.rooms.size >= MAX_ROOMS_PER_USER) {
    return ctx.error(s, 'too_many_rooms', `you are in ${MAX_ROOMS_PER_USER} rooms, the most one person may be in; /part one first`, { re: 'join', ref });
  }
  if (!room) {
    if (ctx.rooms.size >= ctx.opts.maxRooms) return ctx.error(s, 'room_limit', `this server already has ${ctx.opts.maxRooms} rooms; join one of them (/rooms)`, { re: 'join', ref });
    if (ctx.peers) return createAcross(ctx, s, msg.room, ref);
    if (ctx.store && ctx.persist(s, 'join', ref, () => ctx.store!.addRoom(foldName(msg.room), msg.room, now)) === FAILED) return;
    room = ctx.rooms.create(msg.room);
    // The creator is the room's first operator.
    room.operators.set(foldName(s.name!), s.name!);
    if (s.account && ctx.store) ctx.persist(undefined, 'join', undefined, () => ctx.store!.addOperator(room!.key, foldName(s.name!), s.name!));
    ctx.log('room_created', { room: room.name, by: s.name });
  } else if (refusedByBan(ctx, s, room, 'join', ref, now)) {
    return;
  }
  enterRoom(ctx, s, room, ref, now);
}

/** `s` joins `room` (the checks passed): its state and history to `s`, a joined notice to the others. */
function enterRoom(ctx: Context, s: Session, room: Room, ref: string | undefined, now: number): void {
  addMember(ctx, s, room);
  sendRoomState(ctx, s, room, ref);
  replay(ctx, s, room);
  // Someone away who joins says so with it (their message), as the room's `away` events would have.
  const away = ctx.away.get(s.name!);
  room.publish({ type: 'joined', room: room.name, name: s.name!, time: now, ...(away !== undefined && { away: away.message }) }, s, foldName(s.name!));
  ctx.log('join_room', { conn: s.id, name: s.name, room: room.name });
}

/**
 * In a cluster, a new room is created across the servers (two people creating it at the same moment on
 * two servers: one creator, one operator). `s` waits meanwhile, as for a name claim; if the room was made
 * elsewhere first, `s` joins it as a member (or is told of a ban).
 */
function createAcross(ctx: Context, s: Session, name: string, ref: string | undefined): void {
  const id = s.id;
  ctx.checkStarts(s);
  ctx.peers!.createRoom(name, { key: foldName(s.name!), name: s.name!, account: s.account }, ctx.clock()).then(
    (created) => {
      const still = ctx.directory.session(id);
      if (!still) return;
      const now = ctx.clock();
      // There now: createRoom put it in this server's rooms, whoever made it.
      const room = ctx.rooms.get(name)!;
      if (created || !refusedByBan(ctx, still, room, 'join', ref, now)) {
        if (created) ctx.log('room_created', { room: room.name, by: still.name });
        enterRoom(ctx, still, room, ref, now);
      }
      ctx.checkDone(still);
    },
    (err: Error) => {
      ctx.log('cluster_error', { during: 'join', conn: id, error: err.message });
      const still = ctx.directory.session(id);
      if (!still) return;
      ctx.error(still, 'server_error', 'the servers cannot create a room right now (their Redis is unreachable); join an existing one or try again in a moment', { re: 'join', ref });
      ctx.checkDone(still);
    },
  );
}

export function part(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'part' }>, now: number): void {
  const room = ctx.roomFor(s, msg.room, 'part', msg.ref);
  if (!room) return;
  const reason = msg.reason === undefined ? '' : truncateCodePoints(sanitizeText(msg.reason), MAX_REASON_CHARS);
  dropMember(ctx, s, room);
  const event = { type: 'left', room: room.name, name: s.name!, reason: 'part', ...(reason !== '' && { message: reason }), time: now } as const;
  room.publish(event, s, foldName(s.name!));
  ctx.echo(s, event, msg.ref);
  ctx.log('part', { conn: s.id, name: s.name, room: room.name, why: reason || undefined });
  ctx.forgetIfIdle(room);
}

export function listRooms(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'rooms' }>): void {
  const rooms: RoomInfo[] = [];
  for (const r of ctx.rooms.all()) rooms.push({ room: r.name, users: r.population, ...(r.topic !== '' && { topic: r.topic }) });
  rooms.sort((a, b) => (a.room.toLowerCase() < b.room.toLowerCase() ? -1 : 1));
  ctx.send(s, { type: 'rooms', rooms, ...(msg.ref !== undefined && { ref: msg.ref }) });
}

export function list(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'list' }>): void {
  const room = ctx.roomFor(s, s.version === 1 ? undefined : msg.room, 'list', msg.ref);
  if (!room) return;
  const users = room.namesFor(s);
  ctx.send(s, { type: 'users', ...(s.version > 1 && { room: room.name }), users, ...awayField(ctx, users), ...(msg.ref !== undefined && { ref: msg.ref }) });
}

export function topic(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'topic' }>, now: number): void {
  const ref = msg.ref;
  const room = ctx.roomFor(s, msg.room, 'topic', ref, msg.text !== undefined);
  if (!room) return;
  if (msg.text === undefined) {
    return ctx.send(s, {
      type: 'topic',
      room: room.name,
      topic: room.topic,
      ...(room.topicBy !== undefined && { by: room.topicBy }),
      ...(room.topicTime !== undefined && { time: room.topicTime }),
      ...(ref !== undefined && { ref }),
    });
  }
  if (room.locked && !ctx.isOperator(room, s)) return ctx.error(s, 'topic_locked', `the topic of ${room.name} is locked; only its operators may change it`, { re: 'topic', ref });
  let text = '';
  if (msg.text.trim() !== '') {
    const checked = checkText(msg.text);
    if (!checked.ok) return ctx.error(s, checked.code, checked.message, { re: 'topic', ref });
    if ([...checked.text].length > MAX_TOPIC_CHARS) return ctx.error(s, 'text_too_long', `a topic has at most ${MAX_TOPIC_CHARS} characters`, { re: 'topic', ref });
    text = checked.text;
  }
  if (ctx.store && ctx.persist(s, 'topic', ref, () => ctx.store!.setTopic(room.key, text, s.name, now)) === FAILED) return;
  room.topic = text;
  room.topicBy = s.name;
  room.topicTime = now;
  const event = { type: 'topic', room: room.name, topic: text, by: s.name!, time: now } as const;
  room.publish(event, s);
  ctx.echo(s, event, ref);
  ctx.log('topic', { conn: s.id, name: s.name, room: room.name, topic: text });
}

/**
 * `s` invites someone online to a room it is in: they are told (`invited`), and so is `s` as the answer.
 * An invitation is a notice, not a pass: parley's rooms are open to all but those banned.
 */
export function invite(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'invite' }>, now: number): void {
  const ref = msg.ref;
  const room = ctx.roomFor(s, msg.room, 'invite', ref);
  if (!room) return;
  const target = ctx.directory.find(msg.name);
  const shown = truncateCodePoints(sanitizeText(msg.name), 40);
  if (!target) return ctx.error(s, 'no_such_user', `no one called "${shown}" is here to invite`, { re: 'invite', ref, name: shown });
  if (target.rooms.has(room)) return ctx.error(s, 'already_in_room', `${target.name} is already in ${room.name}`, { re: 'invite', ref, name: target.name! });
  // Like a whisper: someone who blocks you does not hear from you, in the same words whether or not they are here.
  if (target.blocks.has(foldName(s.name!))) return ctx.error(s, 'not_delivered', `your invitation to ${target.name} was not delivered`, { re: 'invite', ref, name: target.name! });
  const event = { type: 'invited', room: room.name, by: s.name!, name: target.name!, time: now } as const;
  if (target !== s) ctx.send(target, event);
  ctx.send(s, { ...event, ...(ref !== undefined && { ref }) });
  ctx.log('invite', { conn: s.id, name: s.name, room: room.name, invited: target.name });
}
