import { isCanonicalIso } from './iso-time';

/**
 * The body of a telemetry chunk: the results of one test in one batch (and one time window),
 * columns packed one after another, so the chunk's row and index entries are shared by all of them.
 *
 * - positions in the batch (idx): the first, then each gap minus one, zigzag (usually 0: one byte;
 *   rows from before positions were stored all have 0);
 * - times (ms since the epoch): the first as an offset from the chunk's first_ms, then
 *   delta-of-delta (Gorilla, Pelkonen et al. 2015), zigzag varints: probes on an interval cost a byte;
 * - ok: a bitmap; latency nulls: a bitmap, only when some latency is null;
 * - latencies: when every one is exact at 0 to 3 decimals, scaled integers as zigzag varint deltas;
 *   otherwise raw float64;
 * - times that are not in canonical form (`new Date(ms).toISOString()`: other precision than
 *   milliseconds) are kept as sent, by position, so a result reads back exactly as it was stored.
 */

export interface ChunkResult {
  idx: number;
  ms: number;
  /** The time as sent. */
  ts: string;
  latencyMs: number | null;
  ok: boolean;
  /** Set (by chunksOf) when `ts` is known to be `new Date(ms).toISOString()`: the encoder then need not check. */
  canonical?: boolean;
}

const FLAG_NULLS = 1;
const FLAG_RAW_FLOATS = 2;
const FLAG_ODD_TIMES = 4;

const okBit = (result: ChunkResult) => result.ok;
const nullBit = (result: ChunkResult) => result.latencyMs === null;

class Writer {
  private buffer: Uint8Array;
  length = 0;

  constructor(size = 256) {
    this.buffer = new Uint8Array(size);
  }

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

  /** One bit a result, the first result in the lowest bit of the first byte. */
  bitmap(results: readonly ChunkResult[], bit: (result: ChunkResult) => boolean): void {
    const bytes = Math.ceil(results.length / 8);
    this.room(bytes);
    this.buffer.fill(0, this.length, this.length + bytes);
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      if (result === undefined || !bit(result)) continue;
      const at = this.length + (i >> 3);
      this.buffer[at] = (this.buffer[at] ?? 0) | (1 << (i & 7));
    }
    this.length += bytes;
  }

  done(): Buffer {
    return Buffer.from(this.buffer.buffer, 0, this.length);
  }
}

class Reader {
  at = 0;
  constructor(private readonly buffer: Uint8Array) {}

  byte(): number {
    const value = this.buffer[this.at++];
    if (value === undefined) throw new Error('telemetry chunk ends early');
    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const next = this.byte();
      value += (next & 0x7f) * scale;
      if (next < 0x80) return value;
      scale *= 0x80;
    }
  }

  /** Steps over `n` varints without reading their values. */
  skipVarints(n: number): void {
    for (let left = n; left > 0; ) if (this.byte() < 0x80) left--;
  }

  zigzag(): number {
    const value = this.varint();
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  bytes(length: number): Uint8Array {
    const value = this.buffer.subarray(this.at, this.at + length);
    if (value.length !== length) throw new Error('telemetry chunk ends early');
    this.at += length;
    return value;
  }
}

/** Whether every latency is exact at `decimals` decimals as a safe integer. */
function exactAt(results: readonly ChunkResult[], decimals: number): boolean {
  const scale = 10 ** decimals;
  for (let i = 0; i < results.length; i++) {
    const value = results[i]?.latencyMs ?? null;
    if (value === null) continue;
    const scaled = Math.round(value * scale);
    if (!Number.isSafeInteger(scaled) || scaled / scale !== value || Object.is(value, -0)) return false;
  }
  return true;
}

/** The fewest decimals (0 to 3) at which every latency is exact as a safe integer, or null. */
function decimalsOf(results: readonly ChunkResult[]): number | null {
  for (let decimals = 0; decimals <= 3; decimals++) if (exactAt(results, decimals)) return decimals;
  return null;
}

const bitAt = (bits: Uint8Array, i: number): boolean => ((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;

/**
 * Packs results (in batch order, idx increasing) whose smallest time is `firstMs`. The writer
 * thread's hot path: plain loops into one buffer (no per-result arrays or closures).
 */
export function encodeChunk(results: readonly ChunkResult[], firstMs: number): Buffer {
  const count = results.length;
  const decimals = decimalsOf(results);
  let hasNulls = false;
  const odd: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = results[i];
    if (result === undefined) continue;
    if (result.latencyMs === null) hasNulls = true;
    if (result.canonical !== true && !isCanonicalIso(result.ms, result.ts)) odd.push(i);
  }
  const out = new Writer(16 + count * 4);
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
  out.bitmap(results, okBit);
  if (hasNulls) out.bitmap(results, nullBit);
  if (decimals === null) {
    const floats = new Float64Array(count);
    for (let i = 0; i < count; i++) floats[i] = results[i]?.latencyMs ?? 0;
    out.bytes(new Uint8Array(floats.buffer));
  } else {
    const scale = 10 ** decimals;
    let previous = 0;
    for (const result of results) {
      const value = result.latencyMs;
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

/** The columns of a chunk, unpacked: `ts` only where a time is not canonical (see encodeChunk). */
export interface DecodedChunk {
  idx: Float64Array;
  ms: Float64Array;
  ok: Uint8Array;
  /** NaN where the latency is null. */
  latencyMs: Float64Array;
  oddTimes: Map<number, string>;
}

export function decodeChunk(body: Uint8Array, count: number, firstMs: number): DecodedChunk {
  const input = new Reader(body);
  const { flags, decimals } = readHeader(input);
  const idx = new Float64Array(count);
  readPositions(input, count, idx);
  const ms = new Float64Array(count);
  readTimes(input, count, firstMs, ms);
  const bitmaps = readBitmaps(input, flags, count);
  const ok = new Uint8Array(count);
  for (let i = 0; i < count; i++) ok[i] = bitAt(bitmaps.ok, i) ? 1 : 0;
  const latencyMs = new Float64Array(count);
  readLatencies(input, flags, decimals, count, bitmaps.nulls, latencyMs);
  const oddTimes = new Map<number, string>();
  if ((flags & FLAG_ODD_TIMES) !== 0) {
    const n = input.varint();
    for (let k = 0; k < n; k++) {
      const i = input.varint();
      const length = input.varint();
      oddTimes.set(i, Buffer.from(input.bytes(length)).toString('utf8'));
    }
  }
  return { idx, ms, ok, latencyMs, oddTimes };
}

/** A test's counts and answered latencies, gathered chunk by chunk (see tallyChunk). */
export class ChunkTally {
  results = 0;
  failures = 0;
  private values = new Float64Array(1024);
  private answered = 0;

  /** The answered latencies so far, in no set order (a view, valid until the next tallyChunk). */
  latencies(): Float64Array {
    return this.values.subarray(0, this.answered);
  }

  addLatency(value: number): void {
    if (this.answered === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.answered++] = value;
  }
}

// Scratch columns for tallyChunk: a summary reads hundreds of chunks, one at a time, on one thread.
let scratchMs = new Float64Array(512);
let scratchLatency = new Float64Array(512);

/**
 * Adds a chunk's results with times in [fromMs, toMs] to `tally`: what a summary needs, with no
 * per-chunk arrays made and no times read when the whole chunk (firstMs..lastMs) is in range.
 * Answers how many results it added.
 */
export function tallyChunk(body: Uint8Array, count: number, firstMs: number, lastMs: number, fromMs: number, toMs: number, tally: ChunkTally): number {
  if (scratchMs.length < count) {
    scratchMs = new Float64Array(count);
    scratchLatency = new Float64Array(count);
  }
  const input = new Reader(body);
  const { flags, decimals } = readHeader(input);
  input.skipVarints(count);
  const whole = firstMs >= fromMs && lastMs <= toMs;
  if (whole) input.skipVarints(count);
  else readTimes(input, count, firstMs, scratchMs);
  const { ok, nulls } = readBitmaps(input, flags, count);
  readLatencies(input, flags, decimals, count, nulls, scratchLatency);
  let added = 0;
  for (let i = 0; i < count; i++) {
    if (!whole) {
      const ms = scratchMs[i] ?? 0;
      if (ms < fromMs || ms > toMs) continue;
    }
    added++;
    if (!bitAt(ok, i)) tally.failures++;
    if (nulls === null || !bitAt(nulls, i)) tally.addLatency(scratchLatency[i] ?? 0);
  }
  tally.results += added;
  return added;
}

function readHeader(input: Reader): { flags: number; decimals: number } {
  const flags = input.byte();
  return { flags, decimals: input.byte() };
}

function readPositions(input: Reader, count: number, into: Float64Array): void {
  let previousIdx = -1;
  for (let i = 0; i < count; i++) {
    previousIdx += input.zigzag() + 1;
    into[i] = previousIdx;
  }
}

function readTimes(input: Reader, count: number, firstMs: number, into: Float64Array): void {
  let previousMs = firstMs;
  let previousDelta = 0;
  for (let i = 0; i < count; i++) {
    previousDelta += input.zigzag();
    previousMs += previousDelta;
    into[i] = previousMs;
  }
}

function readBitmaps(input: Reader, flags: number, count: number): { ok: Uint8Array; nulls: Uint8Array | null } {
  const bytes = Math.ceil(count / 8);
  const ok = input.bytes(bytes);
  return { ok, nulls: (flags & FLAG_NULLS) !== 0 ? input.bytes(bytes) : null };
}

/** The latency column into `into` (NaN where null). */
function readLatencies(input: Reader, flags: number, decimals: number, count: number, nulls: Uint8Array | null, into: Float64Array): void {
  if ((flags & FLAG_RAW_FLOATS) !== 0) {
    const raw = input.bytes(count * 8);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) into[i] = nulls !== null && bitAt(nulls, i) ? Number.NaN : view.getFloat64(i * 8, true);
    return;
  }
  const scale = 10 ** decimals;
  let previous = 0;
  for (let i = 0; i < count; i++) {
    if (nulls !== null && bitAt(nulls, i)) {
      into[i] = Number.NaN;
      continue;
    }
    previous += input.zigzag();
    into[i] = previous / scale;
  }
}
