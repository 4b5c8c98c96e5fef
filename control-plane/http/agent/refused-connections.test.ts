import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MAX_HOLD_MS, RefusedConnections } from './refused-connections';

describe('RefusedConnections', () => {
  it('holds a refused connection until its Retry-After, then forgets it; other connections are not held', () => {
    let now = 1_000;
    const refused = new RefusedConnections(() => now);
    const a = new EventEmitter();
    const b = new EventEmitter();
    refused.refuse(a, 500);
    expect(refused.holdMs(a)).toBe(500);
    expect(refused.holdMs(b)).toBe(0);
    now += 499.5;
    expect(refused.holdMs(a)).toBe(1);
    now += 0.5;
    expect(refused.holdMs(a)).toBe(0);
    refused.refuse(a, 10 * MAX_HOLD_MS);
    expect(refused.holdMs(a), 'a hold is bounded').toBe(MAX_HOLD_MS);
  });

  it('wait resolves after the hold, and at once when the connection closes', async () => {
    const refused = new RefusedConnections();
    const a = new EventEmitter();
    refused.refuse(a, 60);
    const started = performance.now();
    await refused.wait(a);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(a.listenerCount('close'), 'no listener left behind').toBe(0);

    const b = new EventEmitter();
    refused.refuse(b, 20_000);
    const waiting = refused.wait(b);
    b.emit('close');
    await waiting;
    expect(b.listenerCount('close')).toBe(0);
  });
});
