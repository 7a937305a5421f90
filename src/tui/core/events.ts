import type { LeaveReason, ModerationAction, PrivateEndReason, SeenEntry, SessionInfo } from '../../wire/messages.js';

// What a person sees happen, independent of how it is drawn. Line mode prints each event as a line (or as
// JSON with --json); the full-screen client folds them into its panes. Every string here has been
// sanitised by the client core, whatever the server sent.

/** `refused`: the server refused our name on a reconnect and retrying cannot help; /nick NEW tries again. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'refused' | 'disconnected';

/**
 * `room` on room events (message, joined, left, users, topic, moderation): set only while the user is in more
 * than one room, so one-room output is unchanged (issue 13); line mode prints it as a prefix (`#dev <alice> hi`).
 * `asked` (left, users, topic, moderation): the answer to our own request (`/topic #dev` typed in #lobby), which
 * the full screen also shows in the room on screen.
 */
export type ChatEvent =
  /**
   * `account`: logged in to a registered name; `blocked`: the names this user blocks (empty for most);
   * `again`: a reconnect of this session (the room says so in one line, not the whole greeting).
   * `rooms` (protocol version 2): the rooms the server put us in, the first one current; `users` are its members.
   */
  | { kind: 'welcome'; name: string; users: string[]; motd: string; server: string; account: boolean; blocked: string[]; away?: string[]; again?: true; rooms?: string[] }
  /**
   * A room message. With `ref` it is the server's acceptance of the `pending` line with that ref (our own
   * message, now sent to the room). `history`: replayed from before we joined, not live.
   */
  | { kind: 'message'; id: number; from: string; text: string; time: number; action: boolean; own: boolean; mention: boolean; ref?: string; history?: boolean; room?: string }
  /**
   * `late`: sent to us while we were offline, delivered at login; `time` is when it was sent.
   * `stored` (outgoing only): the recipient is offline; the server keeps it for their next login.
   * `direct`: carried over the direct link, never seen by the server (its id is then the link's own count).
   */
  | {
      kind: 'whisper';
      id: number;
      from: string;
      to: string;
      text: string;
      time: number;
      outgoing: boolean;
      ref?: string;
      late?: boolean;
      stored?: boolean;
      direct?: boolean;
      /** (outgoing only) the recipient is away with this message ("" for none): said once per away period. */
      away?: string;
    }
  /** `others`: more people who joined at the same time (a busy room's grouped notice), shown on one line. */
  | { kind: 'joined'; name: string; time: number; room?: string; others?: string[] }
  | { kind: 'left'; name: string; reason: LeaveReason; message?: string; time: number; room?: string; by?: string; asked?: true; others?: string[] }
  | { kind: 'renamed'; old: string; new: string; time: number; self: boolean }
  /** The answer to /list; `away`: which of `users` are away; `update`: the server's word on who is in the current room (after /block or /unblock), no answer to anything. */
  | { kind: 'users'; users: string[]; away?: string[]; room?: string; update?: true; asked?: true }
  /** `name` went away (with `message`, when given) or came back (issue 17); `self`: that is us. */
  | { kind: 'away'; name: string; away: boolean; message?: string; time: number; self: boolean }
  // Rooms (protocol version 2, issue 13).
  /**
   * We are in `room` now (after /join); `current`: it is the current room. `login`: one of the rooms the welcome
   * put us in (the full screen only, which keeps each room's members; line mode shows nothing for those).
   * `locked`: only operators may change the topic.
   */
  | { kind: 'room'; room: string; users: string[]; away?: string[]; operators: string[]; topic?: string; locked?: boolean; current: boolean; login?: boolean }
  /**
   * We left `room` (/part, kicked, banned, closed); `current`: the room that is current now, if any. `reason`,
   * `by`, `message`: those of our own `left` from it, when that is how we left.
   */
  | { kind: 'parted'; room: string; current?: string; reason?: LeaveReason; by?: string; message?: string }
  /** Reply to /rooms. */
  | { kind: 'rooms'; rooms: { room: string; users: number; topic?: string }[] }
  | { kind: 'topic'; topic: string; by?: string; time?: number; room?: string; asked?: true }
  | { kind: 'moderation'; action: ModerationAction; by: string; name?: string; seconds?: number; reason?: string; time: number; room?: string; asked?: true }
  /** /window: `room` is the current room now. */
  | { kind: 'window'; room: string }
  | { kind: 'help'; lines: string[] }
  /** A line typed while it cannot be sent yet (disconnected, or paced); `ref` matches the later echo. */
  | { kind: 'pending'; ref: string; text: string; to?: string; action: boolean }
  /** `code` is the server's error code when it sent one (`not_delivered`, `locked` with `seconds`, ...). */
  | { kind: 'error'; text: string; code?: string; ref?: string; seconds?: number }
  | { kind: 'status'; status: ConnectionStatus; detail: string }
  | { kind: 'shutdown'; reason: string }
  // Accounts and presence (issue 4).
  /** The current name is now an account; from now on it needs this password. */
  | { kind: 'registered'; name: string }
  /** `by` invites `name` to `room` (`self`: we invited them; else we are invited). */
  | { kind: 'invited'; room: string; by: string; name: string; time: number; self: boolean }
  /** Reply to /whoelse (no `since`) or /whoelsesince. Entries that are not online carry `lastSeen`. */
  | { kind: 'seen'; users: SeenEntry[]; since?: number }
  /** The names we block, after /block or /unblock (also the reply to a bare /block). */
  | { kind: 'blocks'; names: string[] }
  /** Our account's logins (reply to /sessions, and to /logout with `ended`: how many it ended). */
  | { kind: 'sessions'; sessions: SessionInfo[]; ended?: number }
  /** /password worked: `ended` logins ended; this one goes on with a new token. */
  | { kind: 'password_changed'; ended: number }
  /**
   * The server ended this session for good and the client will not reconnect: `replaced` (the same
   * account logged in elsewhere), `idle` (--idle-timeout) or `revoked` (the password was changed or the
   * account removed elsewhere: the token is void).
   */
  | { kind: 'signed_out'; reason: 'replaced' | 'idle' | 'revoked'; text: string }
  /** /search TEXT in the full-screen client: find TEXT in the room's scrollback. */
  | { kind: 'search'; query: string }
  /**
   * `from` asks for a direct private chat: offer /allow NAME or /deny NAME (a prompt in the TUI). `host`: the
   * address allowing would connect to (theirs as the server sees it); absent when the server did not say.
   * `refused`: why the client will not connect to `host` (PROTOCOL.md §10.5), said before the user answers.
   */
  | { kind: 'private_request'; from: string; time: number; host?: string; refused?: string }
  /** A step in the life of a direct private chat with `with`; `detail` is the line to show. */
  | { kind: 'private'; with: string; state: PrivateState; detail: string; reason?: PrivateEndReason; time: number };

/**
 * asked: we asked them; allowed: we consented, waiting for details; connecting: setting up the link;
 * open: whispers to them go direct; closed: over (or never started), whispers go via the server.
 */
export type PrivateState = 'asked' | 'allowed' | 'connecting' | 'open' | 'closed';

export type ChatEventKind = ChatEvent['kind'];

export { LEAVE_WORDS } from '../../wire/messages.js';

/** Longest list of names one grouped notice shows before "and N others". */
const GROUP_NAMES_SHOWN = 5;

/**
 * Who a (possibly grouped) join or leave notice is about, with the verb's number, as words: "ann has",
 * "ann and bob have", "ann, bob, cy, dee, eve and 45 others have".
 */
export function whoHave(name: string, others: readonly string[] = []): string {
  const all = [name, ...others];
  if (all.length === 1) return `${name} has`;
  if (all.length <= GROUP_NAMES_SHOWN) return `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]} have`;
  return `${all.slice(0, GROUP_NAMES_SHOWN).join(', ')} and ${all.length - GROUP_NAMES_SHOWN} others have`;
}
