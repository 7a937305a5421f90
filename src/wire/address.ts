import net from 'node:net';

// Addresses that never leave this machine. The server accepts plaintext only from these (unless told
// otherwise) and the client sends credentials in the clear only to these: traffic on the loopback interface
// cannot be read from the network, only by someone already on the machine.

/** Whether `ip` (as a socket reports it: `127.0.0.1`, `::1`, `::ffff:127.0.0.1`) is a loopback address. */
export function isLoopbackAddress(ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (net.isIPv4(v4)) return v4.startsWith('127.');
  return ip === '::1' || ip === '0:0:0:0:0:0:0:1';
}

/** Whether a host as typed (`localhost`, an IP address) names this machine without a DNS lookup. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}
