import { describe, expect, it } from 'vitest';
import { UnknownUsernameFailures } from './unknown-username-failures';

describe('UnknownUsernameFailures', () => {
  it('counts failures per key and holds a lock until its time', () => {
    const failures = new UnknownUsernameFailures();
    expect(failures.recordFailure('a|ghost')).toBe(1);
    expect(failures.recordFailure('a|ghost')).toBe(2);
    expect(failures.recordFailure('b|ghost')).toBe(1);
    failures.lock('a|ghost', 1_000);
    expect(failures.lockedUntil('a|ghost', 999)).toBe(1_000);
    expect(failures.lockedUntil('a|ghost', 1_000)).toBeNull();
    expect(failures.lockedUntil('b|ghost', 0)).toBeNull();
  });

  it('stays bounded, forgetting the least recently failed first', () => {
    const failures = new UnknownUsernameFailures(2);
    failures.recordFailure('one');
    failures.recordFailure('two');
    failures.recordFailure('one');
    failures.recordFailure('three');
    expect(failures.recordFailure('two')).toBe(1);
    expect(failures.recordFailure('three')).toBe(2);
  });

  it('answers an aggregate at most once a minute per address, and drains the rest', () => {
    const failures = new UnknownUsernameFailures();
    const at = (seconds: number) => new Date(Date.UTC(2026, 11, 5, 10, 0, seconds));
    expect(failures.note('a', 'x1', at(0))).toMatchObject({ address: 'a', attempts: 1, usernames: ['x1'] });
    for (let i = 2; i <= 8; i++) expect(failures.note('a', `x${i}`, at(i))).toBeNull();
    expect(failures.note('b', 'y', at(9))).toMatchObject({ address: 'b', attempts: 1 });
    const later = failures.note('a', 'x9', at(61));
    expect(later).toMatchObject({ address: 'a', attempts: 8, since: at(2).toISOString() });
    expect(later?.usernames).toEqual(['x2', 'x3', 'x4', 'x5', 'x6']);
    failures.note('a', 'x10', at(62));
    expect(failures.drain()).toEqual([expect.objectContaining({ address: 'a', attempts: 1, usernames: ['x10'] })]);
    expect(failures.drain()).toEqual([]);
  });
});
