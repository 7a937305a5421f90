// Several server addresses for one client, for a cluster (servers sharing one Redis): `host1:port1,host2`
// in the host argument. The client dials the first; when a connection fails or is lost it moves on to
// the next, round and round, so a dead node costs a reconnect, not the session.

/** One address to dial. */
export interface ServerAddress {
  host: string;
  port: number;
}

/**
 * Parse `list` (`host`, `host:port`, `[v6]:port`, comma-separated) with `defaultPort` for entries that
 * name none. Throws an Error whose message says which entry is wrong.
 */
export function parseServerList(list: string, defaultPort: number): ServerAddress[] {
  const out: ServerAddress[] = [];
  for (const raw of list.split(',')) {
    const entry = raw.trim();
    if (entry === '') throw new Error(`"${list}" has an empty address; write host1:port1,host2:port2`);
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(entry);
    // A bare IPv6 address (several colons, no brackets) is one host on the default port.
    const v6 = m === null && entry.split(':').length > 2 ? [entry, entry, undefined] : null;
    const parts = m ?? v6;
    if (parts === null) throw new Error(`"${entry}" is not an address; write host, host:port or [ipv6]:port`);
    const port = parts[2] === undefined ? defaultPort : Number(parts[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`"${entry}": a port is a whole number from 1 to 65535`);
    out.push({ host: parts[1]!, port });
  }
  return out;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatServer(s: ServerAddress): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}
