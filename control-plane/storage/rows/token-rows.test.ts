import { describe, expect, it } from 'vitest';
import { TOKEN_COLUMNS, tokenColumns, tokenFromRow } from './token-rows';

describe('token rows', () => {
  const token = { id: 't1', kind: 'scim' as const, name: 'sync', createdAt: 'c', expiresAt: 'e', revokedAt: null, subjectId: null, tokenHash: 'hash' };

  it('writes the hash and never reads it back', () => {
    const columns = tokenColumns('tenant', token);
    expect(Object.keys(columns)).toEqual([...TOKEN_COLUMNS]);
    const { tokenHash: _hash, ...record } = token;
    const read = tokenFromRow({ ...columns, revoked_at: null });
    expect(read).toEqual(record);
    expect(read).not.toHaveProperty('tokenHash');
  });

  it('refuses a kind of token that does not exist', () => {
    expect(() => tokenFromRow({ ...tokenColumns('tenant', token), kind: 'root', revoked_at: null })).toThrow();
  });
});
