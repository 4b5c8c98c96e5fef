import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageOf, PageQuery } from '../../../contracts/common';
import { CreateTenantRequest, PatchTenantRequest, Quotas, StateChangeRequest, Tenant, TenantState, TenantSummaryPage, TenantSummaryQuery } from '../../../contracts/tenants';
import { permissionsOf } from '../../auth/permissions';
import { ApiError } from '../../errors';
import { licenseNow, operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { contract } from '../route-contract';
import { LicenseFile, LicenseView, type LicensePayload } from '../../../contracts/license';
import { PROVIDER_LEDGER } from '../../audit/ledger-ids';
import { StartupError } from '../../errors';

const TenantParams = z.strictObject({ tenant: z.string().min(1).max(200) });
const TenantListQuery = PageQuery.extend({ state: TenantState.optional() });

/** /provider/v1/tenants: create, list, get, patch, suspend, resume, delete, quotas; /provider/v1/tenant-summaries; and /provider/v1/license. */
export function tenantRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/license', contract({ summary: 'The license in force and the tenants it counts', credential: 'operator', responses: { 200: LicenseView } }), async (request) => {
      await operatorWith(ctx, request, 'license:read');
      const license = licenseNow(ctx);
      return {
        licensee: license.licensee,
        tier: license.tier,
        tenant_band: license.tenant_band,
        tenants_used: await ctx.tenants.countLive(),
        expires_at: license.expires_at,
      };
    });

    app.put(
      '/provider/v1/license',
      contract({ summary: 'Replace the license file (provider admins): it must verify (400 license_invalid otherwise), ledgered as LICENSE_REPLACED', credential: 'operator', body: LicenseFile, responses: { 200: LicenseView } }),
      async (request) => {
        const { actor } = await operatorWith(ctx, request, 'license:write');
        // The contract's shape, the signer, the signature and the dates: any failure is 400 license_invalid with why.
        const next = checkedLicense(ctx, request.body);
        const previous = ctx.license.lastRead();
        const at = ctx.clock().toISOString();
        await ctx.storage.transaction(async (tx) => {
          const details = { license_id: next.license_id, licensee: next.licensee, tier: next.tier, tenant_band: next.tenant_band, expires_at: next.expires_at, replaced_license_id: previous.license_id };
          await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType: 'LICENSE_REPLACED', tenantId: null, details }, at);
          // Last in the transaction: a file that cannot be written rolls the entry back.
          ctx.license.install(request.body, next);
        });
        return { licensee: next.licensee, tier: next.tier, tenant_band: next.tenant_band, tenants_used: await ctx.tenants.countLive(), expires_at: next.expires_at };
      },
    );

    app.post('/provider/v1/tenants', contract({ summary: 'Provision a tenant (pooled, siloed or hybrid)', credential: 'operator', body: CreateTenantRequest, responses: { 201: Tenant } }), async (request, reply) => {
      const { actor } = await operatorWith(ctx, request, 'tenants:write');
      const body = parseWith(CreateTenantRequest, request.body);
      licenseNow(ctx);
      return reply.code(201).send(await ctx.tenants.create(body, actor));
    });

    app.get('/provider/v1/tenants', contract({ summary: 'List tenants in creation order', credential: 'operator', query: TenantListQuery, responses: { 200: pageOf(Tenant) } }), async (request) => {
      await operatorWith(ctx, request, 'tenants:read');
      const query = parseWith(TenantListQuery, request.query, 'query');
      return ctx.tenants.list(query);
    });

    // Its own path, not /tenants/summary: "summary" is a valid tenant slug.
    app.get('/provider/v1/tenant-summaries', contract({ summary: "The tenants table: each tenant's counts, results this month and shed rate (no telemetry content)", credential: 'operator', query: TenantSummaryQuery, responses: { 200: TenantSummaryPage } }), async (request) => {
      const { operator } = await operatorWith(ctx, request, 'tenants:read');
      const query = parseWith(TenantSummaryQuery, request.query, 'query');
      const held = permissionsOf(operator.roles);
      return ctx.summaries.page(query, { usage: held.has('usage:read'), fairness: held.has('fairness:read') });
    });

    app.get('/provider/v1/tenants/:tenant', contract({ summary: 'One tenant (by id or slug)', credential: 'operator', params: TenantParams, responses: { 200: Tenant } }), async (request) => {
      await operatorWith(ctx, request, 'tenants:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return ctx.tenants.view(await ctx.tenants.resolve(tenant));
    });

    app.patch('/provider/v1/tenants/:tenant', contract({ summary: "Change a tenant's name, plan or contact", credential: 'operator', params: TenantParams, body: PatchTenantRequest, responses: { 200: Tenant } }), async (request) => {
      const { actor } = await operatorWith(ctx, request, 'tenants:write');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const body = parseWith(PatchTenantRequest, request.body);
      if (body.slug !== undefined) {
        throw new ApiError(400, 'slug_immutable', 'A tenant slug never changes; create a new tenant for a new slug.', { path: 'slug' });
      }
      return ctx.tenants.update(tenant, body, actor);
    });

    for (const [action, target] of [
      ['suspend', 'suspended'],
      ['resume', 'active'],
    ] as const) {
      const summary = action === 'suspend' ? "Suspend a tenant: its tokens get 403 tenant_suspended, every grant ends" : 'Resume a suspended tenant';
      app.post(`/provider/v1/tenants/:tenant/${action}`, contract({ summary, credential: 'operator', params: TenantParams, body: StateChangeRequest, responses: { 200: Tenant } }), async (request) => {
        const { actor } = await operatorWith(ctx, request, 'tenants:lifecycle');
        const { tenant } = parseWith(TenantParams, request.params, 'path');
        const { reason } = parseWith(StateChangeRequest, request.body);
        return ctx.tenants.setState(tenant, target, reason, actor);
      });
    }

    app.delete('/provider/v1/tenants/:tenant', contract({ summary: 'Delete a tenant: its data key is destroyed (crypto-shred)', credential: 'operator', params: TenantParams, responses: { 204: null } }), async (request, reply) => {
      const { actor } = await operatorWith(ctx, request, 'tenants:lifecycle');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      await ctx.tenants.delete(tenant, actor);
      return reply.code(204).send();
    });

    app.get('/provider/v1/tenants/:tenant/quotas', contract({ summary: "A tenant's quotas", credential: 'operator', params: TenantParams, responses: { 200: Quotas } }), async (request) => {
      await operatorWith(ctx, request, 'quotas:read');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      return ctx.tenants.quotas(tenant);
    });

    app.put('/provider/v1/tenants/:tenant/quotas', contract({ summary: "Set a tenant's quotas (lowering deletes nothing)", credential: 'operator', params: TenantParams, body: Quotas, responses: { 200: Quotas } }), async (request) => {
      const { actor } = await operatorWith(ctx, request, 'quotas:write');
      const { tenant } = parseWith(TenantParams, request.params, 'path');
      const quotas = parseWith(Quotas, request.body);
      return ctx.tenants.setQuotas(tenant, quotas, actor);
    });
    return Promise.resolve();
  };
}

/** A replacement license, verified: 400 license_invalid saying why (its shape, signer, signature or dates) when it is not one. */
function checkedLicense(ctx: RouteContext, document: unknown): LicensePayload {
  try {
    return ctx.license.check(document);
  } catch (error) {
    if (error instanceof StartupError) throw new ApiError(400, 'license_invalid', error.message, { reason: error.code });
    throw error;
  }
}
