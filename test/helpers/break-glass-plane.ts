// A control plane for the break-glass Playwright spec, in a process of its own (tsx loads what
// Playwright's loader cannot): tenant `acme`, handed over to its customer, with a probe test, an
// agent's results in its telemetry and a tenant user (admin role) who can approve break-glass. It
// prints one JSON line (url, CA, the provider admin, the tenant's credentials) once it listens, and
// closes on SIGTERM. Run: node --import tsx test/helpers/break-glass-plane.ts
import { definedTests, enrolledAgentHeaders, handOver, injectCall, startControlPlane } from './control-plane-harness';
import { tenantUserAuthorization } from './tenant-user';

/** What only acme's telemetry holds: the spec looks for it in the scoped view (it keeps its own copy). */
const MARKER_TARGET = 'https://marker-bg7.acme.example/health';

const cp = await startControlPlane();
const call = injectCall(cp.app);
const expectStatus = (what: string, status: number, expected: number, json: unknown) => {
  if (status !== expected) throw new Error(`${what}: ${status} ${JSON.stringify(json)}`);
};
// The previous TOTP step: the console signs the admin in with the current one (a code is used once).
const login = await call('POST', '/provider/v1/auth/login', null, { username: cp.admin.username, password: cp.admin.password, totp: await cp.adminCode(-1) });
expectStatus('sign-in', login.status, 201, login.json);
const admin = `Bearer ${String(login.json.token)}`;
const created = await call('POST', '/provider/v1/tenants', admin, { slug: 'acme', name: 'Acme Corp', isolation_model: 'pooled' });
expectStatus('tenant', created.status, 201, created.json);
const minted = await call('POST', '/provider/v1/tenants/acme/admin-tokens', admin, { expires_in_seconds: 3600 });
expectStatus('admin token', minted.status, 201, minted.json);
const owner = await handOver(call, `Bearer ${String(minted.json.token)}`, 'acme');
const [testId] = await definedTests(cp.app, owner);
const agent = await enrolledAgentHeaders(cp.app, owner);
const at = Date.now();
const results = Array.from({ length: 6 }, (_, i) => ({ test_id: testId, ts: new Date(at - (6 - i) * 60_000).toISOString(), latency_ms: 20 + i, ok: i !== 2, target: MARKER_TARGET, ...(i === 2 ? { error: 'timeout' } : {}) }));
const ingested = await cp.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: { authorization: agent.authorization }, payload: { batch_id: 'acme-1', results } });
expectStatus('ingest', ingested.statusCode, 202, ingested.body);
const approver = await tenantUserAuthorization({ call, admin: owner.authorization, openStorage: () => cp.engine.openStorage(Buffer.from(cp.deploymentKey, 'base64')), role: 'admin' });
await call('POST', '/provider/v1/auth/logout', admin);

process.stdout.write(`${JSON.stringify({ event: 'listening', url: cp.url, ca_pem: cp.caPem, admin: cp.admin, tenant: { slug: 'acme', owner: owner.authorization, approver } })}\n`);
process.once('SIGTERM', () => {
  void cp.close().then(() => process.exit(0));
});
