import type { ChunkResult } from '../../control-plane/storage/telemetry-chunk-codec';

/**
 * The chunk encoder as it was before its fast path (one pass, no closures, times checked without
 * toISOString): kept for the property test that the fast one writes the same bytes.
 */

const FLAG_NULLS = 1;
const FLAG_RAW_FLOATS = 2;
const FLAG_ODD_TIMES = 4;

/** Bytes in a plain array: slower than the codec's buffer, and sharing no code with it. */
class Writer {
  private readonly out: number[] = [];

  byte(value: number): void {
    this.out.push(value);
  }

  /** Seven bits a byte, lowest first, the high bit set on all but the last. */
  varint(value: number): void {
    let rest = value;
    for (; rest >= 128; rest = Math.floor(rest / 128)) this.out.push((rest % 128) + 128);
    this.out.push(rest);
  }

  zigzag(value: number): void {
    this.varint(value < 0 ? -2 * value - 1 : 2 * value);
  }

  bytes(values: Uint8Array): void {
    for (const value of values) this.out.push(value);
  }

  done(): Buffer {
    return Buffer.from(this.out);
  }
}

/** The fewest decimals (0 to 3) at which every latency is exact as a safe integer, or null. */
function decimalsOf(latencies: readonly (number | null)[]): number | null {
  for (let decimals = 0; decimals <= 3; decimals++) {
    const scale = 10 ** decimals;
    if (latencies.every((value) => value === null || (Number.isSafeInteger(Math.round(value * scale)) && Math.round(value * scale) / scale === value && !Object.is(value, -0)))) return decimals;
  }
  return null;
}

function bitmap(results: readonly ChunkResult[], bit: (result: ChunkResult) => boolean): Uint8Array {
  const bits = new Uint8Array(Math.ceil(results.length / 8));
  results.forEach((result, i) => {
    if (bit(result)) bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return bits;
}

/** Packs results (in batch order, idx increasing) whose smallest time is `firstMs`. */
export function encodeChunkReference(results: readonly ChunkResult[], firstMs: number): Buffer {
  const latencies = results.map((result) => result.latencyMs);
  const decimals = decimalsOf(latencies);
  const hasNulls = latencies.includes(null);
  const odd = results.flatMap((result, i) => (new Date(result.ms).toISOString() === result.ts ? [] : [i]));
  const out = new Writer();
  out.byte((hasNulls ? FLAG_NULLS : 0) | (decimals === null ? FLAG_RAW_FLOATS : 0) | (odd.length > 0 ? FLAG_ODD_TIMES : 0));
  out.byte(decimals ?? 0);
  let previousIdx = -1;
  for (const result of results) {
    out.zigzag(result.idx - previousIdx - 1);
    previousIdx = result.idx;
  }
  let previousMs = firstMs;
  let previousDelta = 0;
  for (const result of results) {
    const delta = result.ms - previousMs;
    out.zigzag(delta - previousDelta);
    previousMs = result.ms;
    previousDelta = delta;
  }
  out.bytes(bitmap(results, (result) => result.ok));
  if (hasNulls) out.bytes(bitmap(results, (result) => result.latencyMs === null));
  if (decimals === null) {
    const floats = new Float64Array(latencies.map((value) => value ?? 0));
    out.bytes(new Uint8Array(floats.buffer));
  } else {
    const scale = 10 ** decimals;
    let previous = 0;
    for (const value of latencies) {
      if (value === null) continue;
      const scaled = Math.round(value * scale);
      out.zigzag(scaled - previous);
      previous = scaled;
    }
  }
  if (odd.length > 0) {
    out.varint(odd.length);
    for (const i of odd) {
      const text = Buffer.from(results[i]?.ts ?? '', 'utf8');
      out.varint(i);
      out.varint(text.length);
      out.bytes(text);
    }
  }
  return out.done();
}
