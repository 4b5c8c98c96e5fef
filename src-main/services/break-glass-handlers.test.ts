import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handOver, injectCall } from '../../test/helpers/control-plane-harness';
import { consoleRouter, type ConsoleRouter } from '../../test/helpers/console-router';
import { tenantUserAuthorization } from '../../test/helpers/tenant-user';

/**
 * Break-glass and the audit proof through the real IPC router and ConsoleService against a real
 * control plane over HTTPS. (That telemetry is answered only through an active grant is proved in
 * src-main/ipc/telemetry-blindness.test.ts.)
 */
describe('break-glass and audit proof handlers against a real control plane', () => {
  let c: ConsoleRouter;
  let approver = '';

  beforeAll(async () => {
    c = await consoleRouter();
    await c.result('tenants:create', { slug: 'acme', name: 'Acme' });
    await c.result('tenants:create', { slug: 'globex', name: 'Globex' });
    const onboarding = await c.result<{ token: string }>('tenants:admin-token', { tenant: 'acme', expires_in_seconds: 3600 });
    const owned = await handOver(injectCall(c.cp.app), `Bearer ${onboarding.token}`, 'acme');
    approver = await tenantUserAuthorization({ call: injectCall(c.cp.app), admin: owned.authorization, openStorage: () => c.cp.engine.openStorage(Buffer.from(c.cp.deploymentKey, 'base64')), role: 'admin' });
  }, 120_000);

  afterAll(async () => {
    await c.close();
  });

  it('opens a request, lists it for its tenant only, follows it to approved and activates it once', async () => {
    const opened = await c.result<{ request: { id: string; state: string; requested_by: { username: string } }; grant: unknown }>('breakglass:open', { tenant: 'acme', reason: 'INC-9', scope: ['telemetry:read'], duration_minutes: 60 });
    expect(opened).toMatchObject({ request: { state: 'pending', requested_by: { username: c.cp.admin.username } }, grant: null });
    const id = opened.request.id;
    expect((await c.result<{ items: { request: { id: string } }[] }>('breakglass:list', { tenant: 'acme' })).items.map((item) => item.request.id)).toEqual([id]);
    expect(await c.result('breakglass:list', { tenant: 'globex' })).toEqual({ items: [] });
    expect(await c.call('breakglass:activate', { id })).toMatchObject({ error: { code: 'break_glass_not_approved' } });

    const approved = await c.cp.app.inject({ method: 'POST', url: `/v1/break-glass/${id}/approve`, headers: { authorization: approver }, payload: { duration_minutes: 20 } });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(await c.call('breakglass:get', { id })).toMatchObject({ result: { request: { state: 'approved', duration_minutes: 20 }, grant: null } });
    const active = await c.result<{ grant: { expires_at: string } }>('breakglass:activate', { id });
    expect(Date.parse(active.grant.expires_at) - c.now().getTime()).toBe(20 * 60_000);
    expect(await c.call('breakglass:activate', { id })).toMatchObject({ error: { code: 'break_glass_already_activated' } });
    expect(await c.call('breakglass:list', { tenant: 'acme', state: 'active' })).toMatchObject({ result: { items: [{ request: { id }, grant: { request_id: id } }] } });
  });

  it('answers bad requests at their field and unknown requests not_found', async () => {
    expect(await c.call('breakglass:open', { tenant: 'acme', reason: ' ', scope: ['telemetry:read'], duration_minutes: 60 })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'reason' }] } } });
    expect(await c.call('breakglass:open', { tenant: 'acme', reason: 'x', scope: ['telemetry:read'], duration_minutes: 241 })).toMatchObject({ error: { code: 'invalid_request', details: { issues: [{ path: 'duration_minutes' }] } } });
    expect(await c.call('breakglass:open', { tenant: 'nobody', reason: 'x', scope: ['telemetry:read'], duration_minutes: 5 })).toMatchObject({ error: { code: 'not_found' } });
    expect(await c.call('breakglass:get', { id: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ error: { code: 'not_found' } });
  });

  it("proves a ledger entry's inclusion in the console, and refuses a proof for another leaf", async () => {
    const entries = await c.result<{ items: { seq: number; leaf_hash: string }[] }>('audit:list', { tenant: 'acme', limit: 1000 });
    const verified = await c.result<{ root: string; size: number }>('audit:verify');
    const [newest, oldest] = [entries.items[0], entries.items.at(-1)];
    if (newest === undefined || oldest === undefined) throw new Error('no entries');
    for (const entry of [newest, oldest]) {
      const check = await c.result('audit:prove', { seq: entry.seq, leaf_hash: entry.leaf_hash });
      expect(check).toMatchObject({ seq: entry.seq, leaf_hash: entry.leaf_hash, included: true, reason: null });
      // Nothing was written since verify ran: the proof's root is the verified root.
      expect(check).toMatchObject({ tree_size: verified.size, root: verified.root });
    }
    expect(await c.result('audit:prove', { seq: oldest.seq, leaf_hash: newest.leaf_hash })).toMatchObject({ included: false, reason: expect.stringMatching(/another leaf/) as unknown });
    expect(await c.call('audit:prove', { seq: verified.size + 100, leaf_hash: newest.leaf_hash })).toMatchObject({ error: { code: 'not_found' } });
  });
});
