import { describe, expect, it } from 'vitest';
import { ENTRY_COLUMNS, entryColumns, storedEntryFromRow, storedHeadFromRow } from './ledger-rows';

describe('ledger rows', () => {
  const entry = { seq: 3, ts: 't', actor: 'operator:admin', eventType: 'TENANT_CREATED', tenantId: 'tenant-a', detailsJson: '{}', leafHash: Buffer.alloc(32, 1), mac: Buffer.alloc(32, 2) };
  const columns = entryColumns(entry);

  it('reads an entry alike from every ledger table: its tenant from tenant_id, subject_tenant or the ledger itself', () => {
    expect(Object.keys(columns)).toEqual([...ENTRY_COLUMNS]);
    // SQLite's ledger_entries: the entry's tenant in tenant_id.
    expect(storedEntryFromRow({ ...columns, ledger_id: 'provider', tenant_id: 'tenant-a' })).toEqual(entry);
    // PostgreSQL's provider ledger: subject_tenant; seq a bigint string.
    expect(storedEntryFromRow({ ...columns, seq: '3', subject_tenant: 'tenant-a' })).toEqual(entry);
    // PostgreSQL's tenant ledger: the ledger's own tenant.
    expect(storedEntryFromRow({ ...columns, tenant_id: 'tenant-a' }, 'tenant-a')).toEqual(entry);
    expect(storedEntryFromRow({ ...columns, subject_tenant: null }).tenantId).toBeNull();
  });

  it('reads a head (size as either engine gives it) or none', () => {
    const head = { size: 3, root: Buffer.alloc(32), frontier: Buffer.alloc(64), mac: Buffer.alloc(32) };
    expect(storedHeadFromRow({ ...head, size: '3' })).toEqual(head);
    expect(storedHeadFromRow(undefined)).toBeNull();
    expect(() => storedHeadFromRow({ ...head, mac: null })).toThrow();
  });
});
