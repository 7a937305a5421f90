import type { ChatEvent } from '../../src/tui/core/events.js';
import type { ServerMessage } from '../../src/wire/messages.js';
import { ESCAPE_CORPUS } from './corpus.js';

// A hostile server's frames and hostile chat events: every string field a client shows, filled with the
// escape corpus. For the tests that check what reaches the terminal in either client mode.

const TIME = Date.UTC(2024, 0, 1, 12, 0, 0);

/** Short marker per corpus entry, so a test can tell its lines arrived (e.g. `#3`). */
const tag = (i: number) => `#${i}`;

/** Every server frame that carries text to show, once per corpus entry, to the client named `me`. */
export function hostileFrames(me: string): ServerMessage[] {
  const frames: ServerMessage[] = [];
  Object.values(ESCAPE_CORPUS).forEach((bad, i) => {
    const t = tag(i);
    frames.push(
      { type: 'message', id: 10 * i + 1, from: `m${bad}`, text: `say${t} ${bad}`, time: TIME },
      { type: 'message', id: 10 * i + 2, from: `a${bad}`, text: `act${t} ${bad}`, time: TIME, action: true },
      { type: 'message', id: 10 * i + 3, from: `h${bad}`, text: `old${t} ${bad}`, time: TIME, history: true },
      { type: 'whisper', id: 10 * i + 4, from: `w${bad}`, to: me, text: `psst${t} ${bad}`, time: TIME },
      { type: 'whisper', id: 10 * i + 5, from: `o${bad}`, to: me, text: `late${t} ${bad}`, time: TIME, late: true },
      { type: 'joined', name: `j${bad}`, time: TIME },
      { type: 'left', name: `l${bad}`, reason: 'quit', message: `bye${t} ${bad}`, time: TIME },
      { type: 'renamed', old: `r${bad}`, new: `n${bad}`, time: TIME },
      { type: 'users', users: [me, `u${bad}`] },
      { type: 'error', code: 'no_such_user', message: `err${t} ${bad}`, name: `e${bad}` },
      { type: 'blocks', names: [`b${bad}`] },
      { type: 'seen', users: [{ name: `s${bad}`, online: false, lastSeen: TIME }] },
      { type: 'private_request', from: `p${bad}`, time: TIME },
    );
  });
  return frames;
}

/** The same fields as chat events that never went through the client core (the renderer's own guard). */
export function hostileEvents(me: string): ChatEvent[] {
  const events: ChatEvent[] = [];
  Object.values(ESCAPE_CORPUS).forEach((bad, i) => {
    const t = tag(i);
    events.push(
      { kind: 'message', id: 1000 + i, from: `m${bad}`, text: `say${t} ${bad}`, time: TIME, action: false, own: false, mention: false },
      { kind: 'message', id: 2000 + i, from: `a${bad}`, text: `act${t} ${bad}`, time: TIME, action: true, own: false, mention: false },
      { kind: 'whisper', id: 3000 + i, from: `w${bad}`, to: me, text: `psst${t} ${bad}`, time: TIME, outgoing: false, late: true },
      { kind: 'whisper', id: 4000 + i, from: `d${bad}`, to: me, text: `direct${t} ${bad}`, time: TIME, outgoing: false, direct: true },
      { kind: 'whisper', id: 5000 + i, from: me, to: `x${bad}`, text: `out${t} ${bad}`, time: TIME, outgoing: true, stored: true },
      { kind: 'joined', name: `j${bad}`, time: TIME },
      { kind: 'left', name: `l${bad}`, reason: 'quit', message: `bye${t} ${bad}`, time: TIME },
      { kind: 'renamed', old: `r${bad}`, new: `n${bad}`, time: TIME, self: false },
      { kind: 'users', users: [me, `u${bad}`] },
      { kind: 'error', text: `err${t} ${bad}`, code: `code${bad}` },
      { kind: 'registered', name: `g${bad}` },
      { kind: 'blocks', names: [`b${bad}`] },
      { kind: 'seen', users: [{ name: `s${bad}`, online: false, lastSeen: TIME }] },
      { kind: 'private_request', from: `p${bad}`, time: TIME },
      { kind: 'private', with: `p${bad}`, state: 'closed', detail: `closed${t} ${bad}`, reason: 'stopped', time: TIME },
      { kind: 'help', lines: [`help${t} ${bad}`] },
      { kind: 'status', status: 'reconnecting', detail: `status${t} ${bad}` },
    );
  });
  return events;
}
