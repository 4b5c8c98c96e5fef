import type Database from 'better-sqlite3';

/**
 * Schema migrations by store kind, applied in order, one transaction each. Append new steps;
 * never edit a released one. Every tenant-owned table has `tenant_id` and an index that begins
 * with it, in shared stores and silos alike (physical separation stacks on top of scoping).
 */

/** Tenant control data: the same tables in the shared control store and in each silo. */
const tenantControlTables: readonly string[] = [
  `CREATE TABLE agents (
     tenant_id TEXT NOT NULL,
     id TEXT NOT NULL,
     name TEXT NOT NULL,
     pool_id TEXT,
     group_name TEXT,
     created_at TEXT NOT NULL,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   CREATE TABLE tenant_identity (
     tenant_id TEXT NOT NULL PRIMARY KEY,
     issuer TEXT NOT NULL,
     client_id TEXT NOT NULL,
     client_secret_sealed BLOB NOT NULL,
     claim TEXT,
     groups_claim TEXT NOT NULL,
     ca_pem TEXT,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE agent_pools (
     tenant_id TEXT NOT NULL,
     id TEXT NOT NULL,
     name TEXT NOT NULL,
     ttl_seconds INTEGER NOT NULL,
     default_group TEXT,
     created_at TEXT NOT NULL,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   CREATE TABLE tenant_users (
     tenant_id TEXT NOT NULL,
     id TEXT NOT NULL,
     user_name TEXT NOT NULL,
     external_id TEXT,
     display_name TEXT,
     given_name TEXT,
     family_name TEXT,
     emails TEXT NOT NULL DEFAULT '[]',
     active INTEGER NOT NULL DEFAULT 1,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
     version INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   -- userName is unique per tenant regardless of case (RFC 7643: caseExact false).
   CREATE UNIQUE INDEX tenant_users_by_user_name ON tenant_users (tenant_id, lower(user_name));
   CREATE INDEX tenant_users_by_external_id ON tenant_users (tenant_id, external_id);
   CREATE INDEX tenant_users_by_created ON tenant_users (tenant_id, created_at, id);
   CREATE TABLE tenant_groups (
     tenant_id TEXT NOT NULL,
     id TEXT NOT NULL,
     display_name TEXT NOT NULL,
     external_id TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
     version INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   CREATE UNIQUE INDEX tenant_groups_by_display_name ON tenant_groups (tenant_id, lower(display_name));
   CREATE INDEX tenant_groups_by_external_id ON tenant_groups (tenant_id, external_id);
   CREATE INDEX tenant_groups_by_created ON tenant_groups (tenant_id, created_at, id);
   CREATE TABLE group_members (
     tenant_id TEXT NOT NULL,
     group_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     PRIMARY KEY (tenant_id, group_id, user_id)
   ) STRICT;
   CREATE INDEX group_members_by_user ON group_members (tenant_id, user_id);
   CREATE TABLE probe_tests (
     tenant_id TEXT NOT NULL,
     id TEXT NOT NULL,
     name TEXT NOT NULL,
     target TEXT NOT NULL DEFAULT '',
     kind TEXT NOT NULL DEFAULT 'http',
     interval_s INTEGER NOT NULL DEFAULT 60,
     created_at TEXT NOT NULL,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   CREATE TABLE tenant_roles (
     tenant_id TEXT NOT NULL,
     name TEXT NOT NULL,
     permissions TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (tenant_id, name)
   ) STRICT;
   CREATE TABLE role_mappings (
     tenant_id TEXT NOT NULL,
     group_name TEXT NOT NULL,
     role TEXT NOT NULL,
     PRIMARY KEY (tenant_id, group_name, role)
   ) STRICT`,
];

/** Tenant tokens (admin tokens now; SCIM, bootstrap and agent tokens later): tenant data, so silos keep their own. */
const tenantTokens = `CREATE TABLE tenant_tokens (
     tenant_id TEXT NOT NULL,
     id TEXT NOT NULL,
     kind TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     revoked_at TEXT,
     subject_id TEXT,
     PRIMARY KEY (tenant_id, id)
   ) STRICT;
   CREATE INDEX tenant_tokens_by_tenant ON tenant_tokens (tenant_id, kind, created_at)`;

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

/** Telemetry: the pooled telemetry store, a hybrid tenant's own telemetry file, and each silo. */
const telemetryTables: readonly string[] = [
  `CREATE TABLE telemetry_results (
     tenant_id TEXT NOT NULL,
     test_id TEXT NOT NULL,
     ts TEXT NOT NULL,
     latency_ms REAL,
     ok INTEGER NOT NULL,
     batch_id TEXT NOT NULL,
     sealed_details BLOB
   ) STRICT;
   CREATE INDEX telemetry_results_by_tenant ON telemetry_results (tenant_id, test_id, ts)`,
  // Ingest: a batch row per stored batch (its primary key makes a retried batch_id a no-op), the
  // batch's details sealed once, each result's position in it, and usage meters counted in the
  // same transaction as the writes they count.
  `ALTER TABLE telemetry_results ADD COLUMN idx INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX telemetry_results_by_time ON telemetry_results (tenant_id, ts);
   CREATE TABLE telemetry_batches (
     tenant_id TEXT NOT NULL,
     batch_id TEXT NOT NULL,
     agent_id TEXT NOT NULL,
     received_at TEXT NOT NULL,
     first_ts TEXT,
     last_ts TEXT,
     result_count INTEGER NOT NULL,
     flow_count INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     sealed BLOB,
     PRIMARY KEY (tenant_id, batch_id)
   ) STRICT;
   CREATE INDEX telemetry_batches_by_received ON telemetry_batches (tenant_id, received_at);
   CREATE TABLE usage_counters (
     tenant_id TEXT NOT NULL,
     day TEXT NOT NULL,
     meter TEXT NOT NULL,
     value INTEGER NOT NULL,
     PRIMARY KEY (tenant_id, day, meter)
   ) STRICT`,
];

/**
 * A batch the writer paused part-way so another tenant's write could commit (see
 * telemetry-writer-thread.ts): `pending_from` is the rowid of its first result while it is
 * unfinished. Readers skip pending batches; the writer removes one left by a crash before writing.
 */
const pendingBatches = `ALTER TABLE telemetry_batches ADD COLUMN pending_from INTEGER;
   CREATE INDEX telemetry_batches_pending ON telemetry_batches (tenant_id) WHERE pending_from IS NOT NULL`;

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
 * Who owns a tenant's IdP settings (the provider during onboarding, the tenant once it set or
 * confirmed them after handover), and which directory user each IdP subject is: sign-ins find
 * people by (issuer, subject) only, never by email. Control data: the shared store and each silo.
 */
const identityOwnership = `ALTER TABLE tenant_identity ADD COLUMN tenant_owned_at TEXT;
   CREATE TABLE tenant_identity_links (
     tenant_id TEXT NOT NULL,
     issuer TEXT NOT NULL,
     subject TEXT NOT NULL,
     user_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (tenant_id, issuer, subject)
   ) STRICT;
   CREATE INDEX tenant_identity_links_by_user ON tenant_identity_links (tenant_id, user_id)`;

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
export const migrationSets: Record<'control' | 'telemetry' | 'silo', readonly string[]> = {
  /** The shared control store: provider data, tenant rows, ledgers, and pooled tenants' control data. */
  control: [controlOnly[0], controlOnly[1], controlOnly[2], tenantControlTables[0], tenantTokens, tokenIndex, replicas, tenantFairness, breakGlass, telemetryCells, identityOwnership, handover].map(defined),
  /** The pooled telemetry store and a hybrid tenant's own telemetry file. */
  telemetry: [telemetryTables[0], telemetryTables[1], pendingBatches].map(defined),
  /** A siloed tenant's own file: all of its data. */
  silo: [tenantControlTables[0], telemetryTables[0], tenantTokens, telemetryTables[1], pendingBatches, identityOwnership].map(defined),
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
  migrationSets[kind].forEach((sql, index) => {
    const version = index + 1;
    if (version <= applied) {
      return;
    }
    db.transaction(() => {
      db.exec(sql);
      record.run(version, new Date().toISOString());
    })();
  });
}
