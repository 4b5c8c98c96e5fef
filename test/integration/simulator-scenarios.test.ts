import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../simulator/connection/connect';
import { RunLog, type ProgressEvent } from '../../simulator/run-log';
import { noisyNeighborDefaults, runNoisyNeighbor, type NoisyTenantRow } from '../../simulator/scenarios/noisy-neighbor';
import { runScimSync } from '../../simulator/scenarios/scim-sync';
import { runBreakGlassDrill, type DrillReport } from '../../simulator/scenarios/break-glass-drill';
import { runDemo } from '../../simulator/scenarios/demo';
import { renderResult } from '../../simulator/report/table';

/**
 * The simulator's scenarios against a real embedded control plane (the repository's CLI in a child
 * process, over HTTPS with its CA pinned), at small sizes: a few seconds of load each.
 */
describe('simulator scenarios on an embedded control plane', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await connect({});
  }, 60_000);

  afterAll(async () => {
    await connection.close();
  });

  const small = { ...noisyNeighborDefaults, tenants: 3, agentsPerTenant: 2, durationMs: 2_400, rounds: 1, noisyFactor: 10, ratePerSec: 500 };

  it('noisy-neighbor: the noisy tenant is shed and held to its rate, quiet tenants are never shed, nothing is lost and every acknowledged result is stored', async () => {
    const progress: ProgressEvent[] = [];
    const result = await runNoisyNeighbor(connection, { ...small, seed: 101 }, new RunLog((event) => progress.push(event)));
    const rows = result.details.tenants as NoisyTenantRow[];
    expect(result.invariants.filter((entry) => !entry.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((row) => row.isolation_model))).toEqual(new Set(['pooled', 'siloed', 'hybrid']));
    const noisy = rows.filter((row) => row.role === 'noisy');
    expect(noisy).toHaveLength(1);
    expect(noisy[0]?.shed_units).toBeGreaterThan(0);
    // Offered 10× its rate, admitted about its rate (and a burst) while flooding.
    expect(noisy[0]?.admitted_per_sec_beside).toBeLessThan((small.noisyFactor * small.ratePerSec) / 2);
    for (const row of rows) {
      expect(row.lost_units, row.tenant).toBe(0);
      expect(row.admitted_units, row.tenant).toBe(row.offered_units);
      expect(row.stored, row.tenant).toEqual({ counted: true, results: row.acknowledged_results });
      expect(row.latency.samples, row.tenant).toBeGreaterThan(0);
      // Each agent's own counters add up to the tenant's.
      expect(row.agents.reduce((sum, agent) => sum + agent.counters.acknowledged_units, 0)).toBe(row.admitted_units);
    }
    for (const row of rows.filter((entry) => entry.role === 'quiet')) {
      expect(row.shed_units, row.tenant).toBe(0);
      expect(row.solo.samples, row.tenant).toBeGreaterThan(0);
      expect(row.together.samples, row.tenant).toBeGreaterThan(0);
    }
    // The table and the progress a person watches.
    expect(result.table.rows).toHaveLength(3);
    expect(progress.flatMap((event) => (event.kind === 'window' ? [event.label] : []))).toEqual(['solo', 'together']);
    expect(progress.some((event) => event.kind === 'load')).toBe(true);
    // The server's own counters saw the noisy tenant shed.
    const server = result.details.server_fairness as { slug: string; shed_units: number }[];
    expect(server.find((entry) => entry.slug === noisy[0]?.tenant)?.shed_units).toBeGreaterThan(0);
  });

  it('noisy-neighbor with a hostile neighbour (Retry-After ignored): it is refused far more often, and still nothing is lost', async () => {
    const result = await runNoisyNeighbor(connection, { ...small, seed: 102, honourRetryAfter: false }, new RunLog());
    const rows = result.details.tenants as NoisyTenantRow[];
    expect(result.invariants.filter((entry) => !entry.ok)).toEqual([]);
    const noisy = rows.find((row) => row.role === 'noisy');
    // Resending at its own pace, most of its requests are refusals.
    expect(noisy?.retried_requests).toBeGreaterThan(noisy?.agents.length ?? 0);
    expect(rows.every((row) => row.lost_units === 0)).toBe(true);
  });

  it('scim-sync: every role change shows on the person\'s next request, a deactivated person\'s session ends at once, and the directories match', async () => {
    const result = await runScimSync(connection, { seed: 103, tenants: 2, agentsPerTenant: 1 }, new RunLog());
    expect(result.invariants.filter((entry) => !entry.ok)).toEqual([]);
    const changes = result.details.changes as { change: string; expected: string; observed: string }[];
    for (const change of changes) expect(['add', 'promote', 'demote', 'rename', 'remove-from-groups', 'deactivate']).toContain(change.change);
    expect(changes.filter((change) => change.change === 'add')).toHaveLength(2);
    expect(changes.filter((change) => change.change === 'deactivate')).toHaveLength(2);
    expect(changes.filter((change) => change.change === 'deactivate').every((change) => change.observed === 'ended')).toBe(true);
    expect(changes.filter((change) => change.change === 'promote').every((change) => change.observed === 'operator')).toBe(true);
    // The events are the run's story, in order, with no secret in them: each tenant handed over before its people were loaded.
    expect(result.events[0]).toMatch(/^operator .* signed in with password \+ TOTP$/);
    expect(result.events.filter((event) => event.endsWith('handed over; IdP set by the tenant'))).toHaveLength(2);
    expect(result.events.join('\n')).not.toMatch(/bh[otsbag]_/);
  });

  it('break-glass-drill: a tenant person approves through the IdP, one read, revoke, the next read refused; two approvers; both ledgers in order and verified', async () => {
    const result = await runBreakGlassDrill(connection, { seed: 104, tenants: 2, agentsPerTenant: 1 }, new RunLog());
    expect(result.invariants.filter((entry) => !entry.ok)).toEqual([]);
    // The control plane has the handover (issue 26): the tenants were handed over, and the provider is out.
    expect(result.handover).toBe(true);
    expect(result.invariants.map((entry) => entry.name)).toEqual(expect.arrayContaining(['after handover the provider mints no tenant credential', "after handover the provider cannot change the tenant's IdP", 'the onboarding token is spent']));
    const [single, double] = result.details.drills as DrillReport[];
    expect(single?.grant_read.status).toBe(200);
    expect(single?.grant_read.rows).toBeGreaterThan(0);
    expect(single?.read_after_revoke).toEqual({ status: 401, code: 'grant_revoked' });
    expect(single?.tenant_ledger).toEqual(['BREAK_GLASS_REQUESTED', 'BREAK_GLASS_APPROVED', 'BREAK_GLASS_ACTIVATED', 'BREAK_GLASS_READ', 'BREAK_GLASS_REVOKED']);
    expect(single?.provider_ledger).toEqual(single?.tenant_ledger);
    expect(double?.approvers).toHaveLength(2);
    expect(double?.state_after_first_approval).toBe('pending');
    expect(double?.tenant_ledger.filter((event) => event === 'BREAK_GLASS_APPROVED')).toHaveLength(2);
    expect(double?.other_tenant_ledger).toEqual([]);
  });

  it('demo: noisy-neighbor, isolation-probe (0 leaks) and break-glass-drill one after the other on one control plane, then a summary', async () => {
    const steps: string[] = [];
    const result = await runDemo(connection, { seed: 303, durationMs: 4_000, tenants: 2 }, new RunLog((event) => (event.kind === 'step' ? steps.push(event.message) : undefined)));
    expect(result.invariants.filter((entry) => !entry.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.parts?.map((part) => part.scenario)).toEqual(['noisy-neighbor', 'isolation-probe', 'break-glass-drill']);
    expect(steps.filter((step) => step.startsWith('demo '))).toEqual(['demo 1/3: noisy-neighbor', 'demo 2/3: isolation-probe', 'demo 3/3: break-glass-drill']);
    expect(result.table.rows.map((row) => row[0])).toEqual(['noisy-neighbor', 'isolation-probe', 'break-glass-drill']);
    expect(String(result.table.rows[1]?.[2])).toMatch(/^[\d,]+ attempts on \d+ routes, 0 leaks$/);
    expect(String(result.table.rows[0]?.[2])).toMatch(/lost 0$/);
    // Each part under its own seed: no part's tenants collide with another's.
    expect(result.parts?.map((part) => part.seed)).toEqual([303, 304, 305]);
    expect(result.events.some((event) => event.startsWith('isolation-probe: attack plan '))).toBe(true);
    // Printed: every part's report, then the summary (whose invariants are the parts', not repeated when they hold).
    const text = renderResult(result);
    expect(text.indexOf('noisy-neighbor')).toBeLessThan(text.indexOf('isolation-probe: 2 tenants'));
    expect(text.trimEnd().split('\n').at(-1)).toBe(`OK: ${result.invariants.length} invariants hold.`);
  }, 240_000);
});
