import type Database from 'better-sqlite3';
import { RECOVERY_COLUMNS, RECOVERY_MUTABLE_COLUMNS, recoveryColumns, recoveryFromRow } from '../recovery-rows';
import type { RecoveryReader, RecoveryRecord, WriteTx } from '../types';

/** Recovery requests in the shared control store (every isolation model), beside break-glass requests. */
const insertSql = `INSERT INTO tenant_recoveries (${RECOVERY_COLUMNS.join(', ')}) VALUES (${RECOVERY_COLUMNS.map((column) => `@${column}`).join(', ')})`;
const updateSql = `UPDATE tenant_recoveries SET ${RECOVERY_MUTABLE_COLUMNS.map((column) => `${column} = @${column}`).join(', ')} WHERE tenant_id = @tenant_id AND id = @id`;

export type RecoveryWrites = Pick<WriteTx, 'insertRecovery' | 'recoveryForUpdate' | 'waitingRecoveriesForUpdate' | 'updateRecovery'>;

export function sqliteRecoveryReader(db: Database.Database): RecoveryReader & { ofTenant(tenantId: string, limit: number): RecoveryRecord[] } {
  const list = (tenantId: string | undefined, limit: number) =>
    (tenantId === undefined
      ? db.prepare('SELECT * FROM tenant_recoveries ORDER BY created_at DESC, id DESC LIMIT ?').all(limit)
      : db.prepare('SELECT * FROM tenant_recoveries WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(tenantId, limit)
    ).map(recoveryFromRow);
  return {
    list: (query) => Promise.resolve(list(query.tenantId, query.limit)),
    byId: (id) => {
      const row = db.prepare('SELECT * FROM tenant_recoveries WHERE id = ?').get(id);
      return Promise.resolve(row === undefined ? null : recoveryFromRow(row));
    },
    ofTenant: (tenantId, limit) => list(tenantId, limit),
  };
}

/** Writes inside the caller's transaction (BEGIN IMMEDIATE holds the write lock: reads are "for update"). */
export function sqliteRecoveryWrites(db: Database.Database): RecoveryWrites {
  return {
    insertRecovery: (record) => {
      db.prepare(insertSql).run(recoveryColumns(record));
      return Promise.resolve();
    },
    recoveryForUpdate: (tenantId, id) => {
      const row = db.prepare('SELECT * FROM tenant_recoveries WHERE tenant_id = ? AND id = ?').get(tenantId, id);
      return Promise.resolve(row === undefined ? null : recoveryFromRow(row));
    },
    waitingRecoveriesForUpdate: (tenantId) =>
      Promise.resolve(db.prepare("SELECT * FROM tenant_recoveries WHERE tenant_id = ? AND state = 'waiting' ORDER BY created_at, id").all(tenantId).map(recoveryFromRow)),
    updateRecovery: (record) => {
      db.prepare(updateSql).run(recoveryColumns(record));
      return Promise.resolve();
    },
  };
}
