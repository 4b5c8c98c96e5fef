import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrationSets } from './migrations';

describe('control store migration: operator enrollment', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('counts operators from before enrollment as confirmed (they signed in with their secret), and gives them no recovery codes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-migrate-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'control-plane.db'));
    try {
      // A store migrated up to the step before enrollment, the way an older release left it.
      const before = migrationSets.control.findIndex((sql) => sql.includes('CREATE TABLE operator_recovery_codes'));
      expect(before).toBeGreaterThan(0);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
      migrationSets.control.slice(0, before).forEach((sql, index) => {
        db.exec(sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(index + 1, '2026-01-01T00:00:00.000Z');
      });
      db.prepare("INSERT INTO operators (id, username, password_hash, totp_secret_sealed, roles, created_at, last_totp_step) VALUES ('op-1', 'alice', 'scrypt$x', x'00', '[\"provider_admin\"]', '2026-01-02T03:04:05.000Z', 58000000)").run();

      migrate(db, 'control');

      expect(db.prepare("SELECT totp_confirmed_at, last_totp_step FROM operators WHERE id = 'op-1'").get()).toEqual({ totp_confirmed_at: '2026-01-02T03:04:05.000Z', last_totp_step: 58000000 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM operator_recovery_codes').get()).toEqual({ n: 0 });
      // A new operator starts pending.
      db.prepare("INSERT INTO operators (id, username, password_hash, totp_secret_sealed, roles, created_at) VALUES ('op-2', 'bob', 'scrypt$x', x'00', '[]', '2026-02-01T00:00:00.000Z')").run();
      expect(db.prepare("SELECT totp_confirmed_at FROM operators WHERE id = 'op-2'").get()).toEqual({ totp_confirmed_at: null });
      // Removing an operator removes its recovery codes.
      db.pragma('foreign_keys = ON');
      db.prepare("INSERT INTO operator_recovery_codes (operator_id, code_hash, created_at) VALUES ('op-1', 'h', '2026-01-03T00:00:00.000Z')").run();
      db.prepare("DELETE FROM operators WHERE id = 'op-1'").run();
      expect(db.prepare('SELECT COUNT(*) AS n FROM operator_recovery_codes').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
