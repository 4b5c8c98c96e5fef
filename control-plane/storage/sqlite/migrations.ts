import type Database from 'better-sqlite3';
import { identityOwnership, pendingBatches, telemetryChunks, telemetryTables, tenantControlTables, tenantTokens, usageGauges, usageRetained } from './tenant-tables';
import { moveResultsToChunks } from './telemetry-upgrade';

/** A step is SQL, or a function for one SQL cannot express (moving rows into packed chunks). */
type Step = string | ((db: Database.Database) => void);

/**
 * Schema migrations by store kind, applied in order, one transaction each. Append new steps;
 * never edit a released one. Every tenant-owned table has `tenant_id` and an index that begins
 * with it, in shared stores and silos alike (physical separation stacks on top of scoping).
 */

/** Routes a presented token to its tenant; the token itself lives in that tenant's store. */
const tokenIndex = `CREATE TABLE token_index (
     token_hash TEXT PRIMARY KEY,
     tenant_id TEXT NOT NULL REFERENCES tenants(id),
     kind TEXT NOT NULL
   ) STRICT;
   CREATE INDEX token_index_by_tenant ON token_index (tenant_id)`;

/** Serving processes and their heartbeats (one, for SQLite; the same shape as PostgreSQL's). */
const replicas = `CREATE TABLE replicas (
     id TEXT PRIMARY KEY,
     address TEXT NOT NULL,
     started_at TEXT NOT NULL,
     heartbeat_at TEXT NOT NULL
   ) STRICT`;

/** Fairness limits a provider set on a tenant (JSON; NULL = defaults). */
const tenantFairness = 'ALTER TABLE tenants ADD COLUMN fairness TEXT';

/**
 * Which pooled telemetry cell (file) holds a pooled tenant's telemetry, chosen when the tenant is
 * created. Tenants from before cells have no row: cell 0, the original telemetry.db.
 */
const telemetryCells = `CREATE TABLE telemetry_cells (
     tenant_id TEXT PRIMARY KEY,
     cell INTEGER NOT NULL CHECK (cell >= 0)
   ) STRICT`;

/**
 * Break-glass requests (and their grants) and each tenant's break-glass policy. In the shared control
 * store for every isolation model, beside the ledgers: operators list requests across tenants.
 */
const breakGlass = `CREATE TABLE break_glass_requests (
     tenant_id TEXT NOT NULL REFERENCES tenants(id),
     id TEXT NOT NULL,
     operator_id TEXT NOT NULL,
     operator_username TEXT NOT NULL,
     reason TEXT NOT NULL,
     scope TEXT NOT NULL,
     requested_minutes INTEGER NOT NULL,
     duration_minutes INTEGER NOT NULL,
     required_approvals INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'active', 'expired', 'revoked')),
     approvals TEXT NOT NULL DEFAULT '[]',
     created_at TEXT NOT NULL,
     request_expires_at TEXT NOT NULL,
     decided_at TEXT,
     decided_by TEXT,
     decision_note TEXT,
     activated_at TEXT,
     grant_expires_at TEXT,
     grant_hash TEXT UNIQUE,
     ended_at TEXT,
     ended_by TEXT,
     end_reason TEXT,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   CREATE INDEX break_glass_by_tenant ON break_glass_requests (tenant_id, created_at, id);
   CREATE INDEX break_glass_by_created ON break_glass_requests (created_at, id);
   CREATE INDEX break_glass_by_state ON break_glass_requests (state, tenant_id);
   CREATE TABLE break_glass_settings (
     tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants(id),
     required_approvals INTEGER NOT NULL CHECK (required_approvals IN (1, 2)),
     updated_at TEXT NOT NULL
   ) STRICT`;

/**
 * Handover (when the customer took ownership) and recovery requests for tenants that lost every
 * credential. Recoveries sit in the shared control store for every model, beside break-glass.
 */
const handover = `ALTER TABLE tenants ADD COLUMN handed_over_at TEXT;
   CREATE TABLE tenant_recoveries (
     tenant_id TEXT NOT NULL REFERENCES tenants(id),
     id TEXT NOT NULL,
     operator_id TEXT NOT NULL,
     operator_username TEXT NOT NULL,
     reason TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('waiting', 'cancelled', 'completed')),
     created_at TEXT NOT NULL,
     available_at TEXT NOT NULL,
     ended_at TEXT,
     ended_by TEXT,
     end_reason TEXT,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   CREATE INDEX tenant_recoveries_by_created ON tenant_recoveries (tenant_id, created_at, id);
   CREATE INDEX tenant_recoveries_by_id ON tenant_recoveries (id)`;

/**
 * Operators' TOTP enrollment is pending until a first code confirms it, and so is a new
 * authenticator an enrolled operator sets up (totp_replacement_sealed); recovery codes are stored
 * as hashes, one row each, so using one is a single-row delete. Operators from before enrollment
 * had their secret shown at creation and signed in with it: they count as confirmed.
 */
const operatorEnrollment = `ALTER TABLE operators ADD COLUMN totp_confirmed_at TEXT;
   ALTER TABLE operators ADD COLUMN totp_replacement_sealed BLOB;
   UPDATE operators SET totp_confirmed_at = created_at;
   CREATE TABLE operator_recovery_codes (
     operator_id TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
     code_hash TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (operator_id, code_hash)
   ) STRICT`;

/** Usage gauges of pooled and hybrid tenants, and deleted tenants' usage kept for billing (see tenant-tables.ts). */
const usageControl = `${usageGauges};
   ${usageRetained}`;

/**
 * Tenants' white-label brands, in the shared control store for every isolation model: a sign-in wall
 * finds one by host before any tenant credential exists. A custom domain belongs to one tenant.
 */
const branding = `CREATE TABLE tenant_branding (
     tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants(id),
     design TEXT NOT NULL,
     custom_domain TEXT UNIQUE,
     updated_at TEXT NOT NULL
   ) STRICT`;

/**
 * Ed25519 keys signing the ledgers' tree heads (private keys sealed under the deployment key). One
 * active key (retired_at NULL), kept unique by a partial index; retired keys stay listed.
 */
const ledgerSigningKeys = `CREATE TABLE ledger_signing_keys (
     key_id TEXT PRIMARY KEY,
     public_key_pem TEXT NOT NULL,
     sealed_private_key BLOB NOT NULL,
     created_at TEXT NOT NULL,
     retired_at TEXT
   ) STRICT;
   CREATE UNIQUE INDEX ledger_signing_keys_one_active ON ledger_signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL`;

/**
 * Interior nodes of the ledgers' Merkle trees (perfect subtrees of 16 leaves and more, see
 * storage/ledger.ts STORED_NODE_LEVEL), written as appends complete them, so proofs read O(log n)
 * rows. A ledger written before this step gets its nodes when the store is opened (sqlite-ledger.ts).
 */
/** Facts about the data dir as a whole (e.g. which telemetry schema every store was brought to). */
const dataDirMarks = `CREATE TABLE data_dir_marks (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) STRICT`;

const ledgerNodes = `CREATE TABLE ledger_nodes (
     ledger_id TEXT NOT NULL,
     level INTEGER NOT NULL,
     idx INTEGER NOT NULL,
     hash BLOB NOT NULL,
     PRIMARY KEY (ledger_id, level, idx)
   ) STRICT, WITHOUT ROWID`;

const controlOnly: readonly string[] = [
  `CREATE TABLE operators (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE,
     password_hash TEXT NOT NULL,
     totp_secret_sealed BLOB NOT NULL,
     roles TEXT NOT NULL,
     created_at TEXT NOT NULL,
     last_totp_step INTEGER
   ) STRICT`,
  `CREATE TABLE operator_sessions (
     id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     operator_id TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
     created_at TEXT NOT NULL,
     last_seen_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     revoked_at TEXT
   ) STRICT;
   CREATE INDEX operator_sessions_operator ON operator_sessions(operator_id);
   CREATE TABLE login_throttle (
     key TEXT PRIMARY KEY,
     failures INTEGER NOT NULL,
     locked_until TEXT,
     last_failure_at TEXT NOT NULL
   ) STRICT`,
  `CREATE TABLE tenants (
     id TEXT PRIMARY KEY,
     slug TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     isolation_model TEXT NOT NULL CHECK (isolation_model IN ('pooled', 'siloed', 'hybrid')),
     residency TEXT,
     plan TEXT,
     contact_email TEXT,
     state TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'deleted')),
     quotas TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX tenants_by_created ON tenants (created_at, id);
   CREATE INDEX tenants_by_state ON tenants (state, created_at, id);
   CREATE TABLE tenant_keys (
     tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
     wrapped_key BLOB NOT NULL
   ) STRICT;
   CREATE TABLE ledger_entries (
     ledger_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     ts TEXT NOT NULL,
     actor TEXT NOT NULL,
     event_type TEXT NOT NULL,
     tenant_id TEXT,
     details TEXT NOT NULL,
     leaf_hash BLOB NOT NULL,
     mac BLOB NOT NULL,
     PRIMARY KEY (ledger_id, seq)
   ) STRICT;
   CREATE INDEX ledger_by_tenant ON ledger_entries (ledger_id, tenant_id, seq);
   CREATE INDEX ledger_by_event ON ledger_entries (ledger_id, event_type, seq);
   CREATE TABLE ledger_heads (
     ledger_id TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     root BLOB NOT NULL,
     frontier BLOB NOT NULL,
     mac BLOB NOT NULL
   ) STRICT`,
];

/** Each kind's steps in order; a step's position is its version, so only ever append. */
export const migrationSets: { control: readonly string[]; telemetry: readonly Step[]; silo: readonly Step[] } = {
  /** The shared control store: provider data, tenant rows, ledgers, and pooled tenants' control data. */
  control: [controlOnly[0], controlOnly[1], controlOnly[2], tenantControlTables[0], tenantTokens, tokenIndex, replicas, tenantFairness, breakGlass, telemetryCells, identityOwnership, handover, operatorEnrollment, usageControl, branding, ledgerSigningKeys, ledgerNodes, dataDirMarks].map(defined),
  /** The pooled telemetry store and a hybrid tenant's own telemetry file. */
  telemetry: [...[telemetryTables[0], telemetryTables[1], pendingBatches, telemetryChunks].map(defined), moveResultsToChunks],
  /** A siloed tenant's own file: all of its data. */
  silo: [...[tenantControlTables[0], telemetryTables[0], tenantTokens, telemetryTables[1], pendingBatches, identityOwnership, usageGauges, telemetryChunks].map(defined), moveResultsToChunks],
};

function defined(step: string | undefined): string {
  if (step === undefined) {
    throw new Error('missing migration step');
  }
  return step;
}

export type StoreKind = keyof typeof migrationSets;

export function migrate(db: Database.Database, kind: StoreKind): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  const applied = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  const steps: readonly Step[] = migrationSets[kind];
  steps.forEach((step, index) => {
    const version = index + 1;
    if (version <= applied) {
      return;
    }
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      record.run(version, new Date().toISOString());
    })();
  });
}
