import { createHash } from 'node:crypto';
import { BATCH_UNITS_HEADER, MAX_BATCH_UNITS } from '../../contracts/telemetry';

export { BATCH_UNITS_HEADER };

/** What makes a batch: its body is rebuilt from this, byte for byte, each time it is sent again. */
export interface BatchSeed {
  batchId: string;
  /** Results' first timestamp (ms); each next result is 1 ms later. */
  firstMs: number;
  results: number;
  flows: number;
}

export const unitsOf = (seed: BatchSeed): number => seed.results + seed.flows;

/** A small, stable number from a string: the same batch always carries the same latencies. */
function stableNumber(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}

/**
 * An agent's batches: ids `<agent>-<n>` (so a run's batches are the same for a seed), results for
 * the tests its tenant defined (ingest refuses other tenants' test ids), and flow events.
 */
export class BatchFactory {
  private next = 0;

  constructor(
    readonly agentName: string,
    private readonly testIds: readonly string[],
    private readonly shape: { results: number; flows: number },
  ) {
    if (testIds.length === 0) throw new Error(`${agentName} has no tests to report results for`);
    if (shape.results + shape.flows < 1 || shape.results + shape.flows > MAX_BATCH_UNITS) throw new RangeError(`a batch carries 1 to ${MAX_BATCH_UNITS} units`);
  }

  /** The next batch, stamped now. */
  create(nowMs = Date.now()): BatchSeed {
    this.next += 1;
    return { batchId: `${this.agentName}-${this.next}`, firstMs: nowMs, results: this.shape.results, flows: this.shape.flows };
  }

  body(seed: BatchSeed): string {
    const base = stableNumber(seed.batchId);
    const results = Array.from({ length: seed.results }, (_, i) => {
      const failed = (base + i) % 37 === 0;
      return {
        test_id: this.testIds[(base + i) % this.testIds.length],
        ts: new Date(seed.firstMs + i).toISOString(),
        latency_ms: failed ? null : 4 + ((base >>> (i % 16)) % 120),
        ok: !failed,
        ...(failed ? { error: 'connect ETIMEDOUT' } : { status_code: 200 }),
      };
    });
    const flows = Array.from({ length: seed.flows }, (_, i) => ({
      ts: new Date(seed.firstMs + i).toISOString(),
      src: `10.0.${base % 250}.${(i % 250) + 1}`,
      dst: '198.51.100.7',
      dst_port: 443,
      protocol: 'tcp',
      bytes: 1200 + (i % 900),
      packets: 3 + (i % 7),
    }));
    return JSON.stringify({ batch_id: seed.batchId, results, flow_events: flows });
  }
}
