import type { ServerMessage } from '../wire/messages.js';

// The vocabulary of the chat core. The core decides what happened and to whom; it never builds bytes. A
// protocol shell (NDJSON in ndjson.ts, later IRC) turns each event into its own bytes with a Codec. The
// NDJSON protocol was designed as these events, so its frames carry the same fields one to one; another
// protocol maps them to its own lines (IRC: PRIVMSG, JOIN, PART, NICK, numerics).

/** Everything the core tells a connection: room events, whispers, replies to requests, errors, notices. */
export type ChatEvent = ServerMessage;

/**
 * What happens in a room and goes to its members (`renamed` and `away` go once to everyone sharing a room
 * with that person, and are offered to the bus in each of their rooms): the unit of fan-out, and what a bus between servers
 * observes and injects. Each is encoded once per codec per room, however many members hear it.
 */
export type RoomEvent = Extract<ChatEvent, { type: 'joined' | 'left' | 'message' | 'renamed' | 'topic' | 'moderation' | 'closed' | 'away' }>;

/**
 * One protocol's encoding of events. Encoding must be pure (same event, same bytes): the room encodes
 * an event once per codec and hands the same Buffer to every member that speaks it.
 */
export interface Codec {
  /** For logs and tests, e.g. `ndjson`. */
  readonly name: string;
  /** The bytes for `event` (a whole line, terminator included), or null when this protocol shows nothing for it. */
  encode(event: ChatEvent): Buffer | null;
  /**
   * The bytes for `{ ...event, ref }` (the sender's own copy of what it asked for), when the codec can make
   * them more cheaply than encoding that object; the result must be the same.
   */
  encodeWithRef?(event: ChatEvent, ref: string): Buffer | null;
}

/**
 * Where the room events of this server go to reach other servers (a bus), and where theirs come in (the
 * hub's inject). The core calls publish after it delivered an event locally; publish must not call back
 * into the core synchronously.
 */
export interface RoomBus {
  publish(room: string, event: RoomEvent): void;
}

/** Whether `event` is a grouped notice: a `joined` or `left` listing several people (PROTOCOL.md §15.3.1). */
export function isGrouped(event: ChatEvent): event is Extract<ChatEvent, { type: 'joined' | 'left' }> & { names: string[] } {
  return (event.type === 'joined' || event.type === 'left') && event.names !== undefined;
}

/**
 * A grouped notice as the single notices it stands for, for clients that did not ask for groups; any
 * other event as itself.
 */
export function ungroup(event: ChatEvent): ChatEvent[] {
  if (!isGrouped(event)) return [event];
  const { names, ...one } = event;
  return names.map((name) => ({ ...one, name }));
}
