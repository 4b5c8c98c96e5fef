import { describe, expect, it } from 'vitest';
import { isOpen, timeLeft } from './break-glass-time';

describe('break-glass times', () => {
  const now = Date.parse('2026-12-01T10:00:00.000Z');
  it('counts down in minutes and seconds, hours past the first, never below zero', () => {
    expect(timeLeft('2026-12-01T10:12:05.000Z', now)).toBe('12:05');
    expect(timeLeft('2026-12-01T10:00:09.500Z', now)).toBe('0:09');
    expect(timeLeft('2026-12-01T11:02:30.000Z', now)).toBe('1 h 02 min');
    expect(timeLeft('2026-12-01T09:59:00.000Z', now)).toBe('0:00');
  });
  it('keeps following requests that can still change', () => {
    expect(['pending', 'approved', 'active'].every(isOpen)).toBe(true);
    expect(['denied', 'expired', 'revoked'].some(isOpen)).toBe(false);
  });
});
