import { encodeFrame } from '../wire/frame.js';
import { parseClientMessage, type ClientMessage, type Parsed } from '../wire/messages.js';
import type { ChatEvent, Codec } from './events.js';

// The NDJSON edge of the core: one JSON object per line (PROTOCOL.md). Requests are validated here and
// handed to the core as typed requests; events come back and are encoded here.

/** Events as NDJSON frames: the event object itself, one line. */
export const NDJSON: Codec = {
  name: 'ndjson',
  encode: (event: ChatEvent) => encodeFrame(event),
};

/** One NDJSON line from a client as a request, or the error that answers it (see parseClientMessage). */
export function decodeRequest(line: string): Parsed<ClientMessage> {
  return parseClientMessage(line);
}
