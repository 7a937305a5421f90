import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../src/server/events.js';
import { Rooms } from '../../src/server/rooms.js';
import type { Context } from '../../src/server/rules/context.js';
import { roomChanged } from '../../src/server/rules/elsewhere.js';
import type { Session } from '../../src/server/session.js';

// A room forgotten as idle by another server while someone here is in it is made again across the cluster
// (rules/elsewhere.ts, restoreRoom). The rule runs here over a context with only what it uses: the rooms, a
// cluster whose room creation answers when the test says, and a store that records remembered members.

function setup() {
  const offered: RoomEvent[] = [];
  const members: string[][] = [];
  const logged: string[] = [];
  let created!: (won: boolean) => void;
  const rooms = new Rooms('#lobby', () => {}, { publish: (_room, event) => offered.push(event) });
  const ctx = {
    rooms,
    clock: () => 1000,
    log: (event: string) => logged.push(event),
    peers: { createRoom: () => new Promise<boolean>((r) => (created = r)) },
    store: { addMember: (room: string, key: string) => members.push([room, key]) },
    persist: (_s: unknown, _re: string, _ref: unknown, work: () => unknown) => work(),
  } as unknown as Context; // only the members restoreRoom uses
  const room = rooms.create('#dev');
  // A member online here, whose account the room remembers.
  const bob = { name: 'bob', rooms: new Set() } as unknown as Session;
  room.add(bob);
  rooms.keep(room, 'bob');
  roomChanged(ctx, { op: 'dropRoom', key: '#dev', idle: true });
  return { rooms, room, bob, offered, members, logged, created: () => created(true) };
}

describe('a room forgotten elsewhere while someone here is in it', () => {
  it('is made again: its members remembered and announced', async () => {
    const t = setup();
    t.created();
    await new Promise((r) => setImmediate(r));
    expect(t.members).toEqual([['#dev', 'bob']]);
    expect(t.offered).toMatchObject([{ type: 'joined', room: '#dev', name: 'bob' }]);
    expect(t.logged).toContain('room_restored');
  });

  it('is left alone when it emptied and was forgotten here before the cluster answered', async () => {
    const t = setup();
    t.room.remove(t.bob);
    t.rooms.drop(t.room);
    t.created();
    await new Promise((r) => setImmediate(r));
    expect(t.members).toEqual([]);
    expect(t.offered).toEqual([]);
    expect(t.logged).not.toContain('room_restored');
  });

  it('leaves the room made again here under the same name alone too', async () => {
    const t = setup();
    t.room.remove(t.bob);
    t.rooms.drop(t.room);
    const again = t.rooms.create('#dev');
    t.rooms.keep(again, 'carol');
    t.created();
    await new Promise((r) => setImmediate(r));
    expect(t.members).toEqual([]);
    expect(t.logged).not.toContain('room_restored');
  });
});
