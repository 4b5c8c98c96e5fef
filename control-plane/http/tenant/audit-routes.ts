import type { FastifyInstance } from 'fastify';
import { AuditQuery, ConsistencyProofView, ConsistencyQuery, InclusionProofView, LedgerEntryView, LedgerVerifyView, ProofQuery, SeqParam, SignedTreeHeadView, WitnessFailureRecorded, WitnessFailureReport } from '../../../contracts/audit';
import { tenantLedger } from '../../audit/ledger-ids';
import type { RouteContext } from '../context';
import { parseWith } from '../validation';
import { consistencyView, ledgerPageView, proofView, verifyView } from '../views';
import { contract } from '../route-contract';
import { pageOf } from '../../../contracts/common';

/** The tenant's own ledger: entries (what they say of people opened for the tenant), verify, inclusion proofs, signed heads, consistency proofs. */
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

    app.get('/v1/audit/proof/:seq', contract({ summary: "Inclusion proof of one entry of the tenant's ledger (in the current tree, or of tree_size entries)", credential: 'tenant', params: SeqParam, query: ProofQuery, responses: { 200: InclusionProofView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'audit:read');
      const { seq } = parseWith(SeqParam, request.params, 'path');
      const { tree_size } = parseWith(ProofQuery, request.query, 'query');
      return proofView(await ctx.ledgers.proof(tenantLedger(tenant.id), seq, tree_size));
    });

    app.get('/v1/audit/head', contract({ summary: "The tenant's ledger's signed tree head", credential: 'tenant', responses: { 200: SignedTreeHeadView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'audit:read');
      return ctx.ledgers.signedHead(tenantLedger(tenant.id));
    });

    app.get('/v1/audit/consistency', contract({ summary: "Consistency proof between two sizes of the tenant's ledger (RFC 6962)", credential: 'tenant', query: ConsistencyQuery, responses: { 200: ConsistencyProofView } }), async (request) => {
      const { tenant } = await ctx.tenantAuth.authorize(request.headers.authorization, 'audit:read');
      const { from, to } = parseWith(ConsistencyQuery, request.query, 'query');
      return consistencyView(await ctx.ledgers.consistency(tenantLedger(tenant.id), from, to));
    });
    // A witness (the portal, a tenant's script) reports a head that does not extend the one it kept.
    app.post('/v1/audit/witness-failures', contract({ summary: "Record that a new head of the tenant's ledger did not extend a kept one (WITNESS_FAILED, in the tenant's and the provider's ledgers)", credential: 'tenant', body: WitnessFailureReport, responses: { 201: WitnessFailureRecorded } }), async (request, reply) => {
      const { tenant, actor } = await ctx.tenantAuth.authorize(request.headers.authorization, 'audit:read');
      const report = parseWith(WitnessFailureReport, request.body, 'body');
      return reply.code(201).send(await ctx.ledgers.recordWitnessFailure(tenantLedger(tenant.id), tenant.id, actor.label, report, ctx.clock().toISOString()));
    });
    return Promise.resolve();
  };
}
