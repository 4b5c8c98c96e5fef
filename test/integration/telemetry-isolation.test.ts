import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handOver, startControlPlane, type RunningControlPlane } from '../helpers/control-plane-harness';
import { tenantUserAuthorization, type Call } from '../helpers/tenant-user';
import { resultsByTenant } from '../helpers/stored-results';

const MODELS = ['pooled', 'siloed', 'hybrid'] as const;
/**
 * Two pooled telemetry cells (SQLite), three pooled tenants: pooled-a and pooled-c share a cell
 * file (told apart by tenant id alone), pooled-b has the other. PostgreSQL has no cells.
 */
const SIDES: Record<(typeof MODELS)[number], string[]> = { pooled: ['a', 'b', 'c'], siloed: ['a', 'b'], hybrid: ['a', 'b'] };

interface TenantUnderTest {
  slug: string;
  admin: string;
  /** A tenant user's session token (operator role): who reads telemetry. */
  reader: string;
  agent: string;
  agentId: string;
  /** The tenant's own test (ingest takes results for a tenant's own tests only). */
  testId: string;
}

/**
 * Cross-tenant reads over real HTTPS on every isolation model: two or three tenants per model send batches
 * with the same batch id; each tenant's tokens see exactly its own rows on every telemetry route (asking
 * for another tenant's test id finds nothing), operators see none, and an agent token reads nothing.
 */
describe('telemetry isolation over real HTTPS', () => {
  let cp: RunningControlPlane;
  let dispatcher: Agent;
  let operator = '';
  const tenants: TenantUnderTest[] = [];

  async function api(method: 'GET' | 'POST' | 'PUT', path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await request(`${cp.url}${path}`, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  beforeAll(async () => {
    cp = await startControlPlane({ telemetryCells: 2 });
    dispatcher = new Agent({ connect: { ca: cp.caPem } });
    const login = await request(`${cp.url}/provider/v1/auth/login`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: cp.admin.username, password: cp.admin.password, totp: await cp.adminCode() }),
    });
    operator = ((await login.body.json()) as { token: string }).token;
    for (const model of MODELS) {
      for (const side of SIDES[model]) {
        const slug = `${model}-${side}`;
        expect((await api('POST', '/provider/v1/tenants', operator, { slug, name: slug, isolation_model: model })).status).toBe(201);
        const onboarding = (await api('POST', `/provider/v1/tenants/${slug}/admin-tokens`, operator, { expires_in_seconds: 3600 })).json.token as string;
        const call: Call = (method, path, authorization, body) => api(method, path, authorization?.replace(/^Bearer /, '') ?? '', body);
        // The customer takes the tenant over: its people's sessions are the ones that read telemetry.
        const admin = (await handOver(call, `Bearer ${onboarding}`, slug)).authorization.replace(/^Bearer /, '');
        const testId = (await api('POST', '/v1/tests', admin, { name: 'probe', target: `https://${slug}.example/health`, kind: 'http', interval_s: 60 })).json.id as string;
        const pool = (await api('POST', '/v1/agent-pools', admin, { name: 'edge', ttl_seconds: 600 })).json.id as string;
        const bootstrap = (await api('POST', `/v1/agent-pools/${pool}/tokens`, admin)).json.token as string;
        const enrolled = await request(`${cp.url}/agent/v1/enroll`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bootstrap_token: bootstrap, name: 'probe' }) });
        const { agent_id, agent_token } = (await enrolled.body.json()) as { agent_id: string; agent_token: string };
        const reader = (await tenantUserAuthorization({ call, admin: `Bearer ${admin}`, openStorage: () => cp.engine.openStorage(Buffer.from(cp.deploymentKey, 'base64')), role: 'operator' })).replace(/^Bearer /, '');
        tenants.push({ slug, admin, reader, agent: agent_token, agentId: agent_id, testId });
      }
    }
    const now = Date.now();
    for (const tenant of tenants) {
      const results = Array.from({ length: 40 }, (_, i) => ({
        test_id: tenant.testId,
        ts: new Date(now - (40 - i) * 60_000).toISOString(),
        latency_ms: 10 + i,
        ok: true,
        target: `https://marker-${tenant.slug}.example`,
      }));
      const flow_events = [{ ts: new Date(now - 1000).toISOString(), src: `marker-${tenant.slug}`, dst: '192.0.2.1', protocol: 'tcp', bytes: 10, packets: 1 }];
      // Every tenant uses the same batch id: idempotency is per tenant, never across tenants.
      const response = await api('POST', '/agent/v1/ingest', tenant.agent, { batch_id: 'same-batch-id', results, flow_events });
      expect(response.status, JSON.stringify(response.json)).toBe(202);
      expect(response.json).toMatchObject({ admitted_units: 41, duplicate: false });
    }
  });

  afterAll(async () => {
    await dispatcher.close();
    await cp.close();
  });

  it.each(MODELS.flatMap((model) => SIDES[model].map((side) => `${model}-${side}`)))("%s sees exactly its own rows on every telemetry route", async (slug) => {
    const tenant = tenants.find((candidate) => candidate.slug === slug);
    if (tenant === undefined) throw new Error(`no tenant ${slug}`);
    const results = await api('GET', `/v1/telemetry/results?limit=1000&test_id=${tenant.testId}`, tenant.reader);
    const items = results.json.items as { target: string }[];
    expect(items).toHaveLength(40);
    expect(new Set(items.map((item) => item.target))).toEqual(new Set([`https://marker-${slug}.example`]));
    const flows = await api('GET', '/v1/telemetry/flows', tenant.reader);
    expect(flows.json.items).toEqual([expect.objectContaining({ src: `marker-${slug}`, agent_id: tenant.agentId })]);
    const summary = await api('GET', '/v1/telemetry/summary', tenant.reader);
    expect(summary.json.tests).toEqual([expect.objectContaining({ test_id: tenant.testId, results: 40 })]);
    // Another tenant's test id, asked for by this tenant's reader, finds nothing.
    for (const other of tenants.filter((candidate) => candidate !== tenant)) {
      const foreign = await api('GET', `/v1/telemetry/results?limit=1000&test_id=${other.testId}`, tenant.reader);
      expect(foreign.json.items, other.slug).toEqual([]);
    }
    const insights = await api('POST', '/v1/insights', tenant.reader, {});
    expect(insights.status).toBe(200);
    expect(insights.json.tests_analyzed).toBe(1);
  });

  // Cells are SQLite files; on PostgreSQL all pooled tenants share the pooled tables (RLS), covered above.
  it.skipIf(process.env.BULKHEAD_TEST_ENGINE === 'postgres')('(SQLite) keeps pooled-a and pooled-c in one cell file and pooled-b in the other, each row under its tenant', () => {
    const control = new Database(join(cp.dataDir, 'control-plane.db'), { readonly: true });
    const cells = Object.fromEntries(
      (control.prepare("SELECT t.slug, c.cell FROM tenants t JOIN telemetry_cells c ON c.tenant_id = t.id WHERE t.isolation_model = 'pooled'").all() as { slug: string; cell: number }[]).map((row) => [row.slug, row.cell]),
    );
    const ids = Object.fromEntries((control.prepare("SELECT slug, id FROM tenants WHERE isolation_model = 'pooled'").all() as { slug: string; id: string }[]).map((row) => [row.slug, row.id]));
    control.close();
    expect(cells).toEqual({ 'pooled-a': 0, 'pooled-b': 1, 'pooled-c': 0 });
    const rowsByTenant = (file: string) => {
      const db = new Database(join(cp.dataDir, file), { readonly: true });
      try {
        return resultsByTenant(db);
      } finally {
        db.close();
      }
    };
    expect(rowsByTenant('telemetry.db')).toEqual({ [String(ids['pooled-a'])]: 40, [String(ids['pooled-c'])]: 40 });
    expect(rowsByTenant('telemetry-cell-1.db')).toEqual({ [String(ids['pooled-b'])]: 40 });
  });

  it("refuses telemetry to an agent token (401), to an operator's session (403 no_implicit_access) and to the operator-minted tenant-admin token (403) on every route", async () => {
    const reads: ['GET' | 'POST', string][] = [
      ['GET', '/v1/telemetry/results'],
      ['GET', '/v1/telemetry/flows'],
      ['GET', '/v1/telemetry/summary'],
      ['POST', '/v1/insights'],
    ];
    for (const [method, path] of reads) {
      const asOperator = await api(method, path, operator, method === 'POST' ? {} : undefined);
      expect(asOperator.status, path).toBe(403);
      expect(asOperator.json).toMatchObject({ error: { code: 'no_implicit_access' } });
      const asAgent = await api(method, path, tenants[0]?.agent ?? '', method === 'POST' ? {} : undefined);
      expect(asAgent.status, path).toBe(401);
      const asAdminToken = await api(method, path, tenants[0]?.admin ?? '', method === 'POST' ? {} : undefined);
      expect(asAdminToken.status, path).toBe(403);
    }
    const ingestAsOperator = await api('POST', '/agent/v1/ingest', operator, { batch_id: 'x', results: [] });
    expect(ingestAsOperator.json).toMatchObject({ error: { code: 'no_implicit_access' } });
  });
});
