import type { FastifyInstance } from 'fastify';
import { AuditQuery, InclusionProofView, LedgerEntryView, LedgerVerifyView, SeqParam } from '../../../contracts/audit';
import { tenantLedger } from '../../audit/ledger-ids';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { ledgerPageView, proofView, verifyView } from '../views';
import { contract } from '../route-contract';
import { pageOf } from '../../../contracts/common';

/** The tenant's own ledger: entries (what they say of people opened for the tenant), verify, inclusion proofs. */
export function tenantAuditRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/v1/audit', contract({ summary: "The tenant's ledger, newest first (what entries say of people opened)", credential: 'tenant', query: AuditQuery.omit({ tenant: true }), responses: { 200: pageOf(LedgerEntryView) } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'audit:read');
      const query = parseWith(AuditQuery.omit({ tenant: true }), request.query, 'query');
      return ledgerPageView(await ctx.ledgers.tenantPage(tenant.id, query));
    });

    app.get('/v1/audit/verify', contract({ summary: "Verify the tenant's ledger", credential: 'tenant', responses: { 200: LedgerVerifyView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'audit:read');
      return verifyView(await ctx.ledgers.verify(tenantLedger(tenant.id)));
    });

    app.get('/v1/audit/proof/:seq', contract({ summary: "Inclusion proof of one entry of the tenant's ledger", credential: 'tenant', params: SeqParam, responses: { 200: InclusionProofView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'audit:read');
      const { seq } = parseWith(SeqParam, request.params, 'path');
      return proofView(await ctx.ledgers.proof(tenantLedger(tenant.id), seq));
    });
    return Promise.resolve();
  };
}
