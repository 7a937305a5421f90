import { describe, expect, it } from 'vitest';
import { addressScope, dialRefusal } from '../../src/wire/dial.js';

// The rule of where a direct-chat connector dials (PROTOCOL.md §10.5), case by case.

describe('addressScope', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::2', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unusable'],
    ['224.0.0.1', 'unusable'],
    ['255.255.255.255', 'unusable'],
    ['::', 'unusable'],
    ['ff02::1', 'unusable'],
    ['203.0.113.5', 'public'],
    ['2001:db8::5', 'public'],
    ['::ffff:198.51.100.7', 'public'],
  ])('%s is %s', (ip, scope) => {
    expect(addressScope(ip)).toBe(scope);
  });

  it('is undefined for anything but an IP literal', () => {
    for (const h of ['evil.example', 'localhost', '127.1', '', '1.2.3.4:80']) expect(addressScope(h)).toBeUndefined();
  });
});

describe('dialRefusal', () => {
  const PUBLIC_SERVER = '198.51.100.1';
  it('lets through what an honest server can have seen', () => {
    expect(dialRefusal('203.0.113.5', 40000, PUBLIC_SERVER)).toBeNull(); // a peer on the internet
    expect(dialRefusal('2001:db8::5', 40000, PUBLIC_SERVER)).toBeNull(); // over IPv6 (a dual-stack server)
    expect(dialRefusal('198.51.100.1', 40000, PUBLIC_SERVER)).toBeNull(); // a peer on the server's own machine
    expect(dialRefusal('127.0.0.1', 40000, '127.0.0.1')).toBeNull(); // everyone on this machine
    expect(dialRefusal('192.168.1.20', 40000, '192.168.1.2')).toBeNull(); // a server on the LAN
    expect(dialRefusal('10.0.0.7', 40000, '::ffff:127.0.0.1')).toBeNull(); // a local server seeing the LAN
    expect(dialRefusal('203.0.113.5', 10000, PUBLIC_SERVER)).toBeNull();
    expect(dialRefusal('203.0.113.5', 65535, PUBLIC_SERVER)).toBeNull();
  });

  it('refuses this machine, this LAN or link-local addresses when the server is on the internet', () => {
    expect(dialRefusal('127.0.0.1', 40000, PUBLIC_SERVER)).toBe('127.0.0.1 is this machine, but the server is not on this machine');
    expect(dialRefusal('::1', 40000, '192.168.1.2')).toBe('::1 is this machine, but the server is not on this machine');
    expect(dialRefusal('::ffff:127.0.0.1', 40000, PUBLIC_SERVER)).toMatch(/is this machine/);
    expect(dialRefusal('192.168.1.1', 40000, PUBLIC_SERVER)).toBe('192.168.1.1 is a private-network address, but the server is reached over the internet');
    expect(dialRefusal('fd00::1', 40000, '2001:db8::1')).toMatch(/private-network address/);
    expect(dialRefusal('169.254.169.254', 40000, '127.0.0.1')).toMatch(/link-local/); // the cloud metadata service
    expect(dialRefusal('127.0.0.1', 40000, undefined)).toMatch(/is this machine/); // server address unknown: assume elsewhere
  });

  it('refuses addresses nobody listens on, host names and service ports', () => {
    expect(dialRefusal('0.0.0.0', 40000, '127.0.0.1')).toBe('0.0.0.0 is not an address a peer can listen on');
    expect(dialRefusal('239.1.1.1', 40000, '127.0.0.1')).toMatch(/not an address a peer can listen on/);
    expect(dialRefusal('255.255.255.255', 40000, '127.0.0.1')).toMatch(/not an address a peer can listen on/);
    expect(dialRefusal('evil.example', 40000, '127.0.0.1')).toBe('"evil.example" is not an IP address');
    for (const port of [0, 22, 25, 80, 443, 3306, 5432, 6379, 8080, 9999]) {
      expect(dialRefusal('203.0.113.5', port, PUBLIC_SERVER)).toBe(`port ${port} is not one a client listens on (10000-65535)`);
    }
    expect(dialRefusal('203.0.113.5', 65536, PUBLIC_SERVER)).toMatch(/not one a client listens on/);
  });
});
