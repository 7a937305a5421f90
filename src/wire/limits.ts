// Every limit parley enforces, in one place. PROTOCOL.md §13 documents each one; the server
// takes its defaults from here and tests shrink the timeouts through ServerOptions, never by editing these.

/** The newest protocol version: 2 adds rooms (PROTOCOL.md, "Rooms"). */
export const PROTOCOL_VERSION = 2;
/** Every version a server accepts in `hello`; a version-1 client lives in the default room only. */
export const PROTOCOL_VERSIONS: readonly number[] = [1, 2];

/** Default TCP port of parley-server. */
export const DEFAULT_PORT = 7777;
export const DEFAULT_HOST = '127.0.0.1';

/** Bytes in one frame, excluding its line ending (`\n` or `\r\n`). A longer line is dropped with `frame_too_large`. */
export const MAX_FRAME_BYTES = 8 * 1024;
/**
 * Bytes of one over-long line the server will skip while waiting for its newline. Past this the peer is
 * not sending chat lines at all (a binary protocol, a 1 MiB blob) and the connection is closed.
 */
export const MAX_DISCARD_BYTES = 64 * 1024;

/** Characters (code points) of message text after sanitising. */
export const MAX_TEXT_CHARS = 2000;
/**
 * Code points of one escape sequence (introducer to terminator) the sanitiser removes whole; a longer or
 * unterminated one is not treated as a sequence, so only its ESC or C1 introducer is removed and the
 * text after it is kept (PROTOCOL.md §12).
 */
export const MAX_ESCAPE_CHARS = 256;
/** ZWNJ/ZWJ in a row kept in text; a longer run is cut to this many (no script or emoji needs more). */
export const MAX_JOINER_RUN = 2;
/** Characters in a user name; names are also limited to NAME_PATTERN. */
export const MAX_NAME_CHARS = 32;
/** Characters in a quit reason. */
export const MAX_REASON_CHARS = 200;
/** Characters in a request's `ref`, the client's own tag echoed back on the reply. */
export const MAX_REF_CHARS = 64;

/** Token bucket per connection: a burst of this many requests... */
export const RATE_BURST = 10;
/** ...refilled at this many requests per second. */
export const RATE_PER_SECOND = 5;

/** Bytes queued for one client that it has not read; past this the client is dropped ("send queue exceeded"). */
export const MAX_SEND_QUEUE_BYTES = 1024 * 1024;
/**
 * Backpressure (issue 15): when a client has more than this many bytes queued (beyond what the kernel took),
 * the server stops reading the connections whose requests queued them (the senders), instead of growing
 * the queue until the client is dropped. A client that keeps reading is never dropped for a busy room.
 */
export const SEND_QUEUE_HIGH_WATER_BYTES = 256 * 1024;
/** ...and reads the senders again once that client's queue is down to this many bytes. */
export const SEND_QUEUE_LOW_WATER_BYTES = 64 * 1024;
/**
 * A client whose queue stays above the high-water mark this long (never down to the low-water mark: it
 * reads slower than its rooms talk, or not at all) is dropped ("send queue exceeded"), so one stalled
 * reader holds its rooms' senders for at most this long.
 */
export const SLOW_RECEIVER_MS = 3000;
/**
 * Join and leave notices of a room with at least this many members online on the server are held until
 * the next tick (SERVER_TICK_MS) and grouped (issue 15 target 5, issue 10 item 6; as large IRC networks do
 * for big channels): one `joined` (or `left`) frame listing everyone who came (or went), instead of one
 * frame per person to every member, which costs O(N²) frames when N people join (PROTOCOL.md §15.3.1).
 * Smaller rooms get one notice per person at once.
 */
export const GROUP_NOTICES_MIN_MEMBERS = 50;
/**
 * Names in one grouped notice at most; more make another frame. 1000 names of MAX_NAME_CHARS code points
 * (at most 4 UTF-8 bytes each) stay far under MAX_SERVER_FRAME_BYTES.
 */
export const GROUP_NOTICES_MAX_NAMES = 1000;
/**
 * Frames of one connection handled in one event-loop turn; the rest wait for the next turn (its socket
 * paused meanwhile), so one connection's full read buffer does not hold up everyone else's.
 */
export const MAX_FRAMES_PER_TURN = 64;

/** A connection must send a valid hello within this time. */
export const REGISTRATION_TIMEOUT_MS = 20_000;
/** After this long without hearing from a client the server sends it a ping... */
export const PING_INTERVAL_MS = 30_000;
/** ...and if nothing at all arrives within this further time, the client is dropped (reason "timeout"). */
export const PING_TIMEOUT_MS = 30_000;
/**
 * The server's pings are spread over this much time before PING_INTERVAL_MS (or over a third of a shorter
 * configured interval), by connection (each is pinged after PING_INTERVAL_MS minus its own offset in
 * [0, PING_SPREAD_MS), never later): clients that
 * came together (a join storm) and then only listen fell silent together, and pinging them all in one
 * tick made one turn write to and then read from each of them, a stall for every room's messages in
 * flight (issue 15, target 3: ~1,000 pings and pongs in one second at N = 1,000). The drop after
 * PING_TIMEOUT_MS more is unchanged.
 */
export const PING_SPREAD_MS = 10_000;

/** A client gives up when the server has not welcomed it this long after it started dialling. */
export const WELCOME_TIMEOUT_MS = 10_000;

/**
 * Requests the server remembers per sender by `ref`, so a line resent after a dropped connection is
 * acknowledged again, not relayed twice; and how many senders it remembers (least recently active
 * forgotten first).
 */
export const ACCEPTED_REFS_PER_SENDER = 64;
export const ACCEPTED_REFS_SENDERS = 10_000;

/**
 * Frames of one connection the server holds while a password check of that connection runs (its later
 * requests wait for the answer). The server also stops reading the socket meanwhile, so this is only
 * reached by what was already read; past it the connection is closed.
 */
export const MAX_HELD_FRAMES = 256;

/** Connections from one IP address at once (0 turns the cap off). */
export const MAX_CONNECTIONS_PER_IP = 16;

/**
 * The full-screen client draws at most one frame per this (about 30 a second): a busy room changes the
 * screen hundreds of times a second, and neither eyes nor terminals follow faster. A key after a quiet
 * moment is drawn at once.
 */
export const FRAME_INTERVAL_MS = 33;
/**
 * In a flood, the full-screen client's frames are this far apart (10 a second): when more room lines came
 * since the last frame than the room pane has rows, every line that frame showed scrolled off before
 * anyone could read it, and drawing 30 such frames a second was most of the client's CPU at 1,000 lines
 * a second (issue 15, target 7). Keys are still drawn within FRAME_INTERVAL_MS.
 */
export const FLOOD_FRAME_INTERVAL_MS = 100;
/** Room lines a client keeps in its scrollback. */
export const SCROLLBACK_LINES = 5000;
/**
 * Non-ASCII grapheme clusters whose width in cells the client remembers (a few thousand cover any script's
 * letters and the usual emoji); past it the memory is emptied and starts again, so odd text cannot grow it.
 */
export const MEASURED_CLUSTERS = 4096;
/**
 * ...each of at most this many UTF-16 units: a script's letters and emoji sequences fit, while a cluster of
 * a thousand stacked marks (Zalgo text) is measured each time rather than kept (4096 of those would hold
 * tens of megabytes).
 */
export const MEASURED_CLUSTER_UNITS = 32;
/** Whisper lines the full-screen client keeps; whispers are rarer than room lines. */
export const WHISPER_LINES = 1000;
/** Lines of input history kept for Up/Down. */
export const INPUT_HISTORY_LINES = 200;
/** Characters of one bracketed paste kept; the rest is dropped (a chat line is far shorter). */
export const MAX_PASTE_CHARS = 64 * 1024;
/** The bell rings at most once per this, and desktop notifications come at most once per this (issue 17). */
export const NOTIFY_MIN_INTERVAL_MS = 5000;
/**
 * A bracketed paste whose end marker has not come this long after its last byte is over: a terminal that
 * lost the marker (or a hostile byte stream) cannot take the keyboard.
 */
export const PASTE_IDLE_MS = 300;
/**
 * Lines that follow an Enter within this time came faster than anyone types: a paste from a terminal
 * without bracketed paste. They get the same "Send these N lines?" question.
 */
export const TYPING_BURST_MS = 15;

/**
 * Bytes in one frame a client accepts from the server. Larger than MAX_FRAME_BYTES because a `users` or
 * `welcome` frame lists everyone in the room (10,000 names fit in about 350 KiB).
 */
export const MAX_SERVER_FRAME_BYTES = 1024 * 1024;

// Direct private chat (PROTOCOL.md §10). The server brokers consent and hands out a one-time secret; the two
// clients then talk over their own TCP link with the same framing, text and rate limits as above.

/** How long a private-chat request waits for /allow or /deny before it lapses. */
export const PRIVATE_ASK_TIMEOUT_MS = 60_000;
/** After consent, how long the server waits for the asker to report its listening port. */
export const PRIVATE_SETUP_TIMEOUT_MS = 15_000;
/** After a /deny, how long before the same person may ask the same person again. */
export const PRIVATE_RETRY_AFTER_DENY_MS = 60_000;
/** Private-chat requests one user may have waiting for an answer at once. */
export const MAX_PRIVATE_ASKS = 5;
/** Bytes in the one-time secret and in each handshake nonce (HMAC-SHA256 keys and challenges). */
export const DIRECT_SECRET_BYTES = 32;
/** The listener waits this long for its one authenticated peer; the connector gives up connecting after it too. */
export const DIRECT_CONNECT_TIMEOUT_MS = 15_000;
/** One incoming connection must finish the handshake within this time or is closed. */
export const DIRECT_HANDSHAKE_TIMEOUT_MS = 5_000;
/** Failed handshakes a listener tolerates (port scanners, forged secrets) before it gives up. */
export const DIRECT_MAX_ATTEMPTS = 4;
/** A direct whisper not acknowledged within this time means the link is dead: it is closed and resent via the server. */
export const DIRECT_ACK_TIMEOUT_MS = 10_000;
/**
 * The lowest port a connector dials for a direct chat. The listener's port is an ephemeral one (Linux
 * 32768-60999, Windows and macOS 49152-65535, FreeBSD 10000-65535), so a lower port is not a peer's
 * client but a service (ssh 22, smtp 25, databases 3306/5432/6379, web 80/443/8080) a rogue server aims at.
 * A listener handed a lower port by its system tries again.
 */
export const DIRECT_MIN_PORT = 10_000;
/**
 * Plaintext bytes in one encrypted record of the direct link (PROTOCOL.md §10.3): a 2-byte length says how
 * many, so a receiver holds at most this plus 18 bytes of a record it cannot open yet. Twice MAX_FRAME_BYTES,
 * so every frame fits in one record.
 */
export const MAX_DIRECT_RECORD_BYTES = 16 * 1024;

// Accounts and persistence (issue 4). PROTOCOL.md §13 and OPERATIONS.md document each one.

/** Characters in a password: at least this many... */
export const MIN_PASSWORD_CHARS = 8;
/** ...and at most this many (scrypt's cost does not depend on length, but a frame should stay small). */
export const MAX_PASSWORD_CHARS = 256;
/** Consecutive failed logins for one name before it is locked. */
export const MAX_LOGIN_FAILURES = 3;
/** Default seconds a name stays locked after MAX_LOGIN_FAILURES (`--block-duration`). */
export const DEFAULT_BLOCK_DURATION_S = 60;
/** Names whose failures the server remembers at once; the oldest unlocked entries are forgotten first. */
export const MAX_LOCKOUT_ENTRIES = 10_000;
/** A session token resumes a login for this long after it was issued. */
export const SESSION_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
/** Password hashes computed at once (each takes 128 MiB with the default scrypt cost)... */
export const MAX_CONCURRENT_HASHES = 2;
/** ...and logins waiting for one; past this a login is refused with `busy`. */
export const MAX_QUEUED_HASHES = 32;
/** Default room messages replayed on join (`--history`), and the most an operator may ask for. */
export const DEFAULT_HISTORY = 50;
export const MAX_HISTORY = 1000;
/**
 * Rooms whose newest history lines the server keeps in memory for the next join or login (a join storm
 * reads the database once, not once per joiner); the least recently replayed room is forgotten past it, so
 * 10,000 rooms replayed once each cost at most this many rooms × `--history` lines of memory.
 */
export const HISTORY_CACHE_ROOMS = 64;
/**
 * A room's history is cut back to `--history` lines once it has grown by this many since it last was (after
 * the commit that brought it there), besides the maintenance every MAINTENANCE_EVERY_MS: a busy room's table
 * stays small (a room at 40,000 lines a second used to pile up 400,000 rows between two maintenances, and
 * their one DELETE held the event loop for about half a second), and no prune deletes many more rows than this.
 */
export const HISTORY_PRUNE_ROWS = 1000;
/** Whispers stored for one offline user; past this the sender is told the mailbox is full. */
export const MAX_OFFLINE_PER_USER = 100;
/** Names one user may block. */
export const MAX_BLOCKS = 500;
/** Entries in one `seen` reply (/whoelse, /whoelsesince). */
export const MAX_SEEN_ENTRIES = 1000;

// Timeouts of the programs themselves (not of the protocol), here so every wait has a name and a home.

/** How often the server runs its timers (registration deadline, keepalive, private-chat lapses). */
export const SERVER_TICK_MS = 1000;
/**
 * Longest the server holds queued frames to batch them: after a flush that took T ms (writing to many
 * sockets), the next waits about T ms, never more than this, so frames share one write() per client.
 */
export const MAX_FLUSH_DELAY_MS = 10;
/**
 * How long server.log lines wait in memory before one write() takes them all: a chat of 100 messages a
 * second then costs the disk ten writes a second, not a hundred. The crash handler and shutdown write what
 * waits at once; only a kill -9 or a power cut loses the last LOG_FLUSH_MS of log lines (never chat data:
 * history and accounts are in the database).
 */
export const LOG_FLUSH_MS = 100;
/** ...or before they pass this many bytes, whichever comes first (the console's lines too). */
export const LOG_FLUSH_BYTES = 64 * 1024;
/**
 * How long the server's console lines (a connection came, went) wait before one write() takes them all. The
 * console is written synchronously (a file, a pipe or a terminal), and Node accepts one connection per
 * event-loop turn, so a join storm of 1,000 clients paid 1,000 write() calls for its `connect` lines alone.
 */
export const CONSOLE_FLUSH_MS = 100;
/** How often the server prunes history and expires session tokens. */
export const MAINTENANCE_EVERY_MS = 10_000;
/**
 * How often the server looks whether it has gone quiet after its heap grew (src/server/idlegc.ts). V8 keeps
 * its young generation at the size a burst grew it to (up to 32 MiB) and old space's garbage until its next
 * full collection, which a quiet server never reaches: one collection once the server is quiet gives both back
 * (bench/README.md, "Target 4").
 */
export const IDLE_GC_CHECK_MS = 3000;
/**
 * Checks in a row the server must have been quiet for before that collection: 2 × 3 s outlasts V8's 5 s
 * window of allocation throughput, which must show a low rate for the collection to shrink the young generation.
 */
export const IDLE_GC_QUIET_CHECKS = 2;
/**
 * A collection that gave back less than IDLE_GC_GROWTH_BYTES (V8 shrinks its young generation only when it
 * sees a low allocation rate, and may still count the burst) is tried again after twice as many quiet checks,
 * this many times at most (after 12, 24 and 48 s of quiet); then only new growth counts.
 */
export const IDLE_GC_RETRIES = 3;
/**
 * Quiet: no message relayed in a check's interval and the event loop busy at most this share of it
 * (performance.eventLoopUtilization). Busy alone is not enough: a room of 10 msg/s keeps the loop under 5%.
 */
export const IDLE_GC_MAX_BUSY = 0.05;
/** The heap must have grown by this many bytes since the last collection (or the start) to be worth one. */
export const IDLE_GC_GROWTH_BYTES = 4 * 1024 * 1024;
/** A connection the server closes gets this long to read its last frames before it is cut. */
export const CLOSE_GRACE_MS = 2000;
/** On shutdown, peers that ignore the notice are cut after this... */
export const SHUTDOWN_GRACE_MS = 500;
/** ...and the process exits after this at the latest. */
export const SHUTDOWN_DEADLINE_MS = 1000;
/** Pending connections the kernel queues for the server (the bench's join storm needs a deep queue). */
export const LISTEN_BACKLOG = 4096;
/** After /quit the client waits this long for the server to close the connection. */
export const QUIT_WAIT_MS = 2000;
/** The client's wait before each reconnect attempt; the last step repeats. */
export const RECONNECT_BACKOFF_MS: readonly number[] = [500, 1000, 2000, 4000, 8000, 15000, 30000];
/** A login answered `busy` is asked again after each of these waits (within the registration deadline). */
export const BUSY_RETRY_MS: readonly number[] = [250, 500, 1000, 2000, 4000];
/** Characters of a session token the server will read (tokens are 43). */
export const MAX_TOKEN_CHARS = 128;

// Cluster mode (`--redis URL`, issue 16). PROTOCOL.md ("Cluster") documents each one.

/** How often a node renews its presence key and its users in Redis, and looks for nodes that died. */
export const CLUSTER_HEARTBEAT_MS = 5_000;
/**
 * Lifetime of a node's presence key. A node that stops renewing it (killed, cut off from Redis) is dead
 * once it lapses: the others then drop its users (with `left`, reason lost) at their next heartbeat, so
 * within NODE_TTL_MS + CLUSTER_HEARTBEAT_MS = 20 s, inside the 30 s the issue allows.
 */
export const NODE_TTL_MS = 15_000;
/** Longest one XREAD waits for new stream entries before it asks again (it returns at once when some arrive). */
export const STREAM_BLOCK_MS = 2_000;
/** Stream entries read per XREAD. */
export const STREAM_READ_COUNT = 500;
/** Approximate length the cluster's event streams are trimmed to (XADD MAXLEN ~): a node away longer than this many events re-reads presence instead. */
export const STREAM_MAX_LEN = 100_000;
/**
 * Entries of the cluster's journal of shared state (`parley:state`) past which a node snapshots its replica
 * into Redis and trims the journal behind it (cluster/snapshot.ts); a node that starts reads at most about
 * this many entries after loading the snapshot.
 */
export const STATE_JOURNAL_MAX = 10_000;
/** A snapshot of the shared state is written at most this often (each costs a dump of every account and room). */
export const STATE_SNAPSHOT_INTERVAL_MS = 60_000;
/**
 * How long a node holds the right to snapshot and trim the journal (`parley:snapshot:lock`): it lets go when
 * its round is done; one that died or stalled loses it by this TTL, and its late writes are then refused
 * (the write checks the lock is still its own, and moves the snapshot and the trim mark only forward).
 */
export const STATE_KEEPER_LOCK_MS = 60_000;
/** Times the journal may be trimmed past a node's start while it loads the snapshot and journal, before the load gives up. */
export const STATE_LOAD_ATTEMPTS = 5;
/**
 * Event-loop turns a node waits for a moment when none of its scripted changes is on its way (so its replica
 * holds every journal entry up to its position) before it skips taking a snapshot this round.
 */
export const STATE_CAPTURE_TURNS = 100;
/** Longest wait between attempts to reconnect to Redis (the first retries are quicker). */
export const REDIS_RETRY_MAX_MS = 2_000;
/** A Redis command not answered within this is failed (the node then refuses what needed it). */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;
/**
 * Room events a server keeps in memory, in order, while Redis does not answer (sent and unanswered when it
 * went away), to publish when it is back; past this the oldest are dropped, and the sender of a room line
 * among them gets `server_error` (it may not have been sent). Bounds the memory an outage can take.
 */
export const CLUSTER_MAX_PENDING = 10_000;
/**
 * Message and whisper ids (and sequenced lines' tokens) a server remembers to drop a copy of one it has
 * handled: a batch sent again after its reply was lost comes within seconds of the first.
 */
export const CLUSTER_SEEN_IDS = 100_000;
/** Message ids a server takes from Redis at a time (INCRBY on `parley:ids`); the next block is fetched when half is used. */
export const CLUSTER_ID_BLOCK = 10_000;
/** Nodes not heard from for this long are left out of `parley-server cluster status`. */
export const CLUSTER_FORGET_NODE_MS = 24 * 3600 * 1000;
/**
 * How long Redis remembers that a session token was rotated (its key `parley:rotated:HASH`), so a second
 * resume with it on another node is refused even before that node's replica has the rotation: far longer
 * than the journal takes to reach a live node (milliseconds; at worst a Redis outage's catch-up).
 */
export const ROTATION_CLAIM_TTL_MS = 24 * 3600 * 1000;
/**
 * Longest a login or resume on one server waits for its replica to apply the journal up to where Redis has
 * it, so an account registered, a password changed or a token issued on another server a moment before is
 * seen (the journal takes milliseconds on a live cluster). Past it, with Redis slow or away, the login is
 * answered from the replica as it is.
 */
export const CLUSTER_CATCH_UP_MS = 2_000;

// The IRC gateway (`--irc-port`, issue 14). Its flood control, send-queue cap, registration deadline and
// keepalive are the ones above (RATE_BURST, RATE_PER_SECOND, MAX_SEND_QUEUE_BYTES, REGISTRATION_TIMEOUT_MS,
// PING_INTERVAL_MS, PING_TIMEOUT_MS); only what IRC itself fixes is new here.

/** Bytes of one IRC line without its tags, CR LF included (RFC 1459 §2.3; advertised as LINELEN). */
export const IRC_LINE_BYTES = 512;
/** Bytes of the tags part of a line, `@` and the space included (IRCv3 message-tags: 4094 client + 4097 server = 8191). */
export const IRC_TAG_BYTES = 8191;
/**
 * Bytes of tag data a client may send, without the `@` and the space (IRCv3 message-tags: more is answered
 * ERR_INPUTTOOLONG and the line dropped).
 */
export const IRC_CLIENT_TAG_BYTES = 4094;
/**
 * Lines an IRC client may have waiting behind the flood limit. IRC clients expect a fast sender to be
 * slowed down ("fake lag"), not to have lines dropped as the JSON port does; past this many waiting lines
 * the sender is not a person and is disconnected ("Excess Flood", as ngIRCd and Ergo say).
 */
export const IRC_MAX_QUEUED_LINES = 100;
/**
 * Departures (a quit, or the nick left by a rename) of the gateway's IRC clients that WHOWAS remembers,
 * newest first; older ones are forgotten (RFC 2812 §3.6.3 lets a server keep as few as it likes).
 */
export const IRC_WHOWAS_ENTRIES = 200;

// Abuse that one source cannot win (issue 10). A "source" is one IPv4 address, or one IPv6 /64 (what a
// single host or home line is normally given), so hopping addresses inside a prefix gains nothing.
// `--no-rate-limit` (benchmarks) turns off the churn and frame limits below; lockout, hashing fairness,
// password-attempt and storage limits stay on whatever the flag.

/** Consecutive failed logins for one name from one source before that pair is locked (see MAX_LOGIN_FAILURES). */
export const MAX_LOGIN_FAILURES_PER_SOURCE = MAX_LOGIN_FAILURES;
/** Password attempts (logins and registrations) one source may make at once... */
export const PASSWORD_ATTEMPT_BURST = 6;
/** ...then this many per minute: an owner's typos fit, a guessing loop is slowed to a crawl. */
export const PASSWORD_ATTEMPTS_PER_MINUTE = 6;
/** Password hashes one source may have running or queued at once; more gets `busy`. */
export const MAX_HASHES_PER_SOURCE = 1;
/** Accounts one source may register per day (a rolling 24 h window). */
export const MAX_REGISTRATIONS_PER_SOURCE_PER_DAY = 5;
/** New connections one source may open at once, then per second (ssh-chat and Ergo use a few per second). */
export const CONNECT_BURST = 20;
export const CONNECTS_PER_SECOND = 2;
/** `hello` frames one source may send at once, then per second (the client's busy retries fit in the burst). */
export const HELLO_BURST = 20;
export const HELLOS_PER_SECOND = 2;
/**
 * Join and leave notices the room sends per second after a burst; past it, notices are held back and the
 * room gets one `users` frame with the whole list instead, at most once a second.
 */
export const PRESENCE_BURST = 30;
export const PRESENCE_PER_SECOND = 10;
/** Private-chat requests one user may receive from one asker (by name and by source) per window... */
export const PRIVATE_ASKS_PER_PAIR = 3;
/** ...and from everyone together: past this, new requests to that user are refused for the window. */
export const PRIVATE_ASKS_PER_TARGET = 10;
export const PRIVATE_ASK_WINDOW_MS = 60_000;
/**
 * Per-connection frame budget, paid by every line read (blank lines, pings and malformed frames too):
 * a burst, then a rate. Past it the server stops reading that connection until the debt is paid.
 */
export const FRAME_BURST = 100;
export const FRAMES_PER_SECOND = 30;
/** The same budget in bytes read. */
export const BYTE_BURST = 256 * 1024;
export const BYTES_PER_SECOND = 64 * 1024;
/** The longest one pause may be: debt beyond this much refill is forgiven (one chunk can hold 64 Ki blank lines). */
export const MAX_THROTTLE_MS = 10_000;
/** Bytes of stored offline whispers one sender (by name, and by source address) may have waiting across all mailboxes... */
export const MAX_OFFLINE_BYTES_PER_SENDER = 1024 * 1024;
/** ...and all senders together on one server. */
export const MAX_OFFLINE_BYTES_TOTAL = 64 * 1024 * 1024;
/** Below this much free space on the database's disk, new stored data (accounts, offline whispers, history) is refused. */
export const MIN_FREE_DISK_BYTES = 64 * 1024 * 1024;
/** How often free disk space is measured (fs.statfs). */
export const DISK_CHECK_EVERY_MS = 5000;
/** How long a database write waits for a lock held by another process before it fails. */
export const DB_BUSY_TIMEOUT_MS = 20;
/** After a write failed on a lock, writes fail at once for this long instead of waiting again. */
export const DB_RETRY_AFTER_BUSY_MS = 1000;
/** Sources whose counters the server remembers per limit; the least recently seen are forgotten first. */
export const MAX_TRACKED_SOURCES = 10_000;

// Rooms (issue 13). PROTOCOL.md ("Rooms") documents each one.

/** The room every connection enters on hello unless the server is started with `--default-room`. */
export const DEFAULT_ROOM = '#lobby';
/** Characters of a room name after its `#`; names use the same alphabet as user names (ROOM_PATTERN). */
export const MAX_ROOM_NAME_CHARS = 32;
/** Rooms one person may be in at once; past it `/join` is refused with `too_many_rooms`. */
export const MAX_ROOMS_PER_USER = 50;
/** Rooms one server keeps at once (empty rooms with a topic or operators count); past it `room_limit`. */
export const MAX_ROOMS = 10_000;
/** Characters of a room topic after sanitising; a longer topic is refused with `text_too_long`. */
export const MAX_TOPIC_CHARS = 300;
/**
 * Characters of an away message after sanitising (`/away TEXT`); a longer one is refused with
 * `text_too_long`. IRC servers advertise theirs as AWAYLEN, commonly 200 to 390.
 */
export const MAX_AWAY_CHARS = 200;
/**
 * Senders an away person's server remembers having told their away message, per away period; past it the
 * oldest is forgotten (and would be told once more). Bounds memory against a flood of new names.
 */
export const MAX_AWAY_TOLD = 1000;
/** Bans one room holds (expired ones do not count); past it `/ban` is refused with `too_many_bans`. */
export const MAX_BANS_PER_ROOM = 1000;
/** Longest ban or mute given with a duration (one year); longer means "until lifted": give no duration. */
export const MAX_SANCTION_SECONDS = 365 * 24 * 3600;

// TLS (issue 10). README ("Running on a network") explains them.

/** Days a server's own self-signed certificate is valid. Clients pin its key, so this only bounds tools that check dates. */
export const SELF_SIGNED_VALID_DAYS = 20 * 365;
/**
 * How long a server that finds the self-signed key made by another server starting at the same moment (the
 * servers of a cluster started together from one directory) waits for that server's certificate beside it.
 */
export const SELF_SIGNED_WAIT_MS = 5_000;
/** A TLS handshake (server side, from its first byte) must finish within this time or the connection is closed. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * The largest single write the server makes to a TLS socket: one TLS record's plaintext (2^14 bytes, RFC 8446
 * §5.1). Node's TLS socket keeps buffers sized by the largest write it was given (bench/README.md, "The
 * floor": a bare tls.Server kept ~83 KiB per idle client after one 40,000-byte write, ~71 KiB after the same
 * bytes in writes of this size), so a larger frame batch (a long history replay, a big room's member list)
 * goes out in pieces of at most this many bytes.
 */
export const TLS_WRITE_MAX_BYTES = 16_384;
