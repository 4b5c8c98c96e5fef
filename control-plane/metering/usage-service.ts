import type { Readable } from 'node:stream';
import type { UsageExportQuery } from '../../contracts/usage';
import type { DayRange, Storage, TenantRecord } from '../storage/types';
import { periodValues } from '../storage/types';
import { daysOf, usagePeriod } from './usage-period';
import { tenantUsagePages, usageCsv, usageJson, usagePages } from './usage-export';
import { usageReportPdf } from './usage-report';

/** A streamed export: what to name it and how to send it. */
export interface UsageExport {
  range: DayRange;
  contentType: string;
  filename: string;
  body: Readable;
}

/**
 * Usage for billing: the export of every tenant's meters for a period (CSV or JSON, streamed) and a
 * tenant's report (PDF). Periods are UTC days on the injected clock; who may ask is checked by the
 * caller (the usage:read permission).
 */
export class UsageService {
  constructor(private readonly deps: { storage: Storage; clock: () => Date }) {}

  /** The period a query names (default: the current calendar month, UTC); 400 with a code when it is not one. */
  period(query: { from?: string | undefined; to?: string | undefined }): DayRange {
    return usagePeriod(query, this.deps.clock());
  }

  /** Every tenant's rows, or only `tenant`'s (named in the file name) when one is given. */
  export(query: Pick<UsageExportQuery, 'format' | 'from' | 'to'>, tenant: TenantRecord | null = null): UsageExport {
    const range = this.period(query);
    const pages = tenant === null ? usagePages(this.deps.storage.usage, range) : tenantUsagePages(this.deps.storage.usage, tenant, range);
    const filename = `bulkhead-usage-${tenant === null ? '' : `${tenant.slug}-`}${range.fromDay}-${range.toDay}.${query.format}`;
    return query.format === 'json'
      ? { range, contentType: 'application/json; charset=utf-8', filename, body: usageJson(pages) }
      : { range, contentType: 'text/csv; charset=utf-8', filename, body: usageCsv(pages) };
  }

  /** A tenant's report for a period (deleted tenants too: their usage is kept). */
  async report(tenant: TenantRecord, query: { from?: string | undefined; to?: string | undefined }): Promise<{ range: DayRange; filename: string; pdf: Buffer }> {
    const range = this.period(query);
    const { days, carried } = await this.deps.storage.usage.days(tenant, range);
    const results = new Map(days.filter((entry) => entry.meter === 'results_ingested').map((entry) => [entry.day, entry.value]));
    const pdf = await usageReportPdf({
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, state: tenant.state },
      range,
      values: periodValues(days, carried),
      dailyResults: daysOf(range).map((day) => ({ day, value: results.get(day) ?? 0 })),
      generatedAt: this.deps.clock(),
    });
    return { range, filename: `bulkhead-usage-${tenant.slug}-${range.fromDay}-${range.toDay}.pdf`, pdf };
  }
}
