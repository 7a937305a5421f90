import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub, type ConnId, type Outbox } from '../../src/server/hub.js';
import { NameList } from '../../src/server/namelist.js';
import { encodeFrame } from '../../src/wire/frame.js';
import { compareNames } from '../../src/wire/names.js';

// A room's member list, kept sorted with its JSON in blocks (issue 15, target 5): a join storm changes the
// list once per joiner and sends each joiner all of it, so a change must not cost JSON-encoding the whole
// list again. Counted in names JSON-encoded, never timed.

afterEach(() => vi.restoreAllMocks());

/** A deterministic shuffle of 0..n-1. */
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let x = seed;
  for (let i = n - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('NameList', () => {
  it('keeps names sorted as compareNames orders them through inserts and removals, and encodes them byte for byte as JSON.stringify', () => {
    const list = new NameList();
    const reference: string[] = [];
    // Mixed case, names that fold alike, lengths that straddle blocks, non-ASCII display names are not names
    // (§11) but the list must not care.
    const names = shuffled(1500, 7).map((i) => (i % 3 === 0 ? `User${i}` : i % 3 === 1 ? `user${i}` : `zé_${i}`));
    for (const [step, name] of names.entries()) {
      list.insert(name);
      reference.push(name);
      if (step % 5 === 4) {
        const gone = reference[(step * 7) % reference.length]!;
        expect(list.remove(gone)).toBe(true);
        reference.splice(reference.indexOf(gone), 1);
      }
      if (step % 97 === 0 || step === names.length - 1) {
        const sorted = [...reference].sort(compareNames);
        expect(list.toArray()).toEqual(sorted);
        expect(list.length).toBe(sorted.length);
        const frame = { type: 'room', room: '#lobby', users: list.toArray(), operators: [] };
        expect(encodeFrame(frame).toString('utf8')).toBe(JSON.stringify({ type: 'room', room: '#lobby', operators: [], users: sorted }) + '\n');
      }
    }
    expect(list.remove('nobody')).toBe(false);
    expect(list.toArray()).toBe(list.toArray()); // one frozen array until a change
    expect(Object.isFrozen(list.toArray())).toBe(true);
    list.clear();
    expect(list.toArray()).toEqual([]);
    expect(encodeFrame({ type: 'users', users: list.toArray() }).toString()).toBe('{"type":"users","users":[]}\n');
  });

  it('a join into a room of 1,000 JSON-encodes a bounded number of names, not the whole room, and the joiner still gets all of them', () => {
    const watched = new Set<ConnId>();
    const got: Buffer[] = [];
    const out: Outbox = {
      send: (conn, frame) => {
        if (watched.has(conn)) got.push(frame);
      },
      close: () => {},
    };
    const hub = new Hub(out, { ratePerSecond: 0, maxConnectionsPerIp: 0 });
    const hello = (id: number, name: string) => {
      hub.connect(id, '10.0.0.1', 40000 + id);
      hub.receive(id, JSON.stringify({ type: 'hello', name, version: 2, grouped: true, usersOnce: true }));
    };
    const members = shuffled(1000, 3).map((i) => `member${i}`);
    for (const [i, name] of members.entries()) hello(i + 1, name);

    let encoded = 0;
    const stringify = JSON.stringify;
    vi.spyOn(JSON, 'stringify').mockImplementation((value: unknown, ...rest: unknown[]) => {
      if (Array.isArray(value)) encoded += value.length;
      else if (value !== null && typeof value === 'object' && Array.isArray((value as { users?: unknown }).users)) encoded += (value as { users: unknown[] }).users.length;
      return (stringify as (...a: unknown[]) => string)(value, ...rest);
    });
    watched.add(5000);
    hello(5000, 'newcomer');
    vi.restoreAllMocks();

    expect(encoded).toBeLessThanOrEqual(300);
    const frames = Buffer.concat(got)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; users?: string[] });
    expect(frames[0]).toMatchObject({ type: 'welcome' });
    expect(frames[1]).toMatchObject({ type: 'room', users: [...members, 'newcomer'].sort(compareNames) });
  });
});
