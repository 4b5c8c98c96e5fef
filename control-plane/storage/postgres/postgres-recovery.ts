import type pg from 'pg';
import { RECOVERY_COLUMNS, RECOVERY_MUTABLE_COLUMNS, recoveryColumns, recoveryFromRow } from '../recovery-rows';
import type { RecoveryReader, RecoveryRecord, WriteTx } from '../types';
import { asProvider, enterTenant, UUID, type Queryable } from './tenant-context';

/**
 * Recovery requests in schema bh (every isolation model). Tenant-side statements run in the tenant's
 * context; the provider's reads across tenants declare the provider plane (SELECT-only policy).
 */
type Row = Record<string, unknown>;

const insertSql = `INSERT INTO bh.tenant_recoveries (${RECOVERY_COLUMNS.join(', ')}) VALUES (${RECOVERY_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`;
const updateSql = `UPDATE bh.tenant_recoveries SET ${RECOVERY_MUTABLE_COLUMNS.map((column, index) => `${column} = $${index + 3}`).join(', ')} WHERE tenant_id = $1 AND id = $2`;


export function postgresRecoveryReader(pool: pg.Pool): RecoveryReader {
  return {
    list: (query) => {
      if (query.tenantId !== undefined && !UUID.test(query.tenantId)) return Promise.resolve([]);
      return asProvider(pool, async (client) => {
        const { rows } =
          query.tenantId === undefined
            ? await client.query<Row>('SELECT * FROM bh.tenant_recoveries ORDER BY created_at DESC, id::text DESC LIMIT $1', [query.limit])
            : await client.query<Row>('SELECT * FROM bh.tenant_recoveries WHERE tenant_id = $1 ORDER BY created_at DESC, id::text DESC LIMIT $2', [query.tenantId, query.limit]);
        return rows.map(recoveryFromRow);
      });
    },
    byId: async (id) => {
      if (!UUID.test(id)) return null;
      return asProvider(pool, async (client) => {
        const row = (await client.query<Row>('SELECT * FROM bh.tenant_recoveries WHERE id = $1', [id])).rows[0];
        return row === undefined ? null : recoveryFromRow(row);
      });
    },
  };
}

export function postgresRecoveryWrites(client: pg.PoolClient): Pick<WriteTx, 'insertRecovery' | 'recoveryForUpdate' | 'waitingRecoveriesForUpdate' | 'updateRecovery'> {
  return {
    insertRecovery: async (record) => {
      await enterTenant(client, record.tenantId);
      const columns = recoveryColumns(record);
      await client.query<Row>(insertSql, RECOVERY_COLUMNS.map((column) => columns[column]));
    },
    recoveryForUpdate: async (tenantId, id) => {
      if (!UUID.test(id)) return null;
      await enterTenant(client, tenantId);
      const row = (await client.query<Row>('SELECT * FROM bh.tenant_recoveries WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id])).rows[0];
      return row === undefined ? null : recoveryFromRow(row);
    },
    waitingRecoveriesForUpdate: async (tenantId) => {
      await enterTenant(client, tenantId);
      const { rows } = await client.query<Row>("SELECT * FROM bh.tenant_recoveries WHERE tenant_id = $1 AND state = 'waiting' ORDER BY created_at, id::text FOR UPDATE", [tenantId]);
      return rows.map(recoveryFromRow);
    },
    updateRecovery: async (record) => {
      await enterTenant(client, record.tenantId);
      const columns = recoveryColumns(record);
      await client.query<Row>(updateSql, [record.tenantId, record.id, ...RECOVERY_MUTABLE_COLUMNS.map((column) => columns[column])]);
    },
  };
}

/** The tenant scope's recovery reads; `read` runs a read-only transaction in the tenant's context. */
export function postgresRecoveryScope(tenantId: string, read: <T>(fn: (client: Queryable) => Promise<T>) => Promise<T>): (limit: number) => Promise<RecoveryRecord[]> {
  return (limit) =>
    read(async (client) => (await client.query<Row>('SELECT * FROM bh.tenant_recoveries WHERE tenant_id = $1 ORDER BY created_at DESC, id::text DESC LIMIT $2', [tenantId, limit])).rows.map(recoveryFromRow));
}
