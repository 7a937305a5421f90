// Every Redis key parley uses, in one place, under one prefix so a Redis shared with other programs is
// safe (and `redis-cli --scan --pattern 'parley:*'` shows all of it).

const P = 'parley:';

export const keys = {
  /** Stream: the room's events (messages, joins, leaves, renames), read by every node. */
  events: `${P}events`,
  /** Stream: what one node must act on (whispers to its users, sessions to close). */
  inbox: (node: string) => `${P}inbox:${node}`,
  /** String with a TTL: the node is alive while it exists (JSON NodeInfo). */
  node: (node: string) => `${P}node:${node}`,
  /** Prefix of node keys, for the name-claim script. */
  nodePrefix: `${P}node:`,
  /** Hash with a TTL: the users on one node, folded name -> display name. */
  users: (node: string) => `${P}users:${node}`,
  /** Sorted set: every node that ever beat, scored by its last heartbeat (ms), for `cluster status`. */
  nodes: `${P}nodes`,
  /** String: which node/connection holds a name (folded), claimed by script. */
  name: (key: string) => `${P}name:${key}`,
  /** Stream: the journal of shared state (accounts, sessions, offline whispers, blocks, rooms), trimmed behind `snapshot`. */
  state: `${P}state`,
  /**
   * Hash: the replica's shared tables (`data`, Store.dumpShared) and the journal position they cover (`pos`),
   * when and by which node they were taken (`time`, `node`), and the journal's lower bound since its last trim (`trimmed`).
   */
  snapshot: `${P}snapshot`,
  /** String with a TTL: the node snapshotting and trimming the journal now (one at a time). */
  snapshotLock: `${P}snapshot:lock`,
  /** Hash: registered names (folded) -> the node that registered them; the arbiter when two nodes race. */
  accounts: `${P}accounts`,
  /** Hash: rooms (folded) -> display name; the arbiter when two nodes create the same room at once. */
  rooms: `${P}rooms`,
  /** String with a TTL: a session token (its SHA-256) was rotated, by the node it names; set NX by script. */
  rotated: (tokenHash: string) => `${P}rotated:${tokenHash}`,
  /** Counter: room lines are numbered from it one by one (in stream order), whisper ids handed out from it in blocks: unique across nodes. */
  ids: `${P}ids`,
} as const;
