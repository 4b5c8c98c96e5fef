import { z } from 'zod';
import { BrandDesign } from '../../../contracts/branding';
import type { BrandingRecord } from '../branding';
import { json, optionalText, text } from './columns';

/**
 * The row shape of tenant_branding, the same on both engines. The design is JSON parsed with the
 * contract's schema, so a corrupt record fails loudly here instead of reaching a page.
 */
export const BRANDING_COLUMNS = ['tenant_id', 'design', 'custom_domain', 'updated_at'] as const;

type BrandingColumn = (typeof BRANDING_COLUMNS)[number];

const Row = z.object({
  tenant_id: text,
  design: json(BrandDesign),
  custom_domain: optionalText,
  updated_at: text,
});

export function brandingFromRow(value: unknown): BrandingRecord {
  const row = Row.parse(value);
  return { tenantId: row.tenant_id, design: row.design, customDomain: row.custom_domain, updatedAt: row.updated_at };
}

export function brandingColumns(record: BrandingRecord): Record<BrandingColumn, string | null> {
  return {
    tenant_id: record.tenantId,
    design: JSON.stringify(record.design),
    custom_domain: record.customDomain,
    updated_at: record.updatedAt,
  };
}
