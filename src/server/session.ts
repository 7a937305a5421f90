import type { TokenBucket } from '../wire/ratelimit.js';
import type { BlockList } from './blocks.js';
import type { Codec } from './events.js';
import type { Room } from './room.js';

// One connection's session: who it is, how it is heard from, what it speaks. Plain data; the rules in
// rules/ and the hub change it.

/** A connection, as numbered by the shell that owns its socket. */
export type ConnId = number;

export interface Session {
  id: ConnId;
  ip: string;
  /** The unit of per-source limits: the IPv4 address or the IPv6 /64 (see sourceOf). */
  source: string;
  /** `ip:port` (IPv6 in brackets), for logs. */
  addr: string;
  /** Set by a successful hello; undefined until then. */
  name?: string;
  /** How events reach this connection: the protocol its shell speaks (and the version agreed in hello). */
  codec: Codec;
  /** The protocol version agreed in hello; 1 lives in the default room only. */
  version: number;
  /**
   * Said hello with `usersOnce` (version 2): its welcome leaves out the default room's members, which its
   * `room` frame of that room carries anyway (PROTOCOL.md §15.3): a joiner gets the list once, not twice.
   */
  usersOnce?: boolean;
  /**
   * Holds a server administrator's rights: logged in to an administrator account (`parley-server user
   * admin NAME`), or won them with that account's password (oper).
   */
  admin: boolean;
  /**
   * The administrator account `admin` rests on, and its password hash when the rights were won: they end
   * once that hash changes, the account is removed or is no longer an administrator (endLapsedAdmins).
   */
  adminOf?: { key: string; name: string; credential: string };
  /** The rooms this session is a member of. */
  rooms: Set<Room>;
  /**
   * Put in the default room at login (protocol version 2 only; version 1 has no other room). False for the
   * IRC clients of a gateway started with `--irc-no-default-room`: they join channels themselves.
   */
  defaultRoom: boolean;
  connectedAt: number;
  lastHeard: number;
  pingSent: boolean;
  /** The request budget (rate limiting), made at the first request it is charged for; none while limits are off. */
  bucket?: TokenBucket;
  /** Last request other than ping/pong, for the idle timeout. */
  lastActive: number;
  /** Logged in to a registered name. */
  account: boolean;
  /** The newest stored whisper delivered on this connection: an ack may forget up to here, never further. */
  mailUpTo?: number;
  /** The session token of that login, ended when the user quits. */
  token?: string;
  /**
   * The account's password hash when this connection logged in (or changed it): once the store holds
   * another, the password was changed elsewhere and the connection is closed (Accounts.revoked).
   */
  credential?: string;
  /**
   * This connection proved the account's password (logged in, registered or changed it with one), not
   * just a token: only then may it end the account's other sessions without giving the password.
   */
  proven: boolean;
  /**
   * A password check for this connection is running; it continues in loginChecked/registerChecked. Until
   * it ends, the connection's later frames wait in `held` (PROTOCOL.md §4: answers in request order).
   */
  checking: boolean;
  /** How many checks run (a login's password, then its name claim in a cluster); `checking` while > 0. */
  checks: number;
  /** When the running check started, and the time spent on checks so far (not counted by the registration deadline). */
  checkStarted: number;
  checkedMs: number;
  /** Frames that arrived during a check, replayed in order when it ends; made when the first one waits. */
  held?: (() => void)[];
  /** Which session's refs a say or whisper is remembered under (welcome.session; PROTOCOL.md §5.3). */
  refsKey: string;
  /** Logged in to an account whose imported password must be replaced (welcome.change_password). */
  mustChange: boolean;
  blocks: BlockList;
  /**
   * From hello.last, until the login's replay: per room (foldRoom), the newest message id the client already
   * has, so only newer ones are replayed (a reconnect costs bytes in proportion to what was missed).
   */
  lastSeen?: Map<string, number>;
}
