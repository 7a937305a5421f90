import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, HasherBusy, parseHash, PasswordHasher } from '../../src/server/passwords.js';
import { FAST_SCRYPT } from './helpers.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(FAST_SCRYPT);

  it('stores scrypt$N$r$p$salt$hash with a fresh salt each time and checks it', async () => {
    const a = await hasher.hash('correct horse');
    const b = await hasher.hash('correct horse');
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify('correct horse', a)).toBe(true);
    expect(await hasher.verify('correct horsE', a)).toBe(false);
  });

  it('checks a hash made with other parameters by the parameters stored in it', async () => {
    const old = await new PasswordHasher({ N: 512, r: 4, p: 1 }).hash('pw pw pw pw');
    expect(await hasher.verify('pw pw pw pw', old)).toBe(true);
  });

  it('answers false for a missing user (after hashing against a dummy) and for unreadable hashes', async () => {
    expect(await hasher.verify('anything', null)).toBe(false);
    expect(await hasher.verify('anything', 'plain text')).toBe(false);
    expect(parseHash('scrypt$3$8$1$AAAA$' + 'A'.repeat(44))).toBeNull(); // N not a power of two
    expect(parseHash('scrypt$1073741824$8$1$AAAA$' + 'A'.repeat(44))).toBeNull(); // absurd cost
  });

  it('refuses with HasherBusy when the queue is full instead of piling up work', async () => {
    const tiny = new PasswordHasher(FAST_SCRYPT, 1, 1);
    const results = await Promise.allSettled([tiny.hash('a'), tiny.hash('b'), tiny.hash('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(HasherBusy);
  });

  it('serves waiting sources round-robin: a source that storms does not push another to the back', async () => {
    const h = new PasswordHasher(FAST_SCRYPT, 1, 32, 3);
    const order: string[] = [];
    const run = (source: string, n: number) => h.hash(`pw ${source}${n}`, source).then(() => order.push(`${source}${n}`));
    await Promise.all([run('A', 1), run('A', 2), run('A', 3), run('B', 1), run('B', 2), run('C', 1)]);
    expect(order).toEqual(['A1', 'B1', 'C1', 'A2', 'B2', 'A3']);
  });

  it('refuses a source over its share at once (HasherBusy) while other sources still get in', async () => {
    const h = new PasswordHasher(FAST_SCRYPT, 2, 32, 1);
    const results = await Promise.allSettled([h.verify('x', null, 'A'), h.verify('y', null, 'A'), h.verify('z', null, 'B')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(HasherBusy);
    // Once its hash is done, the source may hash again.
    await expect(h.verify('x', null, 'A')).resolves.toBe(false);
  });

  it('uses the OWASP cost by default (N=2^17, r=8, p=1)', () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 131072, r: 8, p: 1 });
  });
});
