// Provider-plane figures: provisioning pooled vs siloed, listing with 10,000 tenants, ledger
// append rate, and verify of a 1,000,000-entry ledger. Wall-clock on a shared machine: compare
// ratios within one run.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultQuotas } from '../../contracts/tenants';
import { SqliteStorage, sqliteLayout } from '../../control-plane/storage/sqlite/sqlite-storage';
import { buildTestApp, TestClock } from '../helpers/control-plane-harness';
import { postgresVerifyFigures, verifyFloor } from './ledger-verify-bench';
import { licenseText, mintLicense, testSigner } from '../helpers/startup-fixtures';

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** A license valid on the test app's own clock (TestClock), which stands still at its start, not on today's date. */
function benchLicense(signer: ReturnType<typeof testSigner>) {
  return mintLicense(signer, { tenant_band: 100_000 }, new TestClock().now());
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Median POST /provider/v1/tenants time per isolation model (the siloed one creates and migrates its file). */
export async function provisioningFigures(perModel = 30): Promise<Record<string, unknown>> {
  const signer = testSigner();
  const t = await buildTestApp({ licenseText: licenseText(benchLicense(signer)), licenseTrust: signer.trust });
  try {
    const admin = await t.adminHeaders();
    const result: Record<string, unknown> = {};
    for (const model of ['pooled', 'siloed', 'hybrid'] as const) {
      const times: number[] = [];
      for (let i = 0; i < perModel; i++) {
        times.push(
          await timed(async () => {
            const response = await t.app.inject({ method: 'POST', url: '/provider/v1/tenants', headers: admin, payload: { slug: `${model}-${i}`, name: `${model} ${i}`, isolation_model: model } });
            if (response.statusCode !== 201) throw new Error(response.body);
          }),
        );
      }
      result[model] = { median_ms: round(median(times)), p90_ms: round(percentile(times, 90)), samples: perModel };
    }
    const pooled = (result.pooled as { median_ms: number }).median_ms;
    result.siloed_over_pooled = round((result.siloed as { median_ms: number }).median_ms / pooled);
    result.hybrid_over_pooled = round((result.hybrid as { median_ms: number }).median_ms / pooled);
    return result;
  } finally {
    await t.close();
  }
}

/** GET /provider/v1/tenants latency with 10,000 tenants: first page, a full page of 1,000, a deep page, a filtered page. */
export async function listFigures(tenants = 10_000): Promise<Record<string, unknown>> {
  const signer = testSigner();
  const t = await buildTestApp({ licenseText: licenseText(benchLicense(signer)), licenseTrust: signer.trust });
  const deploymentKey = Buffer.from(t.deploymentKey, 'base64');
  try {
    // Bulk-load through the storage interface (one transaction), as 10,000 API calls would only measure fsync.
    const { deriveLedgerKey } = await import('../../control-plane/audit/ledger-codec');
    const storage = SqliteStorage.open(sqliteLayout(t.dataDir), deriveLedgerKey(deploymentKey));
    const base = Date.parse('2026-01-01T00:00:00Z');
    await storage.transaction(async (tx) => {
      for (let i = 0; i < tenants; i++) {
        const at = new Date(base + i * 1000).toISOString();
        await tx.insertTenant(
          { id: randomUUID(), slug: `bulk-${i}`, name: `Bulk ${i}`, isolationModel: 'pooled', residency: null, plan: null, contactEmail: null, state: i % 10 === 0 ? 'suspended' : 'active', quotas: defaultQuotas, fairness: null, createdAt: at, updatedAt: at, handedOverAt: null },
          randomBytes(61),
        );
      }
    });
    await storage.close();
    const admin = await t.adminHeaders();
    const page = async (query: string): Promise<{ median_ms: number; p99_ms: number }> => {
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        times.push(
          await timed(async () => {
            const response = await t.app.inject({ method: 'GET', url: `/provider/v1/tenants?${query}`, headers: admin });
            if (response.statusCode !== 200) throw new Error(response.body);
          }),
        );
      }
      return { median_ms: round(median(times)), p99_ms: round(percentile(times, 99)) };
    };
    const first = await t.app.inject({ method: 'GET', url: '/provider/v1/tenants?limit=1000', headers: admin });
    let cursor = first.json<{ next_cursor: string }>().next_cursor;
    for (let i = 0; i < 8; i++) {
      cursor = (await t.app.inject({ method: 'GET', url: `/provider/v1/tenants?limit=1000&cursor=${encodeURIComponent(cursor)}`, headers: admin })).json<{ next_cursor: string }>().next_cursor;
    }
    return {
      tenants,
      first_page_100: await page('limit=100'),
      page_of_1000: await page('limit=1000'),
      deep_page_100_after_9000: await page(`limit=100&cursor=${encodeURIComponent(cursor)}`),
      suspended_only_100: await page('state=suspended&limit=100'),
    };
  } finally {
    await t.close();
  }
}

/**
 * Ledger appends (one per transaction, and batched), the time to verify a 1,000,000-entry ledger,
 * and one consistency / inclusion proof at that size (issue 25's goals beside each figure).
 */
export async function ledgerFigures(entries = 1_000_000): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-bench-ledger-'));
  const storage = SqliteStorage.open(sqliteLayout(dir), randomBytes(32));
  try {
    const entry = (i: number) => ({ actor: 'operator:admin', eventType: 'TENANT_UPDATED', tenantId: null, details: { tenant: `t-${i % 997}`, changed: { plan: 'gold' }, n: i } });
    const ts = new Date().toISOString();
    const single = 300;
    const singleMs = await timed(async () => {
      for (let i = 0; i < single; i++) {
        await storage.transaction(async (tx) => {
          await tx.appendLedger('single', entry(i), ts);
        });
      }
    });
    const batch = 10_000;
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (let done = 0; done < entries; done += batch) {
      await storage.transaction(async (tx) => {
        for (let i = done; i < Math.min(entries, done + batch); i++) {
          await tx.appendLedger('provider', entry(i), ts);
        }
      });
    }
    const appendMs = performance.now() - started;
    const appendCpu = process.cpuUsage(cpuStarted);
    const loadBeforeVerify = loadavg()[0] ?? 0;
    let verification: Awaited<ReturnType<typeof storage.ledgers.verify>> | null = null;
    const verifyCpuStarted = process.cpuUsage();
    const verifyMs = await timed(async () => {
      verification = await storage.ledgers.verify('provider');
    });
    const verifyCpu = process.cpuUsage(verifyCpuStarted);
    // One consistency proof and one inclusion proof at the full size, from the stored nodes (median of 50 each).
    const proofTimes: number[] = [];
    const inclusionTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const from = 1 + Math.floor(((i + 1) * 654_321) % entries);
      proofTimes.push(await timed(async () => {
        if ((await storage.ledgers.consistencyProof('provider', from, entries)) === null) throw new Error('no consistency proof');
      }));
      inclusionTimes.push(await timed(async () => {
        if ((await storage.ledgers.inclusionProof('provider', from - 1, entries)) === null) throw new Error('no inclusion proof');
      }));
    }
    const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
    const batched = Math.round((entries / appendMs) * 1000);
    return {
      appends_per_sec_one_per_transaction: Math.round((single / singleMs) * 1000),
      appends_per_sec_batched_10k_per_transaction: batched,
      appends_batched_goal_per_sec: 50_000,
      appends_batched_meets_goal: batched >= 50_000,
      // CPU time of the process (all threads): what the appends cost whatever else the machine runs.
      appends_per_cpu_sec_batched: Math.round(entries / cpuSeconds(appendCpu)),
      entries,
      verify_seconds: round(verifyMs / 1000),
      verify_goal_seconds: 3,
      verify_meets_goal: verifyMs < 3000,
      verify_cpu_seconds_all_threads: round(cpuSeconds(verifyCpu)),
      verify_entries_per_sec: Math.round((entries / verifyMs) * 1000),
      verify_ok: (verification as { ok: boolean } | null)?.ok ?? false,
      // One core's floor in this run: what the rows and the hashes alone cost (ledger-verify-bench.ts).
      verify_floor: verifyFloor(sqliteLayout(dir).controlFile, 'provider', entries),
      verify_load_average_1m_before: round(loadBeforeVerify),
      consistency_proof_ms_median: round(median(proofTimes), 3),
      consistency_proof_ms_p90: round(percentile(proofTimes, 90), 3),
      consistency_proof_goal_ms: 1,
      consistency_proof_meets_goal: median(proofTimes) < 1,
      inclusion_proof_ms_median: round(median(inclusionTimes), 3),
      load_average_1m: round(loadavg()[0] ?? 0),
      postgres_verify: await postgresVerifyFigures(100_000),
    };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
