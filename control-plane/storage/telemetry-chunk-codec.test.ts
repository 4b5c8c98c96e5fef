import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunk, encodeChunk, type ChunkResult } from './telemetry-chunk-codec';
import { encodeChunkReference } from '../../test/helpers/chunk-encode-reference';

const decoded = (results: ChunkResult[]) => {
  const firstMs = Math.min(...results.map((result) => result.ms));
  const chunk = decodeChunk(encodeChunk(results, firstMs), results.length, firstMs);
  return results.map((_, i) => {
    const latency = chunk.latencyMs[i] ?? Number.NaN;
    return { idx: chunk.idx[i], ms: chunk.ms[i], ts: chunk.oddTimes.get(i) ?? new Date(chunk.ms[i] ?? 0).toISOString(), latencyMs: Number.isNaN(latency) ? null : latency, ok: chunk.ok[i] === 1 };
  });
};

describe('telemetry chunk codec', () => {
  it('reads back every column exactly: positions, times in any order and form, null and fractional latencies, ok', () => {
    const result = fc.record({
      gap: fc.nat({ max: 40 }),
      ms: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      form: fc.constantFrom('ms', 'seconds', 'micros'),
      latencyMs: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1e9 }).map((n) => n / 1000), fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true })),
      ok: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(result, { minLength: 1, maxLength: 600 }), (entries) => {
        let idx = -1;
        const results = entries.map((entry): ChunkResult => {
          idx += entry.gap + 1;
          const iso = new Date(entry.ms).toISOString();
          const ts = entry.form === 'seconds' ? new Date(entry.ms - (entry.ms % 1000)).toISOString().replace('.000Z', 'Z') : entry.form === 'micros' ? iso.replace('Z', '999Z') : iso;
          return { idx, ms: Date.parse(ts), ts, latencyMs: entry.latencyMs, ok: entry.ok };
        });
        expect(decoded(results)).toEqual(results);
      }),
      { numRuns: 200, seed: 22 },
    );
  });

  it('packs a probe on an interval into a few bytes a result, and positions from before they were stored (all 0)', () => {
    const results = Array.from({ length: 500 }, (_, i): ChunkResult => ({ idx: i * 20, ms: 1_780_000_000_000 + i * 1000, ts: new Date(1_780_000_000_000 + i * 1000).toISOString(), latencyMs: 5 + (i % 90), ok: i % 50 !== 0 }));
    expect(encodeChunk(results, 1_780_000_000_000).length).toBeLessThan(500 * 4);
    const legacy = results.slice(0, 3).map((result) => ({ ...result, idx: 0 }));
    expect(decoded(legacy)).toEqual(legacy);
  });

  it('writes the same bytes as the encoder before its fast path, for any results', () => {
    const result = fc.record({
      gap: fc.nat({ max: 300 }),
      ms: fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }),
      form: fc.constantFrom('ms', 'ms', 'seconds', 'micros', 'offset', 'other ms'),
      latencyMs: fc.oneof(fc.constant(null), fc.constant(-0), fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 1e9 }).map((n) => n / 10 ** (n % 5)), fc.double({ noNaN: true })),
      ok: fc.boolean(),
      hint: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(result, { minLength: 1, maxLength: 300 }), (entries) => {
        let idx = -1;
        const results = entries.map((entry): ChunkResult => {
          idx += entry.gap + 1;
          const iso = new Date(entry.ms).toISOString();
          const forms: Record<string, string> = { ms: iso, seconds: iso.replace(/\.\d{3}Z$/, 'Z'), micros: iso.replace('Z', '999Z'), offset: iso.replace('Z', '+00:00'), 'other ms': iso };
          const ts = forms[entry.form] ?? iso;
          // 'other ms': a canonical text with another time beside it (callers never do this; the encoder must still keep the text).
          const result: ChunkResult = { idx, ms: entry.form === 'other ms' ? entry.ms + 1 : Date.parse(ts), ts, latencyMs: entry.latencyMs, ok: entry.ok };
          // The hint as chunksOf gives it: only on a canonical time.
          return entry.hint && entry.form === 'ms' ? { ...result, canonical: true } : result;
        });
        const firstMs = Math.min(...results.map((r) => r.ms));
        expect(encodeChunk(results, firstMs).equals(encodeChunkReference(results, firstMs))).toBe(true);
      }),
      { numRuns: 1000, seed: 22 },
    );
  });
});
