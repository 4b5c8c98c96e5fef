import type Database from 'better-sqlite3';
import type { RecoveryReader, RecoveryRecord, RecoveryScope, RecoveryWrites } from '../recovery';
import { RECOVERY_COLUMNS, RECOVERY_MUTABLE_COLUMNS, recoveryColumns, recoveryFromRow } from '../rows/recovery-rows';
import { done, insertSql, updateSql } from './connection';

/** Recovery requests in the shared control store (every isolation model), beside break-glass requests. */
const insertRecovery = insertSql('tenant_recoveries', RECOVERY_COLUMNS);
const updateRecovery = updateSql('tenant_recoveries', RECOVERY_MUTABLE_COLUMNS);

/** Newest first, of one tenant or of all. */
function list(db: Database.Database, tenantId: string | undefined, limit: number): RecoveryRecord[] {
  return (
    tenantId === undefined
      ? db.prepare('SELECT * FROM tenant_recoveries ORDER BY created_at DESC, id DESC LIMIT ?').all(limit)
      : db.prepare('SELECT * FROM tenant_recoveries WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(tenantId, limit)
  ).map(recoveryFromRow);
}

export function sqliteRecoveryReader(db: Database.Database): RecoveryReader {
  return {
    list: (query) => Promise.resolve(list(db, query.tenantId, query.limit)),
    byId: (id) => {
      const row = db.prepare('SELECT * FROM tenant_recoveries WHERE id = ?').get(id);
      return Promise.resolve(row === undefined ? null : recoveryFromRow(row));
    },
  };
}

export function sqliteRecoveryScope(db: Database.Database, tenantId: string): RecoveryScope {
  return { recoveries: (limit) => Promise.resolve(list(db, tenantId, limit)) };
}

/** Writes inside the caller's transaction (BEGIN IMMEDIATE holds the write lock: reads are "for update"). */
export function sqliteRecoveryWrites(db: Database.Database): RecoveryWrites {
  return {
    insertRecovery: (record) => {
      db.prepare(insertRecovery).run(recoveryColumns(record));
      return done;
    },
    recoveryForUpdate: (tenantId, id) => {
      const row = db.prepare('SELECT * FROM tenant_recoveries WHERE tenant_id = ? AND id = ?').get(tenantId, id);
      return Promise.resolve(row === undefined ? null : recoveryFromRow(row));
    },
    waitingRecoveriesForUpdate: (tenantId) =>
      Promise.resolve(db.prepare("SELECT * FROM tenant_recoveries WHERE tenant_id = ? AND state = 'waiting' ORDER BY created_at, id").all(tenantId).map(recoveryFromRow)),
    updateRecovery: (record) => {
      db.prepare(updateRecovery).run(recoveryColumns(record));
      return done;
    },
  };
}
