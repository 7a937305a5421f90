import { randomBytes } from 'node:crypto';
import { Context, Skip, expect, type Joined } from './context.js';
import type { Check } from './checks.js';
import type { Frame, Peer } from './peer.js';

// The checks of PROTOCOL.md §15 (rooms, protocol version 2): names, joining and parting, topics, that a room's
// events reach its members only, and that a version-1 client lives in the default room alone. Each check
// makes rooms with fresh names, so it neither meets nor disturbs other rooms on the server.

const json = (f: unknown) => JSON.stringify(f);

/** A fresh room name: `#cf` and 10 random letters and digits. */
function roomName(): string {
  return `#cf${randomBytes(8).toString('base64url').replace(/[^A-Za-z0-9]/g, '').slice(0, 10).padEnd(10, '0')}`;
}

/** Join as a version-2 guest; skips the check when the server does not speak version 2. */
async function joinV2(ctx: Context): Promise<Joined & { lobby: string }> {
  const j = await ctx.join(undefined, 2);
  const rooms = j.welcome.rooms;
  if (!Array.isArray(rooms) || typeof rooms[0] !== 'string') throw new Skip('the server does not speak protocol version 2 (no rooms in welcome)');
  return { ...j, lobby: rooms[0] };
}

/** `peer` enters `room`; fails the check unless the answer is the room's state. */
async function enter(ctx: Context, peer: Peer, room: string): Promise<Frame> {
  const reply = await ctx.ask(peer, { type: 'join', room });
  expect(reply.type === 'room', `join ${room} should answer room; got ${json(reply)}`);
  return reply;
}

/** Two version-2 guests, both in a fresh room. */
async function twoInRoom(ctx: Context): Promise<{ a: Joined; b: Joined; room: string }> {
  const a = await joinV2(ctx);
  const b = await joinV2(ctx);
  const room = roomName();
  await enter(ctx, a.peer, room);
  await enter(ctx, b.peer, room);
  return { a, b, room };
}

/** Nothing matching `match` has arrived by the time a ping sent now comes back (the server answers in order). */
async function nothingMore(peer: Peer, match: (f: Frame) => boolean, what: string): Promise<void> {
  const token = `quiet-${randomBytes(3).toString('hex')}`;
  peer.send({ type: 'ping', token });
  await peer.take((f) => f.type === 'pong' && f.token === token, `the pong after ${what}`);
  const got = peer.unread.filter(match);
  expect(got.length === 0, `${what} should not arrive; got ${json(got)}`);
}

export const ROOM_CHECKS: Check[] = [
  {
    section: '15.1.1',
    must: 'a server MUST refuse a room name outside # and 1-32 characters of A-Z a-z 0-9 _ - . with invalid_room',
    async run(ctx) {
      const { peer } = await joinV2(ctx);
      for (const room of ['dev', '#', '#' + 'a'.repeat(33), '#a b', '#dév', '#a\u0000']) {
        const reply = await ctx.ask(peer, { type: 'join', room });
        expect(reply.type === 'error' && reply.code === 'invalid_room', `join ${json(room)} should get invalid_room; got ${json(reply)}`);
      }
      const ok = await enter(ctx, peer, '#' + 'a'.repeat(22) + randomBytes(5).toString('hex'));
      expect(typeof ok.room === 'string' && ok.room.length === 33, `a 32-character name should be accepted; got ${json(ok)}`);
    },
  },
  {
    section: '15.1.1',
    must: 'room names MUST be unique ignoring case: #Dev is #dev',
    async run(ctx) {
      const a = await joinV2(ctx);
      const b = await joinV2(ctx);
      const room = roomName();
      await enter(ctx, a.peer, room);
      const again = await enter(ctx, b.peer, room.toUpperCase().replace('#CF', '#cf'));
      expect(again.room === room && Array.isArray(again.users) && again.users.includes(a.name), `join in other case should enter ${room} with ${a.name}; got ${json(again)}`);
    },
  },
  {
    section: '15.2',
    must: 'join MUST answer room (with you among its users) and others in it get joined; joining again answers room again, with no second joined',
    async run(ctx) {
      const a = await joinV2(ctx);
      const b = await joinV2(ctx);
      const room = roomName();
      const first = await enter(ctx, a.peer, room);
      expect(Array.isArray(first.users) && first.users.includes(a.name), `the room should list ${a.name}; got ${json(first)}`);
      await enter(ctx, b.peer, room);
      await a.peer.take((f) => f.type === 'joined' && f.name === b.name && f.room === room, `joined of ${b.name} naming ${room}`);
      await enter(ctx, b.peer, room);
      await nothingMore(a.peer, (f) => f.type === 'joined' && f.name === b.name && f.room === room, 'a second joined');
    },
  },
  {
    section: '15.1.3',
    must: 'message, joined, left and topic of a room MUST go to the members of that room only',
    async run(ctx) {
      const { a, b, room } = await twoInRoom(ctx);
      const outside = await joinV2(ctx);
      const said = await ctx.ask(a.peer, { type: 'say', room, text: 'members only' });
      expect(said.type === 'message' && said.room === room, `say in ${room} should echo a message of ${room}; got ${json(said)}`);
      const heard = await b.peer.take((f) => f.type === 'message' && f.text === 'members only', `the message in ${room}`);
      expect(heard.room === room, `the message should name ${room}; got ${json(heard)}`);
      await ctx.ask(a.peer, { type: 'topic', room, text: 'for members' });
      await b.peer.take((f) => f.type === 'topic' && f.room === room, `the topic of ${room}`);
      await ctx.ask(b.peer, { type: 'part', room });
      await a.peer.take((f) => f.type === 'left' && f.name === b.name && f.room === room, `${b.name} leaving ${room}`);
      await nothingMore(outside.peer, (f) => f.room === room || f.text === 'members only' || f.topic === 'for members', `${room}'s events at someone outside it`);
    },
  },
  {
    section: '15.2',
    must: 'part MUST answer your own left (reason part); others get left with the reason as message; then say in it gets not_in_room',
    async run(ctx) {
      const { a, b, room } = await twoInRoom(ctx);
      const own = await ctx.ask(b.peer, { type: 'part', room, reason: 'lunch' });
      expect(own.type === 'left' && own.name === b.name && own.reason === 'part' && own.room === room, `part should answer left (part) for ${room}; got ${json(own)}`);
      const seen = await a.peer.take((f) => f.type === 'left' && f.name === b.name, `${b.name} parting`);
      expect(seen.reason === 'part' && seen.message === 'lunch', `others should see left with reason part and message "lunch"; got ${json(seen)}`);
      const after = await ctx.ask(b.peer, { type: 'say', room, text: 'still here?' });
      expect(after.type === 'error' && after.code === 'not_in_room', `say after part should get not_in_room; got ${json(after)}`);
    },
  },
  {
    section: '15.2',
    must: 'topic with text MUST be echoed and sent to the room; without text it answers the topic, to members and non-members alike',
    async run(ctx) {
      const { a, b, room } = await twoInRoom(ctx);
      const outside = await joinV2(ctx);
      const echo = await ctx.ask(a.peer, { type: 'topic', room, text: 'release week' });
      expect(echo.type === 'topic' && echo.topic === 'release week' && echo.by === a.name, `topic should be echoed with by ${a.name}; got ${json(echo)}`);
      const seen = await b.peer.take((f) => f.type === 'topic' && f.room === room, `the topic of ${room}`);
      expect(seen.topic === 'release week', `members should get the topic; got ${json(seen)}`);
      const asked = await ctx.ask(outside.peer, { type: 'topic', room });
      expect(asked.type === 'topic' && asked.topic === 'release week', `a non-member asking should get the topic; got ${json(asked)}`);
      const refused = await ctx.ask(outside.peer, { type: 'topic', room, text: 'mine now' });
      expect(refused.type === 'error' && refused.code === 'not_in_room', `a non-member setting the topic should get not_in_room; got ${json(refused)}`);
    },
  },
  {
    section: '15.1.5',
    must: 'a version-1 session MUST receive only events of the default room, without room fields; version-2 requests from it are unknown_type',
    async run(ctx) {
      const v2 = await joinV2(ctx);
      const v1 = await ctx.join(undefined, 1);
      const room = roomName();
      await enter(ctx, v2.peer, room);
      await ctx.ask(v2.peer, { type: 'say', room, text: 'elsewhere' });
      await ctx.ask(v2.peer, { type: 'say', room: v2.lobby, text: 'in the default room' });
      const heard = await v1.peer.take((f) => f.type === 'message' && f.from === v2.name, 'the message in the default room');
      expect(heard.text === 'in the default room' && !('room' in heard), `a version-1 session should get the default room's message without room; got ${json(heard)}`);
      await nothingMore(v1.peer, (f) => f.text === 'elsewhere' || 'room' in f, `another room's events (or a room field) at a version-1 session`);
      const join = await ctx.ask(v1.peer, { type: 'join', room });
      expect(join.type === 'error' && join.code === 'unknown_type', `join from a version-1 session should get unknown_type; got ${json(join)}`);
    },
  },
];
