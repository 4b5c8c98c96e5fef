/**
 * A tenant's ingest traffic second by second for the last hour, on this replica: units offered
 * (every take, admitted or not, retries included: that is what the bucket saw), how many takes
 * (batches) carried them, and units admitted and shed. A ring of one slot per second: a slot is
 * reused when its second comes round again an hour later, so memory is fixed per tenant and
 * recording is O(1). Seconds with no traffic read as zeros.
 */
export interface SecondSample {
  /** Unix second. */
  second: number;
  offered_units: number;
  offered_takes: number;
  admitted_units: number;
  shed_units: number;
}

export const HISTORY_SECONDS = 3600;

const empty = (second: number): SecondSample => ({ second, offered_units: 0, offered_takes: 0, admitted_units: 0, shed_units: 0 });

/**
 * Five typed arrays of one slot per second (72 KB per tenant at an hour): a slot's `second` says
 * which second it holds, so a stale one reads as zeros and is emptied when written again.
 */
export class OfferedHistory {
  private readonly seconds: Uint32Array;
  private readonly offeredUnits: Uint32Array;
  private readonly offeredTakes: Uint32Array;
  private readonly admittedUnits: Uint32Array;
  private readonly shedUnits: Uint32Array;

  constructor(readonly capacity: number = HISTORY_SECONDS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.seconds = new Uint32Array(capacity);
    this.offeredUnits = new Uint32Array(capacity);
    this.offeredTakes = new Uint32Array(capacity);
    this.admittedUnits = new Uint32Array(capacity);
    this.shedUnits = new Uint32Array(capacity);
  }

  private index(second: number): number {
    return ((second % this.capacity) + this.capacity) % this.capacity;
  }

  /** The slot of `nowMs`'s second, emptied first if it holds an older second. */
  private slot(nowMs: number): number {
    // Stored as second + 1, so an untouched slot (0) never matches a real second.
    const second = Math.floor(nowMs / 1000);
    const index = this.index(second);
    if (this.seconds[index] !== second + 1) {
      this.seconds[index] = second + 1;
      this.offeredUnits[index] = 0;
      this.offeredTakes[index] = 0;
      this.admittedUnits[index] = 0;
      this.shedUnits[index] = 0;
    }
    return index;
  }

  offer(nowMs: number, units: number): void {
    const index = this.slot(nowMs);
    this.offeredUnits[index] = (this.offeredUnits[index] ?? 0) + units;
    this.offeredTakes[index] = (this.offeredTakes[index] ?? 0) + 1;
  }

  admitted(nowMs: number, units: number): void {
    const index = this.slot(nowMs);
    this.admittedUnits[index] = (this.admittedUnits[index] ?? 0) + units;
  }

  shed(nowMs: number, units: number): void {
    const index = this.slot(nowMs);
    this.shedUnits[index] = (this.shedUnits[index] ?? 0) + units;
  }

  /** The last `seconds` seconds up to and including `nowMs`'s, oldest first, one sample per second. */
  window(nowMs: number, seconds: number = this.capacity): SecondSample[] {
    const last = Math.floor(nowMs / 1000);
    const count = Math.max(0, Math.min(this.capacity, Math.floor(seconds)));
    const samples: SecondSample[] = [];
    for (let second = last - count + 1; second <= last; second++) {
      const index = this.index(second);
      samples.push(
        this.seconds[index] === second + 1
          ? { second, offered_units: this.offeredUnits[index] ?? 0, offered_takes: this.offeredTakes[index] ?? 0, admitted_units: this.admittedUnits[index] ?? 0, shed_units: this.shedUnits[index] ?? 0 }
          : empty(second),
      );
    }
    return samples;
  }
}
