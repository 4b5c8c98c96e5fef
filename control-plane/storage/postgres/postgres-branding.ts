import type pg from 'pg';
import { text } from '../rows/columns';
import { domainTaken, type BrandingReader, type BrandingScope, type BrandingWrites } from '../branding';
import { BRANDING_COLUMNS, brandingColumns, brandingFromRow } from '../rows/branding-rows';
import { enterTenant, firstRow, inTransaction, insertSql, valuesOf, type Queryable, type TenantRead } from './tenant-context';

/**
 * Brands in bh.tenant_branding (every isolation model), RLS forced. Before any tenant is known, a
 * row is visible only to a transaction that names its custom domain (app.brand_domain, a SELECT-only
 * policy, as token routing does with a token's hash); everything else runs in the tenant's context.
 */
const upsert = `${insertSql('bh.tenant_branding', BRANDING_COLUMNS)}
  ON CONFLICT (tenant_id) DO UPDATE SET design = excluded.design, custom_domain = excluded.custom_domain, updated_at = excluded.updated_at`;

/** The owner of a custom domain, seen through the domain lookup policy; the setting is cleared again after. */
async function domainOwner(client: Queryable, domain: string): Promise<string | null> {
  await client.query("SELECT set_config('app.brand_domain', $1, true)", [domain]);
  const row = await firstRow(client, 'SELECT tenant_id FROM bh.tenant_branding WHERE custom_domain = $1', [domain]);
  await client.query("SELECT set_config('app.brand_domain', '', true)");
  return row === undefined ? null : text.parse(row.tenant_id);
}

export function postgresBrandingReader(pool: pg.Pool): BrandingReader {
  return { tenantByDomain: (domain) => inTransaction(pool, 'read only', (client) => domainOwner(client, domain)) };
}

/** `read` runs a read-only transaction in the tenant's context. */
export function postgresBrandingScope(tenantId: string, read: TenantRead): BrandingScope {
  return {
    branding: () =>
      read(async (client) => {
        const row = await firstRow(client, 'SELECT * FROM bh.tenant_branding WHERE tenant_id = $1', [tenantId]);
        return row === undefined ? null : brandingFromRow(row);
      }),
  };
}

/** Writes inside the caller's transaction, in the brand's tenant context. */
export function postgresBrandingWrites(client: pg.PoolClient): BrandingWrites {
  return {
    brandingDomainOwner: (domain) => domainOwner(client, domain),
    putBranding: async (record) => {
      await enterTenant(client, record.tenantId);
      try {
        await client.query(upsert, valuesOf(brandingColumns(record), BRANDING_COLUMNS));
      } catch (error) {
        // The only UNIQUE besides the key: another tenant's custom domain (a race past the service's check).
        if ((error as { code?: unknown }).code === '23505' && record.customDomain !== null) throw domainTaken(record.customDomain);
        throw error;
      }
    },
  };
}
