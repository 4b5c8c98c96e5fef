import { STORED_NODE_LEVEL } from '../ledger';
import type { Queryable } from './tenant-context';
import { moveResultsToChunks } from './telemetry-upgrade';

/**
 * The PostgreSQL schema, applied by `control-plane migrate` as the owner role. The server connects
 * as a separate role that owns nothing and has no BYPASSRLS; every table with a `tenant_id` has
 * ENABLE + FORCE ROW LEVEL SECURITY and a policy on `app.tenant_id`, which the storage layer sets
 * with set_config(..., true) inside each transaction, so a pooled connection never carries it over.
 * Append migrations; never edit a released one.
 */

/** The tenant-context predicate every policy uses; '' (an unset local GUC) matches nothing. */
export const TENANT_PREDICATE = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid";

/** The predicate written inside a quoted SQL literal (format strings of dynamic DDL). */
const PREDICATE_IN_LITERAL = TENANT_PREDICATE.replace(/'/g, "''");

/** The current time as the ISO-8601 text the app writes (a column default), written inside a quoted SQL literal. */
const NOW_ISO_IN_LITERAL = `to_char(now() AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'')`;

/** Creates the tenant-owned tables of one store kind in a schema, with RLS forced and tenant-leading indexes. */
const createTenantTables = `
CREATE OR REPLACE FUNCTION bh.create_tenant_tables(target_schema text, with_control boolean, with_telemetry boolean, app_role text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  t text;
BEGIN
  IF with_control THEN
    EXECUTE format('CREATE TABLE %I.agents (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, pool_id uuid, group_name text, created_at text NOT NULL, PRIMARY KEY (tenant_id, id))', target_schema);
    EXECUTE format('CREATE TABLE %I.tenant_identity (tenant_id uuid PRIMARY KEY, issuer text NOT NULL, client_id text NOT NULL, client_secret_sealed bytea NOT NULL, claim text, groups_claim text NOT NULL, ca_pem text, updated_at text NOT NULL)', target_schema);
    EXECUTE format('CREATE TABLE %I.agent_pools (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, ttl_seconds integer NOT NULL, default_group text, created_at text NOT NULL, PRIMARY KEY (tenant_id, id))', target_schema);
    EXECUTE format('CREATE TABLE %I.tenant_users (tenant_id uuid NOT NULL, id uuid NOT NULL, user_name text NOT NULL, external_id text, display_name text, given_name text, family_name text, emails text NOT NULL DEFAULT ''[]'', active boolean NOT NULL DEFAULT true, created_at text NOT NULL, updated_at text NOT NULL DEFAULT ${NOW_ISO_IN_LITERAL}, version integer NOT NULL DEFAULT 1, PRIMARY KEY (tenant_id, id))', target_schema);
    -- userName is unique per tenant regardless of case (RFC 7643: caseExact false).
    EXECUTE format('CREATE UNIQUE INDEX ON %I.tenant_users (tenant_id, lower(user_name))', target_schema);
    EXECUTE format('CREATE INDEX ON %I.tenant_users (tenant_id, external_id)', target_schema);
    EXECUTE format('CREATE INDEX ON %I.tenant_users (tenant_id, created_at, id)', target_schema);
    EXECUTE format('CREATE TABLE %I.tenant_groups (tenant_id uuid NOT NULL, id uuid NOT NULL, display_name text NOT NULL, external_id text, created_at text NOT NULL, updated_at text NOT NULL DEFAULT ${NOW_ISO_IN_LITERAL}, version integer NOT NULL DEFAULT 1, PRIMARY KEY (tenant_id, id))', target_schema);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.tenant_groups (tenant_id, lower(display_name))', target_schema);
    EXECUTE format('CREATE INDEX ON %I.tenant_groups (tenant_id, external_id)', target_schema);
    EXECUTE format('CREATE INDEX ON %I.tenant_groups (tenant_id, created_at, id)', target_schema);
    EXECUTE format('CREATE TABLE %I.group_members (tenant_id uuid NOT NULL, group_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (tenant_id, group_id, user_id))', target_schema);
    EXECUTE format('CREATE INDEX ON %I.group_members (tenant_id, user_id)', target_schema);
    EXECUTE format('CREATE TABLE %I.probe_tests (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, target text NOT NULL DEFAULT '''', kind text NOT NULL DEFAULT ''http'', interval_s integer NOT NULL DEFAULT 60, created_at text NOT NULL, PRIMARY KEY (tenant_id, id))', target_schema);
    EXECUTE format('CREATE TABLE %I.tenant_roles (tenant_id uuid NOT NULL, name text NOT NULL, permissions text NOT NULL, updated_at text NOT NULL, PRIMARY KEY (tenant_id, name))', target_schema);
    EXECUTE format('CREATE TABLE %I.role_mappings (tenant_id uuid NOT NULL, group_name text NOT NULL, role text NOT NULL, PRIMARY KEY (tenant_id, group_name, role))', target_schema);
    EXECUTE format('CREATE TABLE %I.tenant_tokens (tenant_id uuid NOT NULL, id uuid NOT NULL, kind text NOT NULL, token_hash text NOT NULL UNIQUE, name text NOT NULL, created_at text NOT NULL, expires_at text NOT NULL, revoked_at text, subject_id uuid, PRIMARY KEY (tenant_id, id))', target_schema);
    EXECUTE format('CREATE INDEX ON %I.tenant_tokens (tenant_id, kind, created_at)', target_schema);
  END IF;
  IF with_telemetry THEN
    EXECUTE format('CREATE TABLE %I.telemetry_results (tenant_id uuid NOT NULL, test_id text NOT NULL, ts text NOT NULL, latency_ms double precision, ok boolean NOT NULL, batch_id text NOT NULL, sealed_details bytea)', target_schema);
    EXECUTE format('CREATE INDEX ON %I.telemetry_results (tenant_id, test_id, ts)', target_schema);
  END IF;
  FOR t IN SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
           WHERE n.nspname = target_schema AND c.relkind = 'r' LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', target_schema, t);
    EXECUTE format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', target_schema, t);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I.%I', target_schema, t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I.%I USING (${PREDICATE_IN_LITERAL}) WITH CHECK (${PREDICATE_IN_LITERAL})', target_schema, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %I', target_schema, t, app_role);
  END LOOP;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', target_schema, app_role);
END
$fn$`;

/**
 * Adds the ingest tables to a schema that already has the telemetry tables (bh, a silo, a hybrid
 * tenant's own schema): each result's position in its batch, one row per stored batch (its primary
 * key makes a retried batch_id a no-op), and usage meters counted in the same transaction as the
 * writes they count. RLS forced, the tenant policy and grants as in bh.create_tenant_tables.
 */
const createIngestTables = `
CREATE FUNCTION bh.create_ingest_tables(target_schema text, app_role text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  t text;
BEGIN
  EXECUTE format('ALTER TABLE %I.telemetry_results ADD COLUMN idx integer NOT NULL DEFAULT 0', target_schema);
  EXECUTE format('CREATE INDEX ON %I.telemetry_results (tenant_id, ts)', target_schema);
  EXECUTE format('CREATE TABLE %I.telemetry_batches (tenant_id uuid NOT NULL, batch_id text NOT NULL, agent_id uuid NOT NULL, received_at text NOT NULL, first_ts text, last_ts text, result_count integer NOT NULL, flow_count integer NOT NULL, bytes bigint NOT NULL, sealed bytea, PRIMARY KEY (tenant_id, batch_id))', target_schema);
  EXECUTE format('CREATE INDEX ON %I.telemetry_batches (tenant_id, received_at)', target_schema);
  EXECUTE format('CREATE TABLE %I.usage_counters (tenant_id uuid NOT NULL, day text NOT NULL, meter text NOT NULL, value bigint NOT NULL, PRIMARY KEY (tenant_id, day, meter))', target_schema);
  FOREACH t IN ARRAY ARRAY['telemetry_batches', 'usage_counters'] LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', target_schema, t);
    EXECUTE format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', target_schema, t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I.%I USING (${PREDICATE_IN_LITERAL}) WITH CHECK (${PREDICATE_IN_LITERAL})', target_schema, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %I', target_schema, t, app_role);
  END LOOP;
END
$fn$`;

/**
 * Adds the telemetry chunks table to a schema holding telemetry (bh, a silo, a hybrid tenant's own
 * schema): one row per test per batch per UTC hour, the results packed in `body` (#22, see
 * postgres-chunks.ts), indexed by tenant and by test on the chunk's last time. RLS forced, the
 * tenant policy and grants as in bh.create_tenant_tables; in an own schema, bound to its tenant as
 * bh.bind_tenant_schema binds the others.
 */
const createChunkTables = `
CREATE FUNCTION bh.create_chunk_tables(target_schema text, app_role text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  EXECUTE format('CREATE TABLE %I.telemetry_chunks (tenant_id uuid NOT NULL, test_id text NOT NULL, first_ms bigint NOT NULL, last_ms bigint NOT NULL, batch_id text NOT NULL, count integer NOT NULL, body bytea NOT NULL)', target_schema);
  EXECUTE format('CREATE INDEX ON %I.telemetry_chunks (tenant_id, last_ms)', target_schema);
  EXECUTE format('CREATE INDEX ON %I.telemetry_chunks (tenant_id, test_id, last_ms)', target_schema);
  IF target_schema <> 'bh' THEN
    EXECUTE format('ALTER TABLE %I.telemetry_chunks ADD CONSTRAINT bound_to_tenant CHECK (tenant_id = %L::uuid)', target_schema, bh.schema_tenant(target_schema));
  END IF;
  EXECUTE format('ALTER TABLE %I.telemetry_chunks ENABLE ROW LEVEL SECURITY', target_schema);
  EXECUTE format('ALTER TABLE %I.telemetry_chunks FORCE ROW LEVEL SECURITY', target_schema);
  EXECUTE format('CREATE POLICY tenant_isolation ON %I.telemetry_chunks USING (${PREDICATE_IN_LITERAL}) WITH CHECK (${PREDICATE_IN_LITERAL})', target_schema);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.telemetry_chunks TO %I', target_schema, app_role);
END
$fn$`;

/** Adds IdP ownership and the (issuer, subject) → user links to a schema holding tenant control data (bh or a silo). */
const addIdentityOwnership = `
CREATE FUNCTION bh.add_identity_ownership(target_schema text, app_role text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  EXECUTE format('ALTER TABLE %I.tenant_identity ADD COLUMN tenant_owned_at text', target_schema);
  EXECUTE format('CREATE TABLE %I.tenant_identity_links (tenant_id uuid NOT NULL, issuer text NOT NULL, subject text NOT NULL, user_id uuid NOT NULL, created_at text NOT NULL, PRIMARY KEY (tenant_id, issuer, subject))', target_schema);
  EXECUTE format('CREATE INDEX ON %I.tenant_identity_links (tenant_id, user_id)', target_schema);
  EXECUTE format('ALTER TABLE %I.tenant_identity_links ENABLE ROW LEVEL SECURITY', target_schema);
  EXECUTE format('ALTER TABLE %I.tenant_identity_links FORCE ROW LEVEL SECURITY', target_schema);
  EXECUTE format('CREATE POLICY tenant_isolation ON %I.tenant_identity_links USING (${PREDICATE_IN_LITERAL}) WITH CHECK (${PREDICATE_IN_LITERAL})', target_schema);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.tenant_identity_links TO %I', target_schema, app_role);
END
$fn$`;

/**
 * Binds a tenant's own schema to that tenant: every table with a tenant_id gets a CHECK that it is
 * the schema's own tenant, so a transaction in another tenant's context cannot insert its rows there.
 * The app role owns nothing, so it cannot drop the constraint.
 */
const bindTenantSchema = `
CREATE FUNCTION bh.schema_tenant(target_schema text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $fn$
  SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12))::uuid
  FROM (SELECT substr(target_schema, 6) AS h) AS s
$fn$;
CREATE FUNCTION bh.bind_tenant_schema(target_schema text, tenant uuid)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  t text;
BEGIN
  FOR t IN SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
           WHERE n.nspname = target_schema AND c.relkind = 'r' LOOP
    EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT bound_to_tenant CHECK (tenant_id = %L::uuid)', target_schema, t, tenant);
  END LOOP;
END
$fn$`;

/**
 * Builds the stored nodes of every ledger from its leaf hashes, level by level, in SQL (run by the
 * owner in the migration that adds the node tables, so without a tenant context: the tenant
 * ledger's forced RLS is lifted for the statement and restored). A node is
 * SHA-256(0x01 ‖ left ‖ right) as merkle.ts's nodeHash; only complete subtrees exist, and only
 * levels STORED_NODE_LEVEL and up are kept. The provider ledger goes by the nil uuid here.
 */
export const BUILD_LEDGER_NODES = `
     ALTER TABLE bh.tenant_ledger NO FORCE ROW LEVEL SECURITY;
     ALTER TABLE bh.tenant_ledger_nodes NO FORCE ROW LEVEL SECURITY;
     DO $build$
     DECLARE
       lvl int := 0;
       n bigint;
     BEGIN
       CREATE TEMP TABLE ledger_level ON COMMIT DROP AS
         SELECT tenant_id, seq - 1 AS idx, leaf_hash AS hash FROM bh.tenant_ledger
         UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid, seq - 1, leaf_hash FROM bh.provider_ledger;
       LOOP
         lvl := lvl + 1;
         CREATE TEMP TABLE ledger_next ON COMMIT DROP AS
           SELECT l.tenant_id, l.idx / 2 AS idx, sha256(decode('01', 'hex') || l.hash || r.hash) AS hash
           FROM ledger_level l JOIN ledger_level r ON r.tenant_id = l.tenant_id AND r.idx = l.idx + 1
           WHERE l.idx % 2 = 0;
         SELECT count(*) INTO n FROM ledger_next;
         EXIT WHEN n = 0;
         IF lvl >= ${STORED_NODE_LEVEL} THEN
           INSERT INTO bh.tenant_ledger_nodes (tenant_id, level, idx, hash) SELECT tenant_id, lvl, idx, hash FROM ledger_next WHERE tenant_id <> '00000000-0000-0000-0000-000000000000'::uuid;
           INSERT INTO bh.provider_ledger_nodes (level, idx, hash) SELECT lvl, idx, hash FROM ledger_next WHERE tenant_id = '00000000-0000-0000-0000-000000000000'::uuid;
         END IF;
         DROP TABLE ledger_level;
         ALTER TABLE ledger_next RENAME TO ledger_level;
       END LOOP;
       DROP TABLE ledger_level;
       DROP TABLE ledger_next;
     END $build$;
     ALTER TABLE bh.tenant_ledger FORCE ROW LEVEL SECURITY;
     ALTER TABLE bh.tenant_ledger_nodes FORCE ROW LEVEL SECURITY;`;

/** A migration step: SQL, or a function for what SQL alone cannot do (run in the migration's transaction, as the owner). */
export type MigrationStep = string | ((client: Queryable) => Promise<unknown>);

export function migrations(appRole: string): MigrationStep[] {
  const role = `"${appRole.replace(/"/g, '""')}"`;
  const roleLiteral = `'${appRole.replace(/'/g, "''")}'`;
  return [
    `CREATE SCHEMA IF NOT EXISTS bh;
     ${createTenantTables};
     CREATE TABLE bh.deployment (key_id text NOT NULL, created_at text NOT NULL);
     CREATE TABLE bh.operators (id uuid PRIMARY KEY, username text NOT NULL UNIQUE, password_hash text NOT NULL, totp_secret_sealed bytea NOT NULL, roles text NOT NULL, created_at text NOT NULL, last_totp_step bigint);
     CREATE TABLE bh.operator_sessions (id uuid PRIMARY KEY, token_hash text NOT NULL UNIQUE, operator_id uuid NOT NULL REFERENCES bh.operators(id) ON DELETE CASCADE, created_at text NOT NULL, last_seen_at text NOT NULL, expires_at text NOT NULL, revoked_at text);
     CREATE INDEX ON bh.operator_sessions (operator_id);
     CREATE TABLE bh.login_throttle (key text PRIMARY KEY, failures integer NOT NULL, locked_until text, last_failure_at text NOT NULL);
     CREATE TABLE bh.tenants (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT NULL, isolation_model text NOT NULL CHECK (isolation_model IN ('pooled', 'siloed', 'hybrid')), residency text, plan text, contact_email text, state text NOT NULL CHECK (state IN ('active', 'suspended', 'deleted')), quotas text NOT NULL, created_at text NOT NULL, updated_at text NOT NULL);
     CREATE INDEX ON bh.tenants (created_at, id);
     CREATE INDEX ON bh.tenants (state, created_at, id);
     CREATE TABLE bh.tenant_keys (tenant_id uuid PRIMARY KEY REFERENCES bh.tenants(id), wrapped_key bytea NOT NULL);
     CREATE TABLE bh.provider_ledger (seq bigint PRIMARY KEY, ts text NOT NULL, actor text NOT NULL, event_type text NOT NULL, subject_tenant uuid, details text NOT NULL, leaf_hash bytea NOT NULL, mac bytea NOT NULL);
     CREATE INDEX ON bh.provider_ledger (subject_tenant, seq);
     CREATE INDEX ON bh.provider_ledger (event_type, seq);
     CREATE TABLE bh.provider_ledger_head (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), size bigint NOT NULL, root bytea NOT NULL, frontier bytea NOT NULL, mac bytea NOT NULL);
     CREATE TABLE bh.tenant_ledger (tenant_id uuid NOT NULL, seq bigint NOT NULL, ts text NOT NULL, actor text NOT NULL, event_type text NOT NULL, details text NOT NULL, leaf_hash bytea NOT NULL, mac bytea NOT NULL, PRIMARY KEY (tenant_id, seq));
     CREATE INDEX ON bh.tenant_ledger (tenant_id, event_type, seq);
     CREATE TABLE bh.tenant_ledger_heads (tenant_id uuid PRIMARY KEY, size bigint NOT NULL, root bytea NOT NULL, frontier bytea NOT NULL, mac bytea NOT NULL);
     -- The pooled tenant tables; then RLS, the policy and grants on every tenant_id table of bh so far.
     SELECT bh.create_tenant_tables('bh', true, true, '${appRole.replace(/'/g, "''")}');
     CREATE TABLE bh.token_index (token_hash text PRIMARY KEY, tenant_id uuid NOT NULL, kind text NOT NULL);
     CREATE INDEX ON bh.token_index (tenant_id);
     -- Provider tables: the app role reads and writes them; it owns nothing.
     GRANT USAGE ON SCHEMA bh TO ${role};
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.deployment, bh.operators, bh.operator_sessions, bh.login_throttle, bh.tenants, bh.provider_ledger, bh.provider_ledger_head TO ${role};
     -- A presented token is routed to its tenant before any tenant context exists: the row is
     -- visible only to a transaction that already holds the token's hash.
     ALTER TABLE bh.token_index ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.token_index FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.token_index USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     -- Reading only: holding a hash never lets a transaction change or delete the row.
     CREATE POLICY token_lookup ON bh.token_index FOR SELECT USING (token_hash = nullif(current_setting('app.token_hash', true), ''));
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.token_index TO ${role};
     -- Silos: the server asks the owner to create or drop a tenant's own schema, nothing more.
     CREATE FUNCTION bh.create_tenant_schema(tenant uuid, model text) RETURNS text
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, bh, pg_temp AS $fn$
       DECLARE s text := 'bh_t_' || replace(tenant::text, '-', '');
       BEGIN
         IF model NOT IN ('siloed', 'hybrid') THEN RAISE EXCEPTION 'no own schema for model %', model; END IF;
         EXECUTE format('CREATE SCHEMA %I', s);
         PERFORM bh.create_tenant_tables(s, model = 'siloed', true, '${appRole.replace(/'/g, "''")}');
         RETURN s;
       END $fn$;
     -- Drops only the schema of a tenant that is deleted or was never committed (an interrupted create).
     CREATE FUNCTION bh.drop_tenant_schema(tenant uuid) RETURNS void
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, bh, pg_temp AS $fn$
       BEGIN
         IF EXISTS (SELECT 1 FROM bh.tenants t WHERE t.id = tenant AND t.state <> 'deleted') THEN
           RAISE EXCEPTION 'tenant % is not deleted; its schema stays', tenant USING ERRCODE = '42501';
         END IF;
         EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', 'bh_t_' || replace(tenant::text, '-', ''));
       END $fn$;
     REVOKE ALL ON FUNCTION bh.create_tenant_schema(uuid, text), bh.drop_tenant_schema(uuid), bh.create_tenant_tables(text, boolean, boolean, text) FROM PUBLIC;
     GRANT EXECUTE ON FUNCTION bh.create_tenant_schema(uuid, text), bh.drop_tenant_schema(uuid) TO ${role};`,
    `CREATE TABLE bh.replicas (id uuid PRIMARY KEY, address text NOT NULL, started_at text NOT NULL, heartbeat_at text NOT NULL);
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.replicas TO ${role};`,
    // Fairness limits per tenant (JSON; NULL = defaults) and the ingest tables, in bh and in every
    // own schema that exists (silos and hybrid tenants' schemas both hold telemetry).
    `ALTER TABLE bh.tenants ADD COLUMN fairness text;
     ${createIngestTables};
     REVOKE ALL ON FUNCTION bh.create_ingest_tables(text, text) FROM PUBLIC;
     SELECT bh.create_ingest_tables('bh', ${roleLiteral});
     SELECT bh.create_ingest_tables(n.nspname, ${roleLiteral}) FROM pg_catalog.pg_namespace n
       WHERE n.nspname LIKE 'bh\\_t\\_%' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'telemetry_results' AND c.relkind = 'r')
       ORDER BY n.nspname;
     -- Same signature: ownership, SECURITY DEFINER and the grants stay; new own schemas get the ingest tables too.
     CREATE OR REPLACE FUNCTION bh.create_tenant_schema(tenant uuid, model text) RETURNS text
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, bh, pg_temp AS $fn$
       DECLARE s text := 'bh_t_' || replace(tenant::text, '-', '');
       BEGIN
         IF model NOT IN ('siloed', 'hybrid') THEN RAISE EXCEPTION 'no own schema for model %', model; END IF;
         EXECUTE format('CREATE SCHEMA %I', s);
         PERFORM bh.create_tenant_tables(s, model = 'siloed', true, ${roleLiteral});
         PERFORM bh.create_ingest_tables(s, ${roleLiteral});
         RETURN s;
       END $fn$;`,
    // Break-glass requests (with their grants) and each tenant's break-glass policy, in bh for every
    // isolation model (beside the ledgers). Tenant-owned: RLS forced, the tenant policy, tenant-led
    // indexes. Operators list requests across tenants: a SELECT-only policy opens them to a
    // transaction that declares the provider plane (app.plane); writes stay bound to app.tenant_id.
    `CREATE TABLE bh.break_glass_requests (tenant_id uuid NOT NULL REFERENCES bh.tenants(id), id uuid NOT NULL, operator_id uuid NOT NULL, operator_username text NOT NULL,
       reason text NOT NULL, scope text NOT NULL, requested_minutes integer NOT NULL, duration_minutes integer NOT NULL, required_approvals integer NOT NULL,
       state text NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'active', 'expired', 'revoked')), approvals text NOT NULL DEFAULT '[]',
       created_at text NOT NULL, request_expires_at text NOT NULL, decided_at text, decided_by text, decision_note text, activated_at text, grant_expires_at text,
       grant_hash text UNIQUE, ended_at text, ended_by text, end_reason text, PRIMARY KEY (tenant_id, id));
     CREATE INDEX ON bh.break_glass_requests (tenant_id, created_at, id);
     CREATE INDEX ON bh.break_glass_requests (created_at, id);
     CREATE INDEX ON bh.break_glass_requests (state, tenant_id);
     CREATE TABLE bh.break_glass_settings (tenant_id uuid PRIMARY KEY REFERENCES bh.tenants(id), required_approvals integer NOT NULL CHECK (required_approvals IN (1, 2)), updated_at text NOT NULL);
     ALTER TABLE bh.break_glass_requests ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.break_glass_requests FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.break_glass_requests USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     CREATE POLICY provider_read ON bh.break_glass_requests FOR SELECT USING (current_setting('app.plane', true) = 'provider');
     ALTER TABLE bh.break_glass_settings ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.break_glass_settings FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.break_glass_settings USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.break_glass_requests, bh.break_glass_settings TO ${role};`,
    // Handover and recovery (bh.tenants, bh.tenant_recoveries); who owns a tenant's IdP settings and
    // which directory user an IdP subject is (tenant_identity_links), in bh and in every silo; and
    // every own schema bound to its tenant by a CHECK on its own tenant id, so no tenant context but
    // the schema's own can write into it (RLS alone admits whatever tenant_id the context names).
    `ALTER TABLE bh.tenants ADD COLUMN handed_over_at text;
     CREATE TABLE bh.tenant_recoveries (tenant_id uuid NOT NULL REFERENCES bh.tenants(id), id uuid NOT NULL, operator_id uuid NOT NULL, operator_username text NOT NULL,
       reason text NOT NULL, state text NOT NULL CHECK (state IN ('waiting', 'cancelled', 'completed')), created_at text NOT NULL, available_at text NOT NULL,
       ended_at text, ended_by text, end_reason text, PRIMARY KEY (tenant_id, id));
     CREATE INDEX ON bh.tenant_recoveries (tenant_id, created_at, id);
     CREATE INDEX ON bh.tenant_recoveries (id);
     ALTER TABLE bh.tenant_recoveries ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.tenant_recoveries FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.tenant_recoveries USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     CREATE POLICY provider_read ON bh.tenant_recoveries FOR SELECT USING (current_setting('app.plane', true) = 'provider');
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.tenant_recoveries TO ${role};
     ${addIdentityOwnership};
     ${bindTenantSchema};
     REVOKE ALL ON FUNCTION bh.add_identity_ownership(text, text), bh.bind_tenant_schema(text, uuid) FROM PUBLIC;
     SELECT bh.add_identity_ownership('bh', ${roleLiteral});
     SELECT bh.add_identity_ownership(n.nspname, ${roleLiteral}) FROM pg_catalog.pg_namespace n
       WHERE n.nspname LIKE 'bh\\_t\\_%' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'tenant_identity' AND c.relkind = 'r')
       ORDER BY n.nspname;
     SELECT bh.bind_tenant_schema(n.nspname, bh.schema_tenant(n.nspname)) FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'bh\\_t\\_%' ORDER BY n.nspname;
     CREATE OR REPLACE FUNCTION bh.create_tenant_schema(tenant uuid, model text) RETURNS text
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, bh, pg_temp AS $fn$
       DECLARE s text := 'bh_t_' || replace(tenant::text, '-', '');
       BEGIN
         IF model NOT IN ('siloed', 'hybrid') THEN RAISE EXCEPTION 'no own schema for model %', model; END IF;
         EXECUTE format('CREATE SCHEMA %I', s);
         PERFORM bh.create_tenant_tables(s, model = 'siloed', true, ${roleLiteral});
         PERFORM bh.create_ingest_tables(s, ${roleLiteral});
         IF model = 'siloed' THEN PERFORM bh.add_identity_ownership(s, ${roleLiteral}); END IF;
         PERFORM bh.bind_tenant_schema(s, tenant);
         RETURN s;
       END $fn$;`,
    // Operators' TOTP enrollment (and a replacement authenticator) is pending until a first code confirms it (operators from before
    // it count as confirmed); recovery codes as hashes, one row each, so a use is a one-row delete.
    `ALTER TABLE bh.operators ADD COLUMN totp_confirmed_at text;
     ALTER TABLE bh.operators ADD COLUMN totp_replacement_sealed bytea;
     UPDATE bh.operators SET totp_confirmed_at = created_at;
     CREATE TABLE bh.operator_recovery_codes (operator_id uuid NOT NULL REFERENCES bh.operators(id) ON DELETE CASCADE, code_hash text NOT NULL, created_at text NOT NULL, PRIMARY KEY (operator_id, code_hash));
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.operator_recovery_codes TO ${role};`,
    // Usage for billing: gauges (agents, tests) per tenant per UTC day in bh for every model (value:
    // the day's peak, level: after its last change), and deleted tenants' usage kept when their data
    // goes. Tenant-owned (RLS forced, the tenant policy); the export reads across tenants on the
    // provider plane through SELECT-only provider_read policies, on the pooled counters too.
    `CREATE TABLE bh.usage_gauges (tenant_id uuid NOT NULL REFERENCES bh.tenants(id), meter text NOT NULL, day text NOT NULL, value bigint NOT NULL, level bigint NOT NULL, PRIMARY KEY (tenant_id, meter, day));
     CREATE TABLE bh.usage_retained (tenant_id uuid NOT NULL REFERENCES bh.tenants(id), meter text NOT NULL, day text NOT NULL, value bigint NOT NULL, level bigint, PRIMARY KEY (tenant_id, meter, day));
     ALTER TABLE bh.usage_gauges ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.usage_gauges FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.usage_gauges USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     CREATE POLICY provider_read ON bh.usage_gauges FOR SELECT USING (current_setting('app.plane', true) = 'provider');
     ALTER TABLE bh.usage_retained ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.usage_retained FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.usage_retained USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     CREATE POLICY provider_read ON bh.usage_retained FOR SELECT USING (current_setting('app.plane', true) = 'provider');
     CREATE POLICY provider_read ON bh.usage_counters FOR SELECT USING (current_setting('app.plane', true) = 'provider');
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.usage_gauges, bh.usage_retained TO ${role};`,
    // Tenants' white-label brands, in bh for every isolation model. Tenant-owned: RLS forced, the
    // tenant policy. A sign-in wall finds a brand by its custom domain before any tenant is known: a
    // SELECT-only policy shows a row to a transaction that names its domain (app.brand_domain), as
    // token routing does with a token's hash. A custom domain belongs to one tenant (UNIQUE).
    `CREATE TABLE bh.tenant_branding (tenant_id uuid PRIMARY KEY REFERENCES bh.tenants(id), design text NOT NULL, custom_domain text UNIQUE, updated_at text NOT NULL);
     ALTER TABLE bh.tenant_branding ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.tenant_branding FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.tenant_branding USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     CREATE POLICY domain_lookup ON bh.tenant_branding FOR SELECT USING (custom_domain = nullif(current_setting('app.brand_domain', true), ''));
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.tenant_branding TO ${role};`,
    // Ed25519 keys signing the ledgers' tree heads (private keys sealed under the deployment key): a
    // provider table. One active key (retired_at NULL), kept unique by a partial index; retired keys stay listed.
    `CREATE TABLE bh.ledger_signing_keys (key_id text PRIMARY KEY, public_key_pem text NOT NULL, sealed_private_key bytea NOT NULL, created_at text NOT NULL, retired_at text);
     CREATE UNIQUE INDEX ledger_signing_keys_one_active ON bh.ledger_signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
     GRANT SELECT, INSERT, UPDATE ON bh.ledger_signing_keys TO ${role};`,
    // Interior nodes of the ledgers' Merkle trees (perfect subtrees of 16 leaves and more, see
    // storage/ledger.ts STORED_NODE_LEVEL), written as appends complete them, so proofs read
    // O(log n) rows. The provider ledger's are a provider table; a tenant ledger's are tenant-owned
    // (RLS forced, the tenant policy, tenant-led key). Ledgers written before are built here, once.
    `CREATE TABLE bh.provider_ledger_nodes (level smallint NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (level, idx));
     CREATE TABLE bh.tenant_ledger_nodes (tenant_id uuid NOT NULL, level smallint NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (tenant_id, level, idx));
     ${BUILD_LEDGER_NODES}
     ALTER TABLE bh.tenant_ledger_nodes ENABLE ROW LEVEL SECURITY;
     ALTER TABLE bh.tenant_ledger_nodes FORCE ROW LEVEL SECURITY;
     CREATE POLICY tenant_isolation ON bh.tenant_ledger_nodes USING (${TENANT_PREDICATE}) WITH CHECK (${TENANT_PREDICATE});
     GRANT SELECT, INSERT, UPDATE, DELETE ON bh.provider_ledger_nodes, bh.tenant_ledger_nodes TO ${role};`,
    // Telemetry results in packed per-test chunks (#22): the chunks table in bh and in every own
    // schema, and own schemas made from now on get it in place of telemetry_results.
    `${createChunkTables};
     REVOKE ALL ON FUNCTION bh.create_chunk_tables(text, text) FROM PUBLIC;
     SELECT bh.create_chunk_tables('bh', ${roleLiteral});
     SELECT bh.create_chunk_tables(n.nspname, ${roleLiteral}) FROM pg_catalog.pg_namespace n
       WHERE n.nspname LIKE 'bh\\_t\\_%' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'telemetry_results' AND c.relkind = 'r')
       ORDER BY n.nspname;
     CREATE OR REPLACE FUNCTION bh.create_tenant_schema(tenant uuid, model text) RETURNS text
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, bh, pg_temp AS $fn$
       DECLARE s text := 'bh_t_' || replace(tenant::text, '-', '');
       BEGIN
         IF model NOT IN ('siloed', 'hybrid') THEN RAISE EXCEPTION 'no own schema for model %', model; END IF;
         EXECUTE format('CREATE SCHEMA %I', s);
         PERFORM bh.create_tenant_tables(s, model = 'siloed', true, ${roleLiteral});
         PERFORM bh.create_ingest_tables(s, ${roleLiteral});
         IF model = 'siloed' THEN PERFORM bh.add_identity_ownership(s, ${roleLiteral}); END IF;
         PERFORM bh.bind_tenant_schema(s, tenant);
         PERFORM bh.create_chunk_tables(s, ${roleLiteral});
         EXECUTE format('DROP TABLE %I.telemetry_results', s);
         RETURN s;
       END $fn$;`,
    // ...and the results stored a row each move into chunks; telemetry_results goes (telemetry-upgrade.ts).
    (client) => moveResultsToChunks(client),
    // The app role reads the applied version, so a server refuses a schema it does not match at
    // start-up (schema-version.ts) rather than failing statements at request time.
    `GRANT SELECT ON bh.schema_migrations TO ${role};`,
  ];
}

/** Applies pending migrations as the owner, under an advisory lock so replicas starting together do not race. */
export async function migratePostgres(client: Queryable, appRole: string): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(4242001)');
    await client.query('CREATE SCHEMA IF NOT EXISTS bh');
    await client.query('CREATE TABLE IF NOT EXISTS bh.schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)');
    const applied = (await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM bh.schema_migrations')).rows[0]?.v ?? 0;
    const steps = migrations(appRole);
    let ran = 0;
    for (let version = applied + 1; version <= steps.length; version++) {
      const step = steps[version - 1] ?? '';
      if (typeof step === 'string') await client.query(step);
      else await step(client);
      await client.query('INSERT INTO bh.schema_migrations (version, applied_at) VALUES ($1, $2)', [version, new Date().toISOString()]);
      ran++;
    }
    await client.query('COMMIT');
    return ran;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
