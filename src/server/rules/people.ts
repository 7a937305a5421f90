import { MAX_BLOCKS, MAX_SEEN_ENTRIES } from '../../wire/limits.js';
import type { ClientMessage, SeenEntry } from '../../wire/messages.js';
import { compareNames, foldName, nameProblem } from '../../wire/names.js';
import { sanitizeText, truncateCodePoints } from '../../wire/sanitize.js';
import type { RoomEvent } from '../events.js';
import type { Session } from '../session.js';
import { fanout, neighbours } from '../room.js';
import { awayField } from './away.js';
import { FAILED, type Context } from './context.js';

// nick, whoelse, block and unblock: a person's name, who else is around, and whom they hear.

export function nick(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'nick' }>, now: number): void {
  const old = s.name!;
  if (msg.name === old) return ctx.error(s, 'invalid_name', `you are already called ${old}`, { re: 'nick', ref: msg.ref });
  // A change of case only (alice -> Alice) keeps the same key, so it cannot collide with anyone.
  const sameKey = foldName(msg.name) === foldName(old);
  if (!ctx.nameFree(s, msg.name, 'nick', msg.ref, sameKey)) return;
  if (!sameKey && ctx.accounts) {
    if (s.checking) return ctx.error(s, 'busy', 'wait until your registration is checked', { re: 'nick', ref: msg.ref });
    if (s.account) return ctx.error(s, 'name_registered', `you are logged in as ${old}; an account's name is fixed (a change of case is fine)`, { re: 'nick', ref: msg.ref });
    const registered = ctx.lookup(s, 'nick', msg.ref, () => ctx.accounts!.isRegistered(msg.name));
    if (registered === FAILED) return;
    if (registered) {
      return ctx.error(s, 'name_registered', `${msg.name} is a registered name; to use it, reconnect as ${msg.name} with its password`, { re: 'nick', ref: msg.ref, name: msg.name });
    }
  }
  if (sameKey) return rename(ctx, s, old, msg.name, msg.ref);
  if (s.checking) return ctx.error(s, 'busy', 'your last change of name is still being checked; wait for the answer', { re: 'nick', ref: msg.ref });
  ctx.claimName(s, msg.name, false, 'nick', msg.ref, (s) => {
    // Still called `old` (a session waiting for its claim can change nothing else), and still here.
    rename(ctx, s, old, msg.name, msg.ref);
    ctx.peers?.release(s.id, old);
  });
}

function rename(ctx: Context, s: Session, old: string, name: string, ref: string | undefined): void {
  const now = ctx.clock();
  s.name = name;
  ctx.directory.rebind(s, old);
  ctx.away.rename(old, name);
  const oldKey = foldName(old);
  const newKey = foldName(name);
  for (const room of s.rooms) {
    room.rename(s, old);
    // A guest's operator status follows its name while it is online.
    if (oldKey !== newKey && room.operators.has(oldKey)) {
      room.operators.delete(oldKey);
      room.operators.set(newKey, name);
    } else if (room.operators.has(newKey)) room.operators.set(newKey, name);
  }
  if (oldKey !== newKey) {
    for (const room of ctx.rooms.keptFor(oldKey)) {
      ctx.rooms.unkeep(room, oldKey);
      ctx.rooms.keep(room, newKey);
      if (ctx.store) ctx.persist(undefined, 'nick', undefined, () => (ctx.store!.dropMember(room.key, oldKey), ctx.store!.addMember(room.key, newKey)));
    }
  }
  // Once to each person who shares a room with them, however many rooms they share.
  const event: RoomEvent = { type: 'renamed', old, new: s.name, time: now };
  fanout(neighbours(s), event, (m, frame) => ctx.out.send(m.id, frame), s, oldKey);
  for (const room of s.rooms) room.offer(event);
  if (s.rooms.size === 0) ctx.peers?.online(s.name, old);
  ctx.echo(s, event, ref);
  // Renaming must not be a way out of a block.
  for (const other of ctx.directory.named()) {
    if (!other.blocks.has(foldName(old)) || ctx.persist(other, 'nick', undefined, () => other.blocks.rename(old, s.name!)) === FAILED) continue;
    if (!other.account) ctx.peers?.guestBlocks(other.name!, other.blocks.keys());
  }
  ctx.log('rename', { conn: s.id, old, new: s.name });
}

/** The `away` of a seen entry: the away message of someone online here who is away (as IRC's WHOIS shows to anyone). */
function awayOf(ctx: Context, name: string): { away?: string } {
  const away = ctx.away.get(name);
  return away === undefined ? {} : { away: away.message };
}

export function whoelse(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'whoelse' }>, now: number): void {
  const entries: SeenEntry[] = [];
  for (const other of ctx.directory.named()) {
    if (other !== s && !s.blocks.has(foldName(other.name!))) entries.push({ name: other.name!, online: true, ...awayOf(ctx, other.name!) });
  }
  for (const [key, name] of ctx.peers?.remoteUsers() ?? []) {
    if (!ctx.directory.has(key) && !s.blocks.has(key)) entries.push({ name, online: true });
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  if (msg.since !== undefined && ctx.accounts) {
    const since = now - Math.min(msg.since, now / 1000) * 1000;
    const seen = ctx.persist(s, 'whoelse', msg.ref, () => ctx.accounts!.store.seenSince(since));
    if (seen === FAILED) return;
    for (const e of seen) {
      const key = foldName(e.name);
      if (ctx.directory.has(key) || ctx.peers?.remoteName(key) !== undefined || s.blocks.has(key)) continue;
      entries.push({ name: e.name, online: false, lastSeen: e.lastSeen });
    }
  }
  ctx.send(s, {
    type: 'seen',
    users: entries.slice(0, MAX_SEEN_ENTRIES),
    ...(msg.since !== undefined && { since: msg.since }),
    ...(msg.ref !== undefined && { ref: msg.ref }),
  });
}

export function block(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'block' }>): void {
  const ref = msg.ref;
  if (msg.name !== undefined) {
    const problem = nameProblem(msg.name);
    if (problem !== null) return ctx.error(s, 'invalid_name', `"${truncateCodePoints(sanitizeText(msg.name), 40)}" is not a valid name: ${problem}`, { re: 'block', ref });
    const key = foldName(msg.name);
    if (key === foldName(s.name!)) return ctx.error(s, 'invalid_name', 'you cannot block yourself', { re: 'block', ref });
    const name = ctx.directory.find(msg.name)?.name ?? ctx.peers?.remoteName(key) ?? ctx.lookup(s, 'block', ref, () => ctx.accounts?.store.user(key)?.name);
    if (name === FAILED) return;
    if (name === undefined) return ctx.error(s, 'no_such_user', `no one called ${msg.name} is here or registered`, { re: 'block', ref, name: msg.name });
    if (!s.blocks.has(key) && s.blocks.size >= MAX_BLOCKS) return ctx.error(s, 'too_many_blocks', `you can block at most ${MAX_BLOCKS} names; /unblock some first`, { re: 'block', ref });
    if (ctx.persist(s, 'block', ref, () => s.blocks.add(name)) === FAILED) return;
    if (!s.account) ctx.peers?.guestBlocks(s.name!, s.blocks.keys());
    ctx.log('block', { conn: s.id, name: s.name, blocked: name });
  }
  ctx.send(s, { type: 'blocks', names: s.blocks.list(), ...(ref !== undefined && { ref }) });
  if (msg.name !== undefined) sendMembers(ctx, s);
}

/** The members of each of `s`'s rooms as `s` sees them now that its blocks changed (no ref: an update, not a reply). */
function sendMembers(ctx: Context, s: Session): void {
  for (const room of s.rooms) {
    const users = room.namesFor(s);
    ctx.send(s, { type: 'users', ...(s.version > 1 && { room: room.name }), users, ...awayField(ctx, users) });
  }
}

export function unblock(ctx: Context, s: Session, msg: Extract<ClientMessage, { type: 'unblock' }>): void {
  const removed = ctx.persist(s, 'unblock', msg.ref, () => s.blocks.remove(msg.name));
  if (removed === FAILED) return;
  if (!removed) {
    const shown = truncateCodePoints(sanitizeText(msg.name), 40);
    return ctx.error(s, 'no_such_user', `you are not blocking "${shown}"`, { re: 'unblock', ref: msg.ref, name: shown });
  }
  if (!s.account) ctx.peers?.guestBlocks(s.name!, s.blocks.keys());
  ctx.send(s, { type: 'blocks', names: s.blocks.list(), ...(msg.ref !== undefined && { ref: msg.ref }) });
  sendMembers(ctx, s);
}
