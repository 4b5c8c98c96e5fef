import type Database from 'better-sqlite3';
import { TOKEN_COLUMNS, TOKEN_READ_COLUMNS, tokenColumns, tokenFromRow } from '../rows/token-rows';
import type { TokenScope, TokenWrites } from '../tokens';
import { cachedStatement, done, insertSql, type SqliteTx } from './connection';

/** A tenant's tokens in its control store; their routing entries (token_index) in the shared control store. */
const insertToken = insertSql('tenant_tokens', TOKEN_COLUMNS);

/** `control` opens the tenant's control store on first use. */
export function sqliteTokenScope(tenantId: string, control: () => Database.Database): TokenScope {
  return {
    tokenByHash(tokenHash) {
      const row = cachedStatement(control(), `SELECT ${TOKEN_READ_COLUMNS} FROM tenant_tokens WHERE tenant_id = ? AND token_hash = ?`).get(tenantId, tokenHash);
      return Promise.resolve(row === undefined ? null : tokenFromRow(row));
    },
    tokens: (kind) =>
      Promise.resolve(control().prepare(`SELECT ${TOKEN_READ_COLUMNS} FROM tenant_tokens WHERE tenant_id = ? AND kind = ? ORDER BY created_at, id`).all(tenantId, kind).map(tokenFromRow)),
  };
}

/** Which tenant a presented token belongs to, by its routing entry. */
export function sqliteTokenTenant(db: Database.Database, tokenHash: string): Promise<string | null> {
  return Promise.resolve((cachedStatement(db, 'SELECT tenant_id FROM token_index WHERE token_hash = ?').pluck().get(tokenHash) as string | undefined) ?? null);
}

/** Writes inside the caller's transaction. */
export function sqliteTokenWrites(tx: SqliteTx): TokenWrites {
  return {
    createTenantToken: (tenant, token) => {
      tx.store(tenant).prepare(insertToken).run(tokenColumns(tenant.id, token));
      tx.control.prepare('INSERT INTO token_index (token_hash, tenant_id, kind) VALUES (?, ?, ?)').run(token.tokenHash, tenant.id, token.kind);
      return done;
    },
    revokeTenantToken: (tenant, tokenId, kind, at) =>
      Promise.resolve(tx.store(tenant).prepare('UPDATE tenant_tokens SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND kind = ? AND revoked_at IS NULL').run(at, tenant.id, tokenId, kind).changes === 1),
    revokeTenantTokens: (tenant, kinds, at) => {
      const revoke = tx.store(tenant).prepare('UPDATE tenant_tokens SET revoked_at = ? WHERE tenant_id = ? AND kind = ? AND revoked_at IS NULL');
      return Promise.resolve(Object.fromEntries(kinds.map((kind) => [kind, revoke.run(at, tenant.id, kind).changes])));
    },
  };
}
