import pg from 'pg';
import { migrations } from './schema';
import type { Queryable } from './tenant-context';

/**
 * The start-up check of the PostgreSQL schema's version: the server (as the app role) reads the
 * version `migrate` recorded and refuses a schema behind this build (run migrate) or ahead of it (a
 * newer release migrated it), instead of failing statements at request time.
 */

/** The steps this build knows; their count does not depend on the app role's name. */
export function knownSchemaVersion(): number {
  return migrations('bulkhead_app').length;
}

/** SQLSTATEs of a database from before the step that lets the app role read the version: behind. */
const PREDATES_VERSION_GRANT = new Set(['42501', '42P01']);

/** The applied version, or null when this role may not read it (the schema predates that step). */
export async function appliedSchemaVersion(client: Queryable): Promise<number | null> {
  try {
    const row = (await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM bh.schema_migrations')).rows[0];
    return row?.v ?? 0;
  } catch (error) {
    if (error instanceof pg.DatabaseError && error.code !== undefined && PREDATES_VERSION_GRANT.has(error.code)) return null;
    throw error;
  }
}

/** Why a server of this build must not run on a schema at `applied`, or null when it matches. Never names the URL. */
export function schemaVersionRefusal(applied: number | null, known: number, appRole: string): string | null {
  if (applied !== null && applied === known) return null;
  if (applied === null || applied < known) {
    const at = applied === null ? 'an older version' : `version ${String(applied)}`;
    return `The PostgreSQL schema is at ${at}; this control plane needs version ${String(known)}: run control-plane migrate --database <the owner role's URL> --app-role ${appRole} as the owner role, then start again.`;
  }
  return `The PostgreSQL schema is at version ${String(applied)}, newer than this control plane's ${String(known)}: a newer release migrated it; run that release or a later one (the schema is never migrated back).`;
}
