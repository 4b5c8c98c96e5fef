import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentPool, BootstrapTokenCreated, EnrollResponse } from '../../../contracts/agents';
import { buildTestApp, type TestApp } from '../../../test/helpers/control-plane-harness';
import { hashToken } from '../../auth/tokens';

type Headers = { authorization: string };

describe('agent rollout: bootstrap pools, tokens and enrollment', () => {
  let t: TestApp;
  let operator: Headers;
  let a: Headers;
  let b: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    operator = await t.adminHeaders();
    a = await t.tenantAdminHeaders('tenant-a', 'siloed', { max_agents: 2 });
    b = await t.tenantAdminHeaders('tenant-b', 'pooled', { max_agents: 2 });
  });

  afterEach(async () => {
    await t.close();
  });

  async function poolAndToken(headers: Headers, ttl_seconds = 3600): Promise<{ pool: AgentPool; token: string }> {
    const created = await t.app.inject({ method: 'POST', url: '/v1/agent-pools', headers, payload: { name: 'edge', ttl_seconds, default_group: 'edge-probes' } });
    expect(created.statusCode).toBe(201);
    const pool = AgentPool.parse(created.json());
    const minted = await t.app.inject({ method: 'POST', url: `/v1/agent-pools/${pool.id}/tokens`, headers });
    expect(minted.statusCode).toBe(201);
    return { pool, token: BootstrapTokenCreated.parse(minted.json()).token };
  }

  const enroll = (bootstrap_token: string, name = 'probe-1') => t.app.inject({ method: 'POST', url: '/agent/v1/enroll', payload: { bootstrap_token, name } });

  it('enrolls an agent with a bootstrap token: 201 {agent_id, agent_token}; the tenant counts it; the ledger records it', async () => {
    const { token } = await poolAndToken(a);
    const enrolled = await enroll(token);
    expect(enrolled.statusCode).toBe(201);
    const agent = EnrollResponse.parse(enrolled.json());
    expect(agent.agent_token).toMatch(/^bha_[A-Za-z0-9_-]{43}$/);
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: a })).json()).toMatchObject({ counts: { agents: 1 } });
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: b })).json()).toMatchObject({ counts: { agents: 0 } });
    const ledger = (await t.app.inject({ method: 'GET', url: '/v1/audit', headers: a })).json<{ items: { event_type: string }[] }>();
    expect(ledger.items.map((entry) => entry.event_type).slice(0, 3)).toEqual(['AGENT_ENROLLED', 'BOOTSTRAP_TOKEN_CREATED', 'AGENT_POOL_CREATED']);
    // Tokens are stored as hashes only.
    await t.app.close();
    const contents = await t.engine.rawContents();
    for (const plaintext of [token, agent.agent_token]) {
      expect(contents.some((content) => content.includes(plaintext))).toBe(false);
      expect(contents.some((content) => content.includes(hashToken(plaintext)))).toBe(true);
    }
  });

  it('enforces max_agents through the shared quota check: 429 quota_exceeded, not retryable', async () => {
    const { token } = await poolAndToken(a);
    expect((await enroll(token, 'one')).statusCode).toBe(201);
    expect((await enroll(token, 'two')).statusCode).toBe(201);
    const third = await enroll(token, 'three');
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ error: { code: 'quota_exceeded', details: { quota: 'max_agents', limit: 2, used: 2 } } });
    expect(third.headers['retry-after']).toBeUndefined();
  });

  it('refuses an expired, unknown or wrong-kind bootstrap token, and a suspended tenant\'s', async () => {
    const { token } = await poolAndToken(a, 60);
    expect((await enroll('bhb_' + 'x'.repeat(43))).statusCode).toBe(401);
    expect((await enroll(a.authorization.slice('Bearer '.length))).statusCode).toBe(401);
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/suspend', headers: operator, payload: { reason: 'billing' } });
    const suspended = await enroll(token);
    expect(suspended.statusCode).toBe(403);
    expect(suspended.json()).toMatchObject({ error: { code: 'tenant_suspended' } });
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/resume', headers: operator, payload: { reason: 'paid' } });
    t.clock.advance(61);
    expect((await enroll(token)).statusCode).toBe(401);
  });

  it('keeps pools apart: tenant A cannot see or mint from tenant B\'s pool, and B\'s token enrolls into B only', async () => {
    const { pool: poolB, token: tokenB } = await poolAndToken(b);
    expect((await t.app.inject({ method: 'GET', url: '/v1/agent-pools', headers: a })).json()).toEqual({ items: [], next_cursor: null });
    expect((await t.app.inject({ method: 'POST', url: `/v1/agent-pools/${poolB.id}/tokens`, headers: a })).statusCode).toBe(404);
    expect((await enroll(tokenB)).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: b })).json()).toMatchObject({ counts: { agents: 1 } });
    expect((await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: a })).json()).toMatchObject({ counts: { agents: 0 } });
  });

  it("lists a tenant's own enrolled agents only (GET /v1/agents); an operator or an agent gets none", async () => {
    const fromA = await poolAndToken(a);
    const agentA = EnrollResponse.parse((await enroll(fromA.token, 'probe-a')).json());
    const fromB = await poolAndToken(b);
    const agentB = EnrollResponse.parse((await enroll(fromB.token, 'probe-b')).json());
    const list = async (headers: Headers) => t.app.inject({ method: 'GET', url: '/v1/agents', headers });
    const seenByA = await list(a);
    expect(seenByA.statusCode).toBe(200);
    expect(seenByA.json()).toEqual({ items: [{ id: agentA.agent_id, name: 'probe-a', pool_id: fromA.pool.id, group: 'edge-probes', created_at: expect.any(String) as unknown }], next_cursor: null });
    expect(JSON.stringify(seenByA.json())).not.toContain(agentB.agent_id);
    expect((await list(b)).json<{ items: { id: string }[] }>().items.map((agent) => agent.id)).toEqual([agentB.agent_id]);
    // No token of an agent is listed, and no other credential reaches the list.
    expect(seenByA.body).not.toContain('bha_');
    expect((await list(operator)).statusCode).toBe(403);
    expect((await list({ authorization: `Bearer ${agentA.agent_token}` })).statusCode).toBe(401);
  });

  it('validates bodies: no unknown fields, bounded TTLs and names', async () => {
    for (const payload of [{ name: 'x', ttl_seconds: 10 }, { name: '', ttl_seconds: 3600 }, { name: 'x', ttl_seconds: 3600, owner: 'me' }]) {
      expect((await t.app.inject({ method: 'POST', url: '/v1/agent-pools', headers: a, payload })).statusCode).toBe(400);
    }
    expect((await t.app.inject({ method: 'POST', url: '/agent/v1/enroll', payload: { name: 'x' } })).statusCode).toBe(400);
  });
});
