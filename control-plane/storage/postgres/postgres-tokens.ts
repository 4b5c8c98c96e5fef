import type pg from 'pg';
import { text } from '../rows/columns';
import { TOKEN_COLUMNS, TOKEN_READ_COLUMNS, TokenKind, tokenColumns, tokenFromRow } from '../rows/token-rows';
import type { TenantTokenKind, TokenScope, TokenWrites } from '../tokens';
import { enterControl, inTransaction, insertSql, UUID, valuesOf, type Row, type TenantRead } from './tenant-context';

/** A tenant's tokens in its control schema; their routing entries in bh.token_index. */

/** `read` runs a read-only transaction in the tenant's context; `schema` holds its control data. */
export function postgresTokenScope(tenantId: string, schema: string, read: TenantRead): TokenScope {
  return {
    tokenByHash: (tokenHash) =>
      read(async (client) => {
        const row = (await client.query<Row>(`SELECT ${TOKEN_READ_COLUMNS} FROM ${schema}.tenant_tokens WHERE tenant_id = $1 AND token_hash = $2`, [tenantId, tokenHash])).rows[0];
        return row ? tokenFromRow(row) : null;
      }),
    tokens: (kind) =>
      read(async (client) =>
        (await client.query<Row>(`SELECT ${TOKEN_READ_COLUMNS} FROM ${schema}.tenant_tokens WHERE tenant_id = $1 AND kind = $2 ORDER BY created_at, id`, [tenantId, kind])).rows.map(tokenFromRow),
      ),
  };
}

/** Which tenant a presented token belongs to, by its routing entry. */
export function postgresTokenTenant(pool: pg.Pool, tokenHash: string): Promise<string | null> {
  return inTransaction(pool, 'read only', async (client) => {
    // The routing row is visible only to a transaction that presents the token's hash (see the policy).
    await client.query<Row>("SELECT set_config('app.token_hash', $1, true)", [tokenHash]);
    const row = (await client.query<Row>('SELECT tenant_id FROM bh.token_index WHERE token_hash = $1', [tokenHash])).rows[0];
    return row ? text.parse(row.tenant_id) : null;
  });
}

/** Writes inside the caller's transaction, each in the tenant's context. */
export function postgresTokenWrites(client: pg.PoolClient): TokenWrites {
  return {
    createTenantToken: async (tenant, token) => {
      const { query, table } = await enterControl(client, tenant);
      await query(insertSql(table('tenant_tokens'), TOKEN_COLUMNS), valuesOf(tokenColumns(tenant.id, token), TOKEN_COLUMNS));
      await query('INSERT INTO bh.token_index (token_hash, tenant_id, kind) VALUES ($1, $2, $3)', [token.tokenHash, tenant.id, token.kind]);
    },
    revokeTenantToken: async (tenant, tokenId, kind, at) => {
      if (!UUID.test(tokenId)) return false;
      const { query, table } = await enterControl(client, tenant);
      const result = await query(`UPDATE ${table('tenant_tokens')} SET revoked_at = $4 WHERE tenant_id = $1 AND id = $2 AND kind = $3 AND revoked_at IS NULL`, [tenant.id, tokenId, kind, at]);
      return (result.rowCount ?? 0) === 1;
    },
    revokeTenantTokens: async (tenant, kinds, at) => {
      const { query, table } = await enterControl(client, tenant);
      const { rows } = await query(`UPDATE ${table('tenant_tokens')} SET revoked_at = $3 WHERE tenant_id = $1 AND kind = ANY($2::text[]) AND revoked_at IS NULL RETURNING kind`, [tenant.id, [...kinds], at]);
      const counts: Partial<Record<TenantTokenKind, number>> = Object.fromEntries(kinds.map((kind) => [kind, 0]));
      for (const row of rows) {
        const kind = TokenKind.parse(row.kind);
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      return counts;
    },
  };
}
