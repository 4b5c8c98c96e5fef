import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIsoMs, isCanonicalIso, msOfIso } from './iso-time';

/** Year 0000 to 9999: the range toISOString writes with four digits. */
const canonicalRange = fc.integer({ min: Date.parse('0000-01-01T00:00:00.000Z'), max: Date.parse('9999-12-31T23:59:59.999Z') });

/** Canonical times with one character changed: near misses of the fast reading's shape and ranges. */
const nearMiss = fc.tuple(canonicalRange, fc.nat({ max: 23 }), fc.constantFrom(...'0123456789-T:.Z+ 9'.split(''))).map(([ms, at, char]) => {
  const text = new Date(ms).toISOString();
  return text.slice(0, at) + char + text.slice(at + 1);
});

const oddForms = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString().replace('.000Z', 'Z').replace(/\.\d{3}Z$/, 'Z')),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString().replace('Z', '+00:00')),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString().replace('Z', '123Z')),
  fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 35 })).map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T24:00:00.000Z`),
  fc.string({ maxLength: 30 }),
);

describe('canonicalIsoMs', () => {
  it('reads every canonical time as Date.parse does', () => {
    fc.assert(
      fc.property(canonicalRange, (ms) => {
        const text = new Date(ms).toISOString();
        expect(canonicalIsoMs(text)).toBe(ms);
        expect(msOfIso(text)).toBe(Date.parse(text));
      }),
      { numRuns: 5000, seed: 22 },
    );
  });

  it('reads a time only if toISOString writes it back unchanged; msOfIso agrees with Date.parse on anything', () => {
    fc.assert(
      fc.property(fc.oneof(nearMiss, oddForms, fc.date({ noInvalidDate: true }).map((date) => date.toISOString())), (text) => {
        const fast = canonicalIsoMs(text);
        const parsed = Date.parse(text);
        if (!Number.isNaN(fast)) {
          expect(fast).toBe(parsed);
          expect(new Date(fast).toISOString()).toBe(text);
        }
        expect(Object.is(msOfIso(text), parsed)).toBe(true);
        if (!Number.isNaN(parsed)) expect(isCanonicalIso(parsed, text)).toBe(new Date(parsed).toISOString() === text);
      }),
      { numRuns: 5000, seed: 22 },
    );
  });

  it('leaves leap days, month ends and the first year to their calendar', () => {
    expect(canonicalIsoMs('2024-02-29T12:00:00.000Z')).toBe(Date.parse('2024-02-29T12:00:00.000Z'));
    expect(canonicalIsoMs('2023-02-29T12:00:00.000Z')).toBeNaN();
    expect(canonicalIsoMs('1900-02-29T00:00:00.000Z')).toBeNaN();
    expect(canonicalIsoMs('2000-02-29T00:00:00.000Z')).toBe(Date.parse('2000-02-29T00:00:00.000Z'));
    expect(canonicalIsoMs('2026-04-31T00:00:00.000Z')).toBeNaN();
    expect(canonicalIsoMs('0000-01-01T00:00:00.000Z')).toBe(Date.parse('0000-01-01T00:00:00.000Z'));
    expect(canonicalIsoMs('2026-12-06T24:00:00.000Z')).toBeNaN();
    expect(msOfIso('2026-12-06T24:00:00.000Z')).toBe(Date.parse('2026-12-06T24:00:00.000Z'));
  });
});
