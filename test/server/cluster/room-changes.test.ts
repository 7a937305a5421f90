import { describe, expect, it } from 'vitest';
import { roomChangesBetween } from '../../../src/server/cluster/snapshot.js';
import type { StoredRoom } from '../../../src/server/store.js';

// What a server's rooms in memory must follow when its replica is reloaded from a snapshot (it was away
// while the journal was trimmed past it): the difference between the rooms before and after, as the room
// changes the journal would have carried. Pure: no Redis.

function room(key: string, o: Partial<StoredRoom> = {}): StoredRoom {
  return { key, name: key, topic: '', locked: false, operators: [], bans: [], mutes: [], members: [], ...o };
}

describe('roomChangesBetween', () => {
  it('drops what went, adds what came, and sets each field of the rooms there after', () => {
    const before = [
      room('#gone', { operators: [{ key: 'ann', name: 'Ann' }] }),
      room('#dev', {
        topic: 'old',
        topicBy: 'ann',
        topicTime: 1,
        operators: [
          { key: 'ann', name: 'Ann' },
          { key: 'bob', name: 'Bob' },
        ],
        bans: [{ key: 'eve', name: 'eve', by: 'ann' }],
        mutes: [{ key: 'carl' }, { key: 'dan', until: 9 }],
        members: ['ann', 'bob'],
      }),
    ];
    const after = [
      room('#dev', {
        topic: 'new',
        topicBy: 'bob',
        topicTime: 2,
        locked: true,
        operators: [{ key: 'bob', name: 'Bob' }],
        bans: [{ key: 'fay', name: 'fay', by: 'bob', until: 5 }],
        mutes: [{ key: 'dan', until: 9 }],
        members: ['bob', 'gus'],
      }),
      room('#new', { operators: [{ key: 'gus', name: 'Gus' }] }),
    ];
    expect(roomChangesBetween(before, after)).toEqual([
      { op: 'dropRoom', key: '#gone' },
      { op: 'setTopic', room: '#dev', topic: 'new', by: 'bob', time: 2 },
      { op: 'setLocked', room: '#dev', locked: true },
      { op: 'dropOperator', room: '#dev', key: 'ann' },
      { op: 'addOperator', room: '#dev', key: 'bob', name: 'Bob' },
      { op: 'dropBan', room: '#dev', key: 'eve' },
      { op: 'addBan', room: '#dev', ban: { key: 'fay', name: 'fay', by: 'bob', until: 5 } },
      { op: 'dropMute', room: '#dev', key: 'carl' },
      { op: 'addMute', room: '#dev', key: 'dan', until: 9 },
      { op: 'dropMember', room: '#dev', key: 'ann' },
      { op: 'addMember', room: '#dev', key: 'bob' },
      { op: 'addMember', room: '#dev', key: 'gus' },
      { op: 'addRoom', key: '#new', name: '#new', created: 0 },
      { op: 'setTopic', room: '#new', topic: '', by: undefined, time: undefined },
      { op: 'setLocked', room: '#new', locked: false },
      { op: 'addOperator', room: '#new', key: 'gus', name: 'Gus' },
    ]);
  });

  it('reads each operator, ban and mute a bounded number of times, however many a room has (linear, not quadratic)', () => {
    // 3,000 of each before, 3,000 after (half of them new): every read of an entry's key is counted.
    const n = 3000;
    let reads = 0;
    const counted = <T extends object>(key: string, rest: T): T & { key: string } =>
      Object.defineProperty({ ...rest }, 'key', {
        enumerable: true,
        get() {
          reads++;
          return key;
        },
      }) as T & { key: string };
    const side = (from: number) => ({
      operators: Array.from({ length: n }, (_, i) => counted(`u${from + i}`, { name: `U${from + i}` })),
      bans: Array.from({ length: n }, (_, i) => counted(`u${from + i}`, { name: `u${from + i}`, by: 'op' })),
      mutes: Array.from({ length: n }, (_, i) => counted(`u${from + i}`, {})),
    });
    const changes = roomChangesBetween([room('#big', side(0))], [room('#big', side(n / 2))]);
    const dropped = (op: string) => changes.filter((c) => c.op === op).map((c) => (c as { key: string }).key);
    const firstHalf = Array.from({ length: n / 2 }, (_, i) => `u${i}`);
    expect(dropped('dropOperator')).toEqual(firstHalf);
    expect(dropped('dropBan')).toEqual(firstHalf);
    expect(dropped('dropMute')).toEqual(firstHalf);
    expect(changes.filter((c) => c.op === 'addOperator' || c.op === 'addBan' || c.op === 'addMute')).toHaveLength(3 * n);
    // Each entry's key is read a few times (a set of the keys after, the look-up, the change); quadratic
    // look-ups read the keys after once for each key before: n * n per list.
    expect(reads).toBeLessThanOrEqual(3 * 2 * n * 4);
  });
});
