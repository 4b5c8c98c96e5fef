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

export class OfferedHistory {
  private readonly slots: SecondSample[];

  constructor(readonly capacity: number = HISTORY_SECONDS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.slots = Array.from({ length: capacity }, () => empty(-1));
  }

  /** The slot of `nowMs`'s second, emptied first if it holds an older second. */
  private slot(nowMs: number): SecondSample {
    const second = Math.floor(nowMs / 1000);
    const index = ((second % this.capacity) + this.capacity) % this.capacity;
    let slot = this.slots[index] ?? empty(second);
    if (slot.second !== second) {
      slot = empty(second);
      this.slots[index] = slot;
    }
    return slot;
  }

  offer(nowMs: number, units: number): void {
    const slot = this.slot(nowMs);
    slot.offered_units += units;
    slot.offered_takes += 1;
  }

  admitted(nowMs: number, units: number): void {
    this.slot(nowMs).admitted_units += units;
  }

  shed(nowMs: number, units: number): void {
    this.slot(nowMs).shed_units += units;
  }

  /** The last `seconds` seconds up to and including `nowMs`'s, oldest first, one sample per second. */
  window(nowMs: number, seconds: number = this.capacity): SecondSample[] {
    const last = Math.floor(nowMs / 1000);
    const count = Math.max(0, Math.min(this.capacity, Math.floor(seconds)));
    const samples: SecondSample[] = [];
    for (let second = last - count + 1; second <= last; second++) {
      const slot = this.slots[((second % this.capacity) + this.capacity) % this.capacity];
      samples.push(slot !== undefined && slot.second === second ? { ...slot } : empty(second));
    }
    return samples;
  }
}
