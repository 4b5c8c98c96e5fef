import type { ApiClient } from '../connection/api-client';

/** A ledger's current head as its verify route answers it: size and Merkle root, and whether it verified. */
export interface LedgerHead {
  ok: boolean;
  size: number | null;
  root: string | null;
  /** Why it did not verify (the route's `reason`, or the failed call). */
  problem?: string;
}

export interface LedgerHeads {
  at: string;
  provider: LedgerHead;
  tenants: Record<string, LedgerHead>;
}

async function head(client: ApiClient, path: string, token: string): Promise<LedgerHead> {
  const answer = await client.call('GET', path, { token });
  if (answer.status !== 200) return { ok: false, size: null, root: null, problem: `${path} answered ${answer.status}` };
  const { ok, size, root, reason, first_bad_seq: firstBad } = answer.json;
  return {
    ok: ok === true,
    size: typeof size === 'number' ? size : null,
    root: typeof root === 'string' ? root : null,
    ...(ok === true ? {} : { problem: `${typeof reason === 'string' ? reason : 'does not verify'}${typeof firstBad === 'number' ? ` (first bad seq ${firstBad})` : ''}` }),
  };
}

/**
 * The provider ledger's head (an operator verifies it) and each tenant's (its own admin token
 * verifies it): the current heads. The control plane signs no heads yet, so these are heads as
 * answered at that moment, not signed checkpoints.
 */
export async function ledgerHeads(client: ApiClient, operatorToken: string, tenants: readonly { slug: string; adminToken: string }[]): Promise<LedgerHeads> {
  const heads: LedgerHeads = { at: new Date().toISOString(), provider: await head(client, '/provider/v1/audit/verify', operatorToken), tenants: {} };
  for (const tenant of tenants) heads.tenants[tenant.slug] = await head(client, '/v1/audit/verify', tenant.adminToken);
  return heads;
}
