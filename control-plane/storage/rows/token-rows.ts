import { z } from 'zod';
import type { TenantTokenKind, TenantTokenRecord } from '../tokens';
import { optionalText, text } from './columns';

/** The row of tenant_tokens, the same on both engines (the hash is never read back). */

/** Columns in insert order. */
export const TOKEN_COLUMNS = ['tenant_id', 'id', 'kind', 'token_hash', 'name', 'created_at', 'expires_at', 'subject_id'] as const;

/** What a read selects: everything but the hash. */
export const TOKEN_READ_COLUMNS = 'id, kind, name, created_at, expires_at, revoked_at, subject_id';

export const TokenKind = z.enum(['admin', 'session', 'portal', 'scim', 'bootstrap', 'agent']) satisfies z.ZodType<TenantTokenKind>;

const Row = z.object({ id: text, kind: TokenKind, name: text, created_at: text, expires_at: text, revoked_at: optionalText, subject_id: optionalText });

export function tokenFromRow(value: unknown): TenantTokenRecord {
  const row = Row.parse(value);
  return { id: row.id, kind: row.kind, name: row.name, createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at, subjectId: row.subject_id };
}

export function tokenColumns(tenantId: string, token: TenantTokenRecord & { tokenHash: string }): Record<(typeof TOKEN_COLUMNS)[number], string | null> {
  return {
    tenant_id: tenantId,
    id: token.id,
    kind: token.kind,
    token_hash: token.tokenHash,
    name: token.name,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    subject_id: token.subjectId,
  };
}
