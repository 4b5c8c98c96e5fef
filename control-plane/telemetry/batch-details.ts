import { z } from 'zod';
import { FlowEvent, type IngestRequest } from '../../contracts/telemetry';
import type { TelemetryBatchWrite, TenantRef } from '../storage/types';
import type { TenantCrypto } from '../tenancy/tenant-keys';

/** What a batch keeps sealed: per-result details (by position) and its flow events. */
const BatchDetails = z.strictObject({
  v: z.literal(1),
  /** [index in batch, target, status_code, error] for results that carry any of them. */
  results: z.array(z.tuple([z.number().int(), z.string().nullable(), z.number().int().nullable(), z.string().nullable()])),
  flows: z.array(FlowEvent),
});
export type BatchDetails = z.infer<typeof BatchDetails>;

/** The sealing purpose binds a sealed blob to its batch: it cannot be moved to another batch or tenant and still open. */
const purposeOf = (batchId: string) => `telemetry-batch/${batchId}`;

/**
 * Turns a validated ingest request into the columns the store keeps in clear (test id, time,
 * latency, ok) and one sealed blob for everything else: one seal per batch, never per row.
 */
export async function prepareBatch(
  crypto: TenantCrypto,
  tenant: TenantRef,
  agentId: string,
  body: IngestRequest,
  bytes: number,
  receivedAt: string,
): Promise<TelemetryBatchWrite> {
  const count = body.results.length;
  const testIds = new Array<string>(count);
  const ts = new Array<string>(count);
  const latencyMs = new Array<number | null>(count);
  const ok = new Array<boolean>(count);
  const details: BatchDetails = { v: 1, results: [], flows: body.flow_events };
  for (let i = 0; i < count; i++) {
    const result = body.results[i];
    if (result === undefined) continue;
    testIds[i] = result.test_id;
    ts[i] = result.ts;
    latencyMs[i] = result.latency_ms;
    ok[i] = result.ok;
    if (result.target !== undefined || result.status_code !== undefined || result.error !== undefined) {
      details.results.push([i, result.target ?? null, result.status_code ?? null, result.error ?? null]);
    }
  }
  const hasDetails = details.results.length > 0 || details.flows.length > 0;
  const sealed = hasDetails ? await crypto.seal(tenant.id, Buffer.from(JSON.stringify(details)), purposeOf(body.batch_id)) : null;
  return { tenant, batchId: body.batch_id, agentId, receivedAt, testIds, ts, latencyMs, ok, flowCount: body.flow_events.length, bytes, sealed };
}

/** Opens a stored batch's details with the tenant's key (empty when it had none). */
export async function openBatchDetails(crypto: TenantCrypto, tenantId: string, batchId: string, sealed: Buffer | null): Promise<BatchDetails> {
  if (sealed === null) return { v: 1, results: [], flows: [] };
  return BatchDetails.parse(JSON.parse((await crypto.open(tenantId, sealed, purposeOf(batchId))).toString('utf8')));
}
