import { describe, expect, it } from 'vitest';
import { IDENTITY_COLUMNS, POOL_COLUMNS, PROBE_TEST_COLUMNS, identityColumns, identityFromRow, poolColumns, poolFromRow, probeTestColumns, probeTestFromRow, roleFromRow, roleMappingFromRow } from './tenant-setup-rows';

describe('tenant setup rows', () => {
  it('round-trips an identity provider, its secret as sealed bytes', () => {
    const identity = { issuer: 'https://idp.test', clientId: 'c', clientSecretSealed: Buffer.from('sealed'), claim: null, groupsClaim: 'groups', caPem: null, updatedAt: 'u', tenantOwnedAt: 't' };
    const columns = identityColumns('tenant', identity);
    expect(Object.keys(columns)).toEqual([...IDENTITY_COLUMNS]);
    expect(identityFromRow(columns)).toEqual(identity);
    expect(() => identityFromRow({ ...columns, client_secret_sealed: 'not bytes' })).toThrow();
  });

  it('round-trips pools and probe tests, reading integers alike from both engines', () => {
    const pool = { id: 'p', name: 'edge', ttlSeconds: 3600, defaultGroup: null, createdAt: 'c' };
    expect(Object.keys(poolColumns('tenant', pool))).toEqual([...POOL_COLUMNS]);
    expect(poolFromRow(poolColumns('tenant', pool))).toEqual(pool);
    expect(poolFromRow({ ...poolColumns('tenant', pool), ttl_seconds: '3600' })).toEqual(pool);
    const test = { id: 't', name: 'home', target: 'https://example.test', kind: 'http' as const, intervalS: 60, createdAt: 'c' };
    expect(Object.keys(probeTestColumns('tenant', test))).toEqual([...PROBE_TEST_COLUMNS]);
    expect(probeTestFromRow(probeTestColumns('tenant', test))).toEqual(test);
    expect(() => probeTestFromRow({ ...probeTestColumns('tenant', test), kind: 'smtp' })).toThrow();
  });

  it('reads roles with their permissions, and role mappings', () => {
    expect(roleFromRow({ name: 'auditor', permissions: '["ledger:read"]' })).toEqual({ name: 'auditor', permissions: ['ledger:read'] });
    expect(() => roleFromRow({ name: 'auditor', permissions: '"ledger:read"' })).toThrow();
    expect(roleMappingFromRow({ group_name: 'ops', role: 'auditor' })).toEqual({ group: 'ops', role: 'auditor' });
  });
});
