import net from 'node:net';
import { DIRECT_MIN_PORT } from './limits.js';

// Where a client agrees to dial for a direct private chat (PROTOCOL.md §10.5). The server hands the
// connector an address and port; a rogue server could name anything. The client cannot prove the address
// is the asker's, but it can refuse every address the server could not honestly have seen from where the
// client stands: its own machine when the server is elsewhere, a private network the client does not share
// with the server, addresses no host has, and ports that are not a client's ephemeral listening port.

/** The kinds of address that matter for the rule; `public` is everything else. */
export type AddressScope = 'loopback' | 'private' | 'link-local' | 'unusable' | 'public';

const SCOPES = new Map<AddressScope, net.BlockList>();
function ranges(scope: AddressScope, v4: [string, number][], v6: [string, number][]): void {
  const list = new net.BlockList();
  for (const [a, p] of v4) list.addSubnet(a, p, 'ipv4');
  for (const [a, p] of v6) list.addSubnet(a, p, 'ipv6');
  SCOPES.set(scope, list);
}
// RFC 6890 special-purpose registries. `unusable`: this-network, multicast, reserved and broadcast (RFC 1112,
// RFC 6890), IPv6 unspecified and multicast (RFC 4291): no peer listens there.
ranges('unusable', [['0.0.0.0', 8], ['224.0.0.0', 4], ['240.0.0.0', 4]], [['::', 128], ['ff00::', 8]]);
ranges('loopback', [['127.0.0.0', 8]], [['::1', 128]]);
// Link-local addresses need the interface (zone) they belong to, which a server cannot hand over.
ranges('link-local', [['169.254.0.0', 16]], [['fe80::', 10]]);
// RFC 1918, shared address space (RFC 6598, carrier-grade NAT and overlay VPNs), unique local (RFC 4193).
ranges('private', [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10]], [['fc00::', 7]]);

/** The scope of an IP literal (IPv4-mapped IPv6 is judged as its IPv4 address); undefined if not an IP literal. */
export function addressScope(ip: string): AddressScope | undefined {
  const bare = ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  const family = net.isIP(bare);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [scope, list] of SCOPES) if (list.check(bare, type)) return scope;
  return 'public';
}

/**
 * Why the client must not dial `host:port` for a direct chat, given `server`: the server's address as this
 * client's own socket sees it (its remote address). Null when the target is plausible. The rules:
 * - an IP literal only (no DNS lookup a server could aim), and one some host can listen on;
 * - loopback only when the server is itself on loopback (else "127.0.0.1" names this machine, not the peer's);
 * - a private or shared range only when the server is reached over loopback or a private range too (a server
 *   on the internet cannot have seen a peer on this client's LAN: that address names another network);
 * - never link-local (meaningless without the interface it belongs to);
 * - a port of at least DIRECT_MIN_PORT: the peer's client listens on an ephemeral port, never on a service's.
 */
export function dialRefusal(host: string, port: number, server: string | undefined): string | null {
  const scope = addressScope(host);
  if (scope === undefined) return `"${host}" is not an IP address`;
  if (!Number.isInteger(port) || port < DIRECT_MIN_PORT || port > 65535) {
    return `port ${port} is not one a client listens on (${DIRECT_MIN_PORT}-65535)`;
  }
  if (scope === 'unusable') return `${host} is not an address a peer can listen on`;
  if (scope === 'link-local') return `${host} is a link-local address, which cannot be reached without knowing its interface`;
  const from = server === undefined ? undefined : addressScope(server);
  if (scope === 'loopback' && from !== 'loopback') return `${host} is this machine, but the server is not on this machine`;
  if (scope === 'private' && from !== 'loopback' && from !== 'private') return `${host} is a private-network address, but the server is reached over the internet`;
  return null;
}
