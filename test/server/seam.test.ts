import { describe, expect, it } from 'vitest';
import { Hub, LOBBY } from '../../src/server/hub.js';
import type { ChatEvent, Codec, RoomEvent } from '../../src/server/events.js';
import { NDJSON } from '../../src/server/ndjson.js';

// The seam the core offers a second protocol shell and a bus between servers (see the top of hub.ts).

/** Raw bytes per connection, whatever the codec. */
class Wire {
  readonly bytes = new Map<number, string[]>();
  readonly buffers = new Set<Buffer>();
  send(id: number, frame: Buffer) {
    this.buffers.add(frame);
    (this.bytes.get(id) ?? this.bytes.set(id, []).get(id)!).push(frame.toString());
  }
  close() {}
  take(id: number): string[] {
    const b = this.bytes.get(id) ?? [];
    this.bytes.set(id, []);
    return b;
  }
}

/** A toy line protocol, counting how often it encodes; it shows nothing for pings. */
function lineCodec(): Codec & { calls: number } {
  const codec = {
    name: 'line',
    calls: 0,
    encode(e: ChatEvent): Buffer | null {
      codec.calls++;
      if (e.type === 'message') return Buffer.from(`<${e.from}> ${e.text}\n`);
      if (e.type === 'joined') return Buffer.from(`* ${e.name} joined\n`);
      if (e.type === 'welcome') return Buffer.from(`welcome ${e.name}\n`);
      return null;
    },
  };
  return codec;
}

describe('the core with two protocols attached', () => {
  it('encodes each room event once per protocol and gives every member its own protocol', () => {
    const wire = new Wire();
    const hub = new Hub(wire, { ratePerSecond: 0 });
    const line = lineCodec();
    hub.connect(1, '10.0.0.1', 1, NDJSON);
    hub.connect(2, '10.0.0.2', 2, line);
    hub.connect(3, '10.0.0.3', 3, line);
    hub.connect(4, '10.0.0.4', 4);
    hub.handle(1, { type: 'hello', name: 'alice', version: 1 });
    hub.handle(2, { type: 'hello', name: 'bob', version: 1 });
    hub.handle(3, { type: 'hello', name: 'carol', version: 1 });
    hub.receive(4, '{"type":"hello","name":"dave","version":1}');
    for (const id of [1, 2, 3, 4]) wire.take(id);
    line.calls = 0;
    const before = wire.buffers.size;

    hub.handle(1, { type: 'say', text: 'hi all' });

    expect(wire.take(2)).toEqual(['<alice> hi all\n']);
    expect(wire.take(3)).toEqual(['<alice> hi all\n']);
    expect(JSON.parse(wire.take(4)[0]!)).toMatchObject({ type: 'message', from: 'alice', text: 'hi all' });
    expect(line.calls).toBe(1);
    // One buffer per protocol for the room; the sender's echo (no ref) is the room's NDJSON buffer itself.
    expect(wire.buffers.size - before).toBe(2);
  });

  it('a room line is one NDJSON frame with its fields in the order the wire has always had (id last), a /me and a notice too', () => {
    const wire = new Wire();
    const hub = new Hub(wire, { ratePerSecond: 0, clock: () => 1_700_000_000_000 });
    hub.connect(1, '10.0.0.1', 1);
    hub.connect(2, '10.0.0.2', 2);
    hub.receive(1, '{"type":"hello","name":"alice","version":2}');
    hub.receive(2, '{"type":"hello","name":"bob","version":2}');
    for (const id of [1, 2]) wire.take(id);
    hub.receive(1, '{"type":"say","text":"hi"}');
    hub.receive(1, '{"type":"say","text":"waves","action":true}');
    hub.receive(1, '{"type":"say","text":"build is green","notice":true,"ref":"n1"}');
    expect(wire.take(2)).toEqual([
      '{"type":"message","room":"#lobby","from":"alice","text":"hi","time":1700000000000,"id":1}\n',
      '{"type":"message","room":"#lobby","from":"alice","text":"waves","time":1700000000000,"action":true,"id":2}\n',
      '{"type":"message","room":"#lobby","from":"alice","text":"build is green","time":1700000000000,"notice":true,"id":3}\n',
    ]);
    expect(wire.take(1)[2]).toBe('{"type":"message","room":"#lobby","from":"alice","text":"build is green","time":1700000000000,"notice":true,"id":3,"ref":"n1"}\n');
  });

  it('a protocol that shows nothing for an event sends nothing', () => {
    const wire = new Wire();
    const hub = new Hub(wire, { ratePerSecond: 0 });
    hub.connect(1, '10.0.0.1', 1, lineCodec());
    hub.handle(1, { type: 'hello', name: 'bob', version: 1 });
    wire.take(1);
    hub.handle(1, { type: 'list' });
    expect(wire.take(1)).toEqual([]);
  });
});

describe('the core with a bus between servers', () => {
  function setup() {
    const wire = new Wire();
    const published: [string, RoomEvent][] = [];
    const hub = new Hub(wire, { ratePerSecond: 0, bus: { publish: (room, e) => published.push([room, e]) } });
    hub.connect(1, '10.0.0.1', 1);
    hub.connect(2, '10.0.0.2', 2);
    hub.receive(1, '{"type":"hello","name":"alice","version":1}');
    hub.receive(2, '{"type":"hello","name":"bob","version":1}');
    wire.take(1);
    wire.take(2);
    return { wire, hub, published };
  }

  it('sees every room event once, after local delivery, with its room', () => {
    const { hub, published } = setup();
    hub.receive(1, '{"type":"say","text":"hello"}');
    hub.receive(2, '{"type":"nick","name":"robert"}');
    hub.disconnect(1, 'lost');
    expect(published.map(([room, e]) => `${room} ${e.type}`)).toEqual([`${LOBBY} joined`, `${LOBBY} joined`, `${LOBBY} message`, `${LOBBY} renamed`, `${LOBBY} left`]);
  });

  it('delivers an injected event to local members, except those blocking its author, without publishing it again', () => {
    const { hub, wire, published } = setup();
    hub.receive(2, '{"type":"block","name":"alice"}');
    wire.take(2);
    const count = published.length;
    hub.inject(LOBBY, { type: 'message', id: 99, from: 'zoe', text: 'from afar', time: 1 });
    hub.inject(LOBBY, { type: 'message', id: 100, from: 'alice', text: 'alice elsewhere', time: 2 });
    hub.inject('#nowhere', { type: 'message', id: 101, from: 'zoe', text: 'lost', time: 3 });
    expect(wire.take(1).map((l) => JSON.parse(l).text)).toEqual(['from afar', 'alice elsewhere']);
    expect(wire.take(2).map((l) => JSON.parse(l).text)).toEqual(['from afar']);
    expect(published.length).toBe(count);
  });
});
