import type { ChunkResult } from '../../control-plane/storage/telemetry-chunk-codec';

/**
 * The chunk encoder as it was before its fast path (one pass, no closures, times checked without
 * toISOString): kept for the property test that the fast one writes the same bytes.
 */

const FLAG_NULLS = 1;
const FLAG_RAW_FLOATS = 2;
const FLAG_ODD_TIMES = 4;

class Writer {
  private buffer = new Uint8Array(256);
  length = 0;

  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  byte(value: number): void {
    this.room(1);
    this.buffer[this.length++] = value;
  }

  /** An unsigned integer up to 2^53, seven bits a byte (arithmetic, not 32-bit shifts). */
  varint(value: number): void {
    this.room(8);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  bytes(values: Uint8Array): void {
    this.room(values.length);
    this.buffer.set(values, this.length);
    this.length += values.length;
  }

  done(): Buffer {
    return Buffer.from(this.buffer.buffer, 0, this.length);
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
