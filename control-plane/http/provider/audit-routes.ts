import type { FastifyInstance } from 'fastify';
import { AuditQuery, InclusionProofView, LedgerEntryView, LedgerVerifyView, SeqParam } from '../../../contracts/audit';
import { PROVIDER_LEDGER } from '../../audit/ledger-ids';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { ledgerPageView, proofView, verifyView } from '../views';
import { contract } from '../route-contract';
import { pageOf } from '../../../contracts/common';

/** GET /provider/v1/audit (filters: tenant, event_type), /audit/verify, /audit/proof/{seq}: the provider ledger. */
export function auditRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/audit', contract({ summary: 'The provider ledger, newest first', credential: 'operator', query: AuditQuery, responses: { 200: pageOf(LedgerEntryView) } }), async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      const query = parseWith(AuditQuery, request.query, 'query');
      const tenantId = query.tenant === undefined ? undefined : (await ctx.tenants.resolve(query.tenant)).id;
      return ledgerPageView(await ctx.ledgers.providerPage({ ...query, tenantId }));
    });

    app.get('/provider/v1/audit/verify', contract({ summary: 'Verify the provider ledger', credential: 'operator', responses: { 200: LedgerVerifyView } }), async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      return verifyView(await ctx.ledgers.verify(PROVIDER_LEDGER));
    });

    app.get('/provider/v1/audit/proof/:seq', contract({ summary: 'Inclusion proof of one provider ledger entry', credential: 'operator', params: SeqParam, responses: { 200: InclusionProofView } }), async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      const { seq } = parseWith(SeqParam, request.params, 'path');
      return proofView(await ctx.ledgers.proof(PROVIDER_LEDGER, seq));
    });
    return Promise.resolve();
  };
}
