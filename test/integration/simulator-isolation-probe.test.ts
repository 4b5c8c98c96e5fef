import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorEnvelope } from '../../contracts/errors';
import { contract } from '../../control-plane/http/route-contract';
import { closeOidcConnections } from '../../control-plane/identity/oidc-relying-party';
import type { Storage } from '../../control-plane/storage/types';
import { ApiClient } from '../../simulator/connection/api-client';
import type { Connection } from '../../simulator/connection/connect';
import { signInOperator } from '../../simulator/connection/operator-session';
import { newSigningKey, publicKeyFromPem, signEvidence, verifyEvidence } from '../../simulator/evidence/evidence';
import type { AttemptOutcome } from '../../simulator/isolation/run-attempts';
import type { RouteStats } from '../../simulator/isolation/probe-report';
import { RunLog, type ProgressEvent } from '../../simulator/run-log';
import { runIsolationProbe } from '../../simulator/scenarios/isolation-probe';
import type { ScenarioResult } from '../../simulator/scenarios/result';
import { startControlPlane, type RunningControlPlane } from '../helpers/control-plane-harness';

const TenantParam = z.object({ tenant: z.string().min(1).max(200) });

/**
 * The isolation probe against a real control plane (real HTTPS, real SQLite, the simulator through
 * the public API only) to which this test, and only this test, adds two deliberately weakened
 * tenant-plane routes: one answers any tenant credential with any tenant (authenticated, never
 * authorized: the classic broken object-level check), one answers 403 for a tenant that exists and
 * 404 for one that does not (an existence oracle, no data). The probe is told nothing of them: it
 * must find them in the served OpenAPI document, attack them, and report both as leaks, while every
 * real route shows none. A probe that could not fail this would be worthless.
 */
describe('isolation-probe on a control plane with two weakened routes', () => {
  let cp: RunningControlPlane;
  let storage: Promise<Storage> | undefined;
  let connection: Connection;
  let result: ScenarioResult;
  const progress: ProgressEvent[] = [];

  beforeAll(async () => {
    cp = await startControlPlane({
      beforeListen(app) {
        const tenantOf = (ref: string) => {
          storage ??= cp.engine.openStorage(Buffer.from(cp.deploymentKey, 'base64'));
          return storage.then(async (opened) => (await opened.tenants.bySlug(ref)) ?? (/^[0-9a-f-]{36}$/.test(ref) ? opened.tenants.byId(ref) : null));
        };
        const anyTenantCredential = (authorization: string | undefined) => /^Bearer bht_/.test(authorization ?? '');
        app.get('/v1/weakened/tenants/:tenant', contract({ summary: 'TEST ONLY: any tenant credential reads any tenant', credential: 'tenant', params: TenantParam, responses: { 200: z.object({ id: z.string(), slug: z.string(), name: z.string() }) } }), async (request, reply) => {
          if (!anyTenantCredential(request.headers.authorization)) return reply.code(401).send(errorEnvelope('unauthorized', 'A tenant credential is required.'));
          const tenant = await tenantOf(TenantParam.parse(request.params).tenant);
          if (tenant === null) return reply.code(404).send(errorEnvelope('not_found', 'No such tenant.'));
          return { id: tenant.id, slug: tenant.slug, name: tenant.name };
        });
        app.get('/v1/weakened/exists/:tenant', contract({ summary: 'TEST ONLY: 403 for a tenant that exists, 404 for one that does not', credential: 'tenant', params: TenantParam, responses: { 204: null } }), async (request, reply) => {
          if (!anyTenantCredential(request.headers.authorization)) return reply.code(401).send(errorEnvelope('unauthorized', 'A tenant credential is required.'));
          const tenant = await tenantOf(TenantParam.parse(request.params).tenant);
          return tenant === null ? reply.code(404).send(errorEnvelope('not_found', 'No such tenant.')) : reply.code(403).send(errorEnvelope('forbidden', 'Not yours.'));
        });
      },
    });
    const client = new ApiClient({ url: cp.url, caPem: cp.caPem });
    let session: Promise<string> | undefined;
    connection = { client, operator: cp.admin, kind: 'remote', operatorToken: () => (session ??= signInOperator(client, cp.admin)), close: () => client.close() };
    result = await runIsolationProbe(connection, { seed: 2024, tenants: 2, agentsPerTenant: 1 }, new RunLog((event) => progress.push(event)));
  }, 240_000);

  afterAll(async () => {
    await connection.close();
    await closeOidcConnections();
    await (await storage)?.close();
    await cp.close();
  });

  const leaks = () => result.details.leaks as AttemptOutcome[];
  const routes = () => result.details.routes as RouteStats[];

  it('enumerates every route of the served OpenAPI document, the weakened ones included, and attempts each', async () => {
    const document = (await connection.client.call('GET', '/provider/v1/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(served).toContain('GET /v1/weakened/tenants/{tenant}');
    expect(served.length).toBeGreaterThan(80);
    expect(routes().map((route) => route.route).sort()).toEqual([...served].sort());
    for (const route of routes()) expect(route.attempts, route.route).toBeGreaterThan(0);
    expect(result.invariants.find((entry) => entry.name.startsWith('every route'))?.ok).toBe(true);
  });

  it('finds both weakened routes, with the request and the answer as evidence, and no leak anywhere else', () => {
    const found = leaks();
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((leak) => !leak.route.includes('/weakened/'))).toEqual([]);
    const reading = found.filter((leak) => leak.route === 'GET /v1/weakened/tenants/{tenant}');
    const oracle = found.filter((leak) => leak.route === 'GET /v1/weakened/exists/{tenant}');
    expect(reading.length).toBeGreaterThan(0);
    expect(oracle.length).toBeGreaterThan(0);
    // Every bht_ credential of each tenant against the other: the admin token and each person's session.
    expect(new Set(reading.map((leak) => leak.kind))).toEqual(new Set(['tenant-admin', 'person:admin', 'person:operator', 'person:viewer']));
    const sample = reading[0];
    expect(sample?.reason).toMatch(/naming the other tenant's object in its path|carries the other tenant's/);
    expect(sample?.request).toMatch(/^GET \/v1\/weakened\/tenants\//);
    expect(sample?.answer).toMatch(/^200 /);
    expect(oracle[0]?.reason).toMatch(/403 forbidden for the other tenant's id but 404 not_found for a nonexistent one/);
    // Nothing in the report holds a token.
    expect(JSON.stringify(result)).not.toMatch(/\bbh[a-z]_[A-Za-z0-9_-]{20,}/);
    expect(result.ok).toBe(false);
    expect(result.invariants.filter((entry) => !entry.ok).map((entry) => entry.name)).toEqual(['cross-tenant attempts: leaks = 0']);
  });

  it('covers every credential kind and the provider-action chains, with operators refused on the tenant plane', () => {
    const kinds = result.details.by_credential_kind as Record<string, { attempts: number }>;
    for (const kind of ['tenant-admin', 'person:admin', 'person:operator', 'person:viewer', 'scim', 'agent', 'grant', 'operator:provider_admin', 'operator:provider_operator']) {
      expect(kinds[kind]?.attempts, kind).toBeGreaterThan(0);
    }
    const chains = result.details.chains as { name: string; steps: { leak: boolean; expected: string }[] }[];
    expect(chains.map((chain) => chain.name)).toEqual(['provider-held tenant (before handover)', 'provider actions after handover', 'provider actions after handover']);
    expect(chains.flatMap((chain) => chain.steps).filter((step) => step.leak)).toEqual([]);
    expect(result.invariants.find((entry) => entry.name.startsWith('operators without a grant'))?.ok).toBe(true);
    expect(progress.some((event) => event.kind === 'attempts')).toBe(true);
  });

  it('writes evidence that verifies with its key, names the leaks and the ledger heads, and fails once changed', () => {
    const evidence = result.details.evidence as Record<string, unknown> & { attempts: { total: number; leaks: number }; ledgers: { signed_heads: boolean; before: { provider: { ok: boolean; size: number } }; after: { provider: { ok: boolean; size: number } } }; control_plane: { version: string } };
    expect(evidence.attempts.leaks).toBe(leaks().length);
    expect(evidence.attempts.total).toBeGreaterThan(1000);
    expect(evidence.control_plane.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(evidence.ledgers.signed_heads).toBe(false);
    expect(evidence.ledgers.before.provider.ok && evidence.ledgers.after.provider.ok).toBe(true);
    expect(evidence.ledgers.after.provider.size).toBeGreaterThan(evidence.ledgers.before.provider.size);
    const { privateKey, publicKeyPem } = newSigningKey();
    const signed = JSON.stringify(signEvidence(evidence, privateKey), null, 2);
    expect(verifyEvidence(signed, publicKeyFromPem(publicKeyPem)).valid).toBe(true);
    // Hiding a leak after signing is caught.
    const hidden = signed.replace(`"leaks": ${evidence.attempts.leaks},`, '"leaks": 0,');
    expect(hidden).not.toBe(signed);
    expect(verifyEvidence(hidden, publicKeyFromPem(publicKeyPem)).valid).toBe(false);
  });
});
