import type Database from 'better-sqlite3';
import { text } from '../rows/columns';
import { domainTaken, type BrandingReader, type BrandingScope, type BrandingWrites } from '../branding';
import { BRANDING_COLUMNS, brandingColumns, brandingFromRow } from '../rows/branding-rows';
import { cachedStatement, done, insertSql } from './connection';

/** Brands in the shared control store (every isolation model), found by tenant or by custom domain. */
const upsert = `${insertSql('tenant_branding', BRANDING_COLUMNS)}
  ON CONFLICT (tenant_id) DO UPDATE SET design = excluded.design, custom_domain = excluded.custom_domain, updated_at = excluded.updated_at`;

function domainOwner(db: Database.Database, domain: string): string | null {
  const row = cachedStatement(db, 'SELECT tenant_id FROM tenant_branding WHERE custom_domain = ?').get(domain) as { tenant_id: unknown } | undefined;
  return row === undefined ? null : text.parse(row.tenant_id);
}

export function sqliteBrandingReader(db: Database.Database): BrandingReader {
  return { tenantByDomain: (domain) => Promise.resolve(domainOwner(db, domain)) };
}

export function sqliteBrandingScope(db: Database.Database, tenantId: string): BrandingScope {
  return {
    branding: () => {
      const row = cachedStatement(db, 'SELECT * FROM tenant_branding WHERE tenant_id = ?').get(tenantId);
      return Promise.resolve(row === undefined ? null : brandingFromRow(row));
    },
  };
}

/** Writes inside the caller's transaction (BEGIN IMMEDIATE holds the write lock). */
export function sqliteBrandingWrites(db: Database.Database): BrandingWrites {
  return {
    brandingDomainOwner: (domain) => Promise.resolve(domainOwner(db, domain)),
    putBranding: (record) => {
      try {
        db.prepare(upsert).run(brandingColumns(record));
      } catch (error) {
        // The only UNIQUE besides the key: another tenant's custom domain (a race past the service's check).
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' && record.customDomain !== null) throw domainTaken(record.customDomain);
        throw error;
      }
      return done;
    },
  };
}
