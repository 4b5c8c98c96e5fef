import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli-process';
import { startReplicaDeployment, type ReplicaDeployment } from '../helpers/replica-deployment';

/**
 * Two control-plane replicas (real `serve` processes) on one PostgreSQL database: they behave as
 * one control plane, and killing one mid-traffic loses no acknowledged write; the ledger verifies.
 */
describe('replicas on PostgreSQL (real processes)', () => {
  let deployment: ReplicaDeployment;
  const api: ReplicaDeployment['api'] = (...args) => deployment.api(...args);

  beforeAll(async () => {
    deployment = await startReplicaDeployment(inject('postgresUrl'), 2);
  }, 90_000);

  afterAll(async () => {
    await deployment.close();
  });

  it('refuses a replica with another deployment key', async () => {
    const outcome = await runCli(['serve', '--data', deployment.dataDir, '--database', deployment.appUrl, '--listen', '127.0.0.1:0'], { BULKHEAD_DEPLOYMENT_KEY: randomBytes(32).toString('base64') });
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain('another deployment key');
  });

  it('serves one control plane from both replicas, and a replica killed mid-traffic loses no acknowledged write', async () => {
    const [first, second] = deployment.replicas;
    if (first === undefined || second === undefined) throw new Error('replicas missing');
    const token = await deployment.login(first);
    // A session made on one replica works on the other.
    expect((await api(second, 'GET', '/provider/v1/auth/session', token)).status).toBe(200);
    // Each replica registered itself and heartbeats: both see two live replicas.
    for (const replica of [first, second]) {
      const live = await api(replica, 'GET', '/provider/v1/replicas', token);
      expect(live.json).toMatchObject({ live_count: 2 });
      expect((live.json.items as { self: boolean }[]).filter((item) => item.self)).toHaveLength(1);
    }

    // Traffic through both at once; the second replica is killed (SIGKILL) part-way.
    const acknowledged: string[] = [];
    const attempts = Array.from({ length: 20 }, (_, i) => `replica-t-${i}`);
    let killed = false;
    await Promise.all(
      attempts.map(async (slug, i) => {
        const target = i % 2 === 0 ? first : second;
        if (i === 9 && !killed) {
          killed = true;
          second.child.kill('SIGKILL');
        }
        try {
          const created = await api(target, 'POST', '/provider/v1/tenants', token, { slug, name: slug, isolation_model: i % 3 === 0 ? 'siloed' : 'pooled' });
          if (created.status === 201) acknowledged.push(slug);
        } catch {
          // A request to the killed replica fails: not acknowledged, the client would retry.
        }
      }),
    );
    expect(acknowledged.length).toBeGreaterThan(5);
    // Every acknowledged tenant is there (read through the surviving replica).
    const list = await api(first, 'GET', '/provider/v1/tenants?limit=1000', token);
    const slugs = (list.json.items as { slug: string }[]).map((tenant) => tenant.slug);
    for (const slug of acknowledged) {
      expect(slugs).toContain(slug);
    }
    // The ledger has no gap and no fork: it verifies, one TENANT_CREATED per tenant that exists.
    const verify = await api(first, 'GET', '/provider/v1/audit/verify', token);
    expect(verify.json).toMatchObject({ ok: true });
    const created = await api(first, 'GET', '/provider/v1/audit?event_type=TENANT_CREATED&limit=1000', token);
    expect((created.json.items as unknown[]).length).toBe(slugs.length);

    // A replacement replica joins and sees the same state.
    const third = await deployment.addReplica();
    const fromThird = await api(third, 'GET', '/provider/v1/tenants?limit=1000', token);
    expect((fromThird.json.items as unknown[]).length).toBe(slugs.length);
  }, 90_000);
});
