/**
 * Migration steps of the tables that hold tenants' own data, which a silo holds too (the shared
 * stores hold them for pooled and hybrid tenants): control data, tokens and telemetry. Each table
 * has `tenant_id` and an index that begins with it. Released steps never change; see migrations.ts.
 */

/** Tenant control data: the same tables in the shared control store and in each silo. */
export const tenantControlTables: readonly string[] = [
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
export const tenantTokens = `CREATE TABLE tenant_tokens (
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

/** Telemetry: the pooled telemetry store, a hybrid tenant's own telemetry file, and each silo. */
export const telemetryTables: readonly string[] = [
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
export const pendingBatches = `ALTER TABLE telemetry_batches ADD COLUMN pending_from INTEGER;
   CREATE INDEX telemetry_batches_pending ON telemetry_batches (tenant_id) WHERE pending_from IS NOT NULL`;

/**
 * Who owns a tenant's IdP settings (the provider during onboarding, the tenant once it set or
 * confirmed them after handover), and which directory user each IdP subject is: sign-ins find
 * people by (issuer, subject) only, never by email. Control data: the shared store and each silo.
 */
export const identityOwnership = `ALTER TABLE tenant_identity ADD COLUMN tenant_owned_at TEXT;
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
 * Usage gauges (agents, tests) per tenant per UTC day, beside what they count: the shared control
 * store (pooled and hybrid tenants) and each silo. `value` is the day's peak, `level` the count
 * after the day's last change (carried into the days after it).
 */
export const usageGauges = `CREATE TABLE usage_gauges (
     tenant_id TEXT NOT NULL,
     meter TEXT NOT NULL,
     day TEXT NOT NULL,
     value INTEGER NOT NULL,
     level INTEGER NOT NULL,
     PRIMARY KEY (tenant_id, meter, day)
   ) STRICT`;

/**
 * Deleted tenants' usage, copied into the shared control store when they are deleted (their own
 * stores go, and pooled rows lose their cell): counters (level NULL) and gauges, as above.
 */
export const usageRetained = `CREATE TABLE usage_retained (
     tenant_id TEXT NOT NULL,
     meter TEXT NOT NULL,
     day TEXT NOT NULL,
     value INTEGER NOT NULL,
     level INTEGER,
     PRIMARY KEY (tenant_id, meter, day)
   ) STRICT`;

/**
 * The compact telemetry layout (issue #22). Results are stored in chunks: one row per test per
 * batch per hour (at most CHUNK_MAX_RESULTS results), its columns packed into `body` (see
 * telemetry-chunk-codec.ts), so the table and its indexes hold one entry per chunk, not per result.
 * Tenants and tests get integer keys of this file (`telemetry_tenants`, `telemetry_series`); a
 * chunk's `tenant_id` is that integer key (STRICT: a tenant's UUID cannot be bound to it by
 * mistake). A chunk spans less than an hour, so a range read bounds `last_ms` on both sides.
 * Batches keep their row (idempotence, sealed details, pending); `telemetry_results` is moved into
 * chunks by the migration step that follows this one, then dropped.
 */
export const telemetryChunks = `CREATE TABLE telemetry_tenants (
     id INTEGER PRIMARY KEY,
     tenant_id TEXT NOT NULL UNIQUE
   ) STRICT;
   CREATE TABLE telemetry_series (
     id INTEGER PRIMARY KEY,
     tenant_id INTEGER NOT NULL,
     test_id TEXT NOT NULL,
     UNIQUE (tenant_id, test_id)
   ) STRICT;
   CREATE TABLE telemetry_chunks (
     tenant_id INTEGER NOT NULL,
     series INTEGER NOT NULL,
     first_ms INTEGER NOT NULL,
     last_ms INTEGER NOT NULL,
     batch_id TEXT NOT NULL,
     count INTEGER NOT NULL,
     body BLOB NOT NULL
   ) STRICT;
   CREATE INDEX telemetry_chunks_by_tenant ON telemetry_chunks (tenant_id, last_ms);
   CREATE INDEX telemetry_chunks_by_series ON telemetry_chunks (series, last_ms)`;
