import { describe, expect, it } from 'vitest';
import { Lockout } from '../../src/server/lockout.js';

describe('Lockout', () => {
  it('locks a name on the third consecutive failure for the whole duration, counting down in whole seconds', () => {
    const l = new Lockout(60_000);
    expect(l.fail('alice', 0)).toBe(0);
    expect(l.fail('alice', 1000)).toBe(0);
    expect(l.secondsLeft('alice', 1000)).toBe(0);
    expect(l.fail('alice', 2000)).toBe(60);
    expect(l.secondsLeft('alice', 2000)).toBe(60);
    expect(l.secondsLeft('alice', 2001)).toBe(60);
    expect(l.secondsLeft('alice', 61_001)).toBe(1);
    expect(l.secondsLeft('alice', 62_000)).toBe(0);
    expect(l.secondsLeft('bob', 2000)).toBe(0);
  });

  it('resets the count on a success', () => {
    const l = new Lockout(60_000);
    l.fail('alice', 0);
    l.fail('alice', 0);
    l.succeed('alice');
    expect(l.fail('alice', 0)).toBe(0);
    expect(l.fail('alice', 0)).toBe(0);
    expect(l.fail('alice', 0)).toBe(60);
  });

  it('starts a fresh count once a lock has run out', () => {
    const l = new Lockout(10_000);
    for (let i = 0; i < 3; i++) l.fail('alice', 0);
    expect(l.fail('alice', 10_000)).toBe(0);
    expect(l.fail('alice', 10_001)).toBe(0);
    expect(l.fail('alice', 10_002)).toBe(10);
  });

  it('remembers a bounded number of names, forgetting unlocked ones first', () => {
    const l = new Lockout(60_000, 3, 3);
    for (let i = 0; i < 3; i++) l.fail('locked', 0);
    for (let i = 0; i < 100; i++) l.fail(`n${i}`, 0);
    expect(l.size).toBe(3);
    expect(l.secondsLeft('locked', 0)).toBe(60);
  });
});
