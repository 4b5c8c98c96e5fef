import type { FastifyInstance } from 'fastify';
import { AuditQuery, ConsistencyProofView, ConsistencyQuery, InclusionProofView, LedgerEntryView, LedgerVerifyView, ProofQuery, SeqParam, SignedTreeHeadView, WitnessFailureRecorded, WitnessFailureReport } from '../../../contracts/audit';
import { PROVIDER_LEDGER } from '../../audit/ledger-ids';
import { operatorWith, type RouteContext } from '../context';
import { parseWith } from '../validation';
import { consistencyView, ledgerPageView, proofView, verifyView } from '../views';
import { contract } from '../route-contract';
import { pageOf } from '../../../contracts/common';

/** GET /provider/v1/audit (filters: tenant, event_type), /audit/verify, /audit/proof/{seq}, /audit/head, /audit/consistency, POST /audit/witness-failures: the provider ledger. */
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

    app.get('/provider/v1/audit/proof/:seq', contract({ summary: 'Inclusion proof of one provider ledger entry (in the current tree, or of tree_size entries)', credential: 'operator', params: SeqParam, query: ProofQuery, responses: { 200: InclusionProofView } }), async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      const { seq } = parseWith(SeqParam, request.params, 'path');
      const { tree_size } = parseWith(ProofQuery, request.query, 'query');
      return proofView(await ctx.ledgers.proof(PROVIDER_LEDGER, seq, tree_size));
    });

    app.get('/provider/v1/audit/head', contract({ summary: "The provider ledger's signed tree head", credential: 'operator', responses: { 200: SignedTreeHeadView } }), async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      return ctx.ledgers.signedHead(PROVIDER_LEDGER);
    });

    app.get('/provider/v1/audit/consistency', contract({ summary: 'Consistency proof between two sizes of the provider ledger (RFC 6962)', credential: 'operator', query: ConsistencyQuery, responses: { 200: ConsistencyProofView } }), async (request) => {
      await operatorWith(ctx, request, 'audit:read');
      const { from, to } = parseWith(ConsistencyQuery, request.query, 'query');
      return consistencyView(await ctx.ledgers.consistency(PROVIDER_LEDGER, from, to));
    });
    // A witness (the console) reports a head that does not extend the one it kept: ledgered with both heads.
    app.post('/provider/v1/audit/witness-failures', contract({ summary: 'Record that a new head of the provider ledger did not extend a kept one (WITNESS_FAILED)', credential: 'operator', body: WitnessFailureReport, responses: { 201: WitnessFailureRecorded } }), async (request, reply) => {
      const { actor } = await operatorWith(ctx, request, 'audit:read');
      const report = parseWith(WitnessFailureReport, request.body, 'body');
      return reply.code(201).send(await ctx.ledgers.recordWitnessFailure(PROVIDER_LEDGER, null, actor.label, report, ctx.clock().toISOString()));
    });
    return Promise.resolve();
  };
}
