import { encodeFrame } from '../wire/frame.js';
import { parseClientMessage, type ClientMessage, type Parsed } from '../wire/messages.js';
import { foldRoom } from '../wire/rooms.js';
import { isGrouped, ungroup, type ChatEvent, type Codec } from './events.js';

// The NDJSON edge of the core: one JSON object per line (PROTOCOL.md). Requests are validated here and
// handed to the core as typed requests; events come back and are encoded here.

/** A grouped notice as one frame per name, in one buffer (null for none). */
function ungrouped(event: ChatEvent, encode: (e: ChatEvent) => Buffer | null): Buffer | null {
  const parts = ungroup(event).map(encode).filter((b): b is Buffer => b !== null);
  return parts.length === 0 ? null : Buffer.concat(parts);
}

/**
 * `encode` remembering its last event and bytes. Events are never changed once made, so the same object
 * gives the same bytes: the sender's echo of a room message is the frame the room was sent, not a second
 * JSON encoding (the hot path of every message).
 */
function lastOne(encode: (event: ChatEvent) => Buffer | null): (event: ChatEvent) => Buffer | null {
  let last: ChatEvent | undefined;
  let frame: Buffer | null = null;
  return (event) => {
    if (event !== last) {
      frame = encode(event);
      last = event;
    }
    return frame;
  };
}

/**
 * The frame of `{ ...event, ref }` made from the frame of `event`: JSON.stringify puts the added key last,
 * so it is the same bytes with `,"ref":…` before the closing brace. Events that already carry a ref (the
 * spread would replace it in place) and grouped notices (several lines) are encoded whole.
 */
function withRef(encode: (event: ChatEvent) => Buffer | null): (event: ChatEvent, ref: string) => Buffer | null {
  return (event, ref) => {
    if ('ref' in event || isGrouped(event)) return encode({ ...event, ref } as ChatEvent);
    const frame = encode(event);
    if (frame === null) return null;
    // `frame` ends with `}\n`.
    return Buffer.concat([frame.subarray(0, frame.length - 2), Buffer.from(`,"ref":${JSON.stringify(ref)}}\n`)]);
  };
}

const encodeNdjson = lastOne((event) => (isGrouped(event) ? ungrouped(event, encodeFrame) : encodeFrame(event)));

/** Events as NDJSON frames: the event object itself, one line; a grouped notice as one line per name. */
export const NDJSON: Codec = {
  name: 'ndjson',
  encode: encodeNdjson,
  encodeWithRef: withRef(encodeNdjson),
};

const encodeGrouped = lastOne((event) => encodeFrame(event));

/** NDJSON for a client that said hello with `grouped`: a grouped notice is one frame listing every name. */
export const NDJSON_GROUPED: Codec = {
  name: 'ndjson-grouped',
  encode: encodeGrouped,
  encodeWithRef: withRef(encodeGrouped),
};

/**
 * Events as protocol version 1 knows them, for a client that said hello with version 1: it lives in the
 * default room only, so events of other rooms and the room-only events are not shown, `room` fields are
 * left out, and the leave reasons of version 2 become their nearest version-1 reason.
 */
export function ndjsonV1(defaultRoom: string): Codec {
  const lobby = foldRoom(defaultRoom);
  const one = (event: ChatEvent): Buffer | null => {
    if (V2_ONLY.has(event.type)) return null;
    if ('room' in event && event.room !== undefined) {
      if (foldRoom(event.room) !== lobby) return null;
      const { room: _room, ...rest } = event;
      event = rest as ChatEvent;
    }
    if (event.type === 'welcome' && event.rooms !== undefined) {
      const { rooms: _rooms, ...rest } = event;
      event = rest;
    }
    if (event.type === 'left' && (event.reason === 'part' || event.reason === 'banned')) event = { ...event, reason: event.reason === 'part' ? 'quit' : 'kicked' };
    return encodeFrame(event);
  };
  const encode = lastOne((event: ChatEvent) => (isGrouped(event) ? ungrouped(event, one) : one(event)));
  return { name: 'ndjson-v1', encode, encodeWithRef: withRef(encode) };
}

const V2_ONLY = new Set<ChatEvent['type']>(['room', 'rooms', 'topic', 'moderation', 'closed', 'away']);

/** One NDJSON line from a client as a request, or the error that answers it (see parseClientMessage). */
export function decodeRequest(line: string): Parsed<ClientMessage> {
  return parseClientMessage(line);
}
