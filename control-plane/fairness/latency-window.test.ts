import { describe, expect, it } from 'vitest';
import { LatencyWindow } from './latency-window';

describe('LatencyWindow', () => {
  it('answers nearest-rank percentiles of what it holds, null when empty', () => {
    const window = new LatencyWindow(100);
    expect(window.percentile(50)).toBeNull();
    for (let i = 100; i >= 1; i--) window.record(i);
    expect(window.percentile(50)).toBe(50);
    expect(window.percentile(99)).toBe(99);
    expect(window.percentile(100)).toBe(100);
  });

  it('keeps only the most recent values', () => {
    const window = new LatencyWindow(4);
    for (const value of [1000, 1000, 1000, 1, 2, 3, 4]) window.record(value);
    expect(window.percentile(100)).toBe(4);
    expect(window.percentile(25)).toBe(1);
  });
});
