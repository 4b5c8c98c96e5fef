import type pg from 'pg';
import type { RecoveryReader, RecoveryScope, RecoveryWrites } from '../recovery';
import { RECOVERY_COLUMNS, RECOVERY_MUTABLE_COLUMNS, recoveryColumns, recoveryFromRow } from '../rows/recovery-rows';
import { asProvider, enterTenant, insertSql, updateSql, UUID, valuesOf, type Row, type TenantRead } from './tenant-context';

/**
 * Recovery requests in schema bh (every isolation model). Tenant-side statements run in the tenant's
 * context; the provider's reads across tenants declare the provider plane (SELECT-only policy).
 */
const insertRecovery = insertSql('bh.tenant_recoveries', RECOVERY_COLUMNS);
const updateRecovery = updateSql('bh.tenant_recoveries', RECOVERY_MUTABLE_COLUMNS);

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

/** `read` runs a read-only transaction in the tenant's context. */
export function postgresRecoveryScope(tenantId: string, read: TenantRead): RecoveryScope {
  return {
    recoveries: (limit) =>
      read(async (client) => (await client.query<Row>('SELECT * FROM bh.tenant_recoveries WHERE tenant_id = $1 ORDER BY created_at DESC, id::text DESC LIMIT $2', [tenantId, limit])).rows.map(recoveryFromRow)),
  };
}

/** Writes inside the caller's transaction, each in the request's tenant context. */
export function postgresRecoveryWrites(client: pg.PoolClient): RecoveryWrites {
  return {
    insertRecovery: async (record) => {
      await enterTenant(client, record.tenantId);
      await client.query<Row>(insertRecovery, valuesOf(recoveryColumns(record), RECOVERY_COLUMNS));
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
      await client.query<Row>(updateRecovery, valuesOf(recoveryColumns(record), ['tenant_id', 'id', ...RECOVERY_MUTABLE_COLUMNS]));
    },
  };
}
