import type { FastifyInstance } from 'fastify';
import { LedgerKeysView } from '../../contracts/audit';
import type { RouteContext } from './context';
import { contract } from './route-contract';
import { ledgerKeysView } from './views';

/**
 * GET /.well-known/bulkhead-ledger-keys: the public keys that sign every ledger's tree heads, for
 * anyone (no credential): a witness must be able to fetch them without trusting a session, and
 * they are the same for every tenant, so they tell nothing about any.
 */
export function ledgerKeysRoute(ctx: Pick<RouteContext, 'ledgers'>) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/.well-known/bulkhead-ledger-keys', contract({ summary: 'Public keys that sign the ledgers\' tree heads (retired ones too)', credential: 'none', responses: { 200: LedgerKeysView } }), async () =>
      ledgerKeysView(await ctx.ledgers.publicKeys()),
    );
    return Promise.resolve();
  };
}
