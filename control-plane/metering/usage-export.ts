import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { USAGE_CSV_COLUMNS, usageMeters, type UsageRow } from '../../contracts/usage';
import type { DayRange, TenantRecord, UsageReader } from '../storage/types';
import { periodValues } from '../storage/usage';

/** Tenants read per storage page: the export holds one page at a time, whatever the number of tenants. */
export const EXPORT_PAGE_SIZE = 1000;

/**
 * A period's export, a storage page at a time: one row per tenant per meter, tenants in id order;
 * live tenants created by the period's end (zeros included: the importer sees every customer),
 * deleted tenants only where they had usage.
 */
export async function* usagePages(reader: UsageReader, range: DayRange, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<UsageRow[]> {
  let after: string | null = null;
  do {
    const page = await reader.page(range, after, pageSize);
    yield page.usage.flatMap((tenant) =>
      usageMeters.map(({ meter, kind, unit }) => ({ period_start: range.fromDay, period_end: range.toDay, tenant_id: tenant.tenantId, tenant_slug: tenant.slug, meter, kind, value: tenant.values[meter] ?? 0, unit })),
    );
    after = page.next;
  } while (after !== null);
}

/** One tenant's rows for a period (its six meters, zeros included), as a single page of the export. */
export async function* tenantUsagePages(reader: UsageReader, tenant: TenantRecord, range: DayRange): AsyncGenerator<UsageRow[]> {
  const { days, carried } = await reader.days(tenant, range);
  const values = periodValues(days, carried);
  yield usageMeters.map(({ meter, kind, unit }) => ({ period_start: range.fromDay, period_end: range.toDay, tenant_id: tenant.id, tenant_slug: tenant.slug, meter, kind, value: values[meter] ?? 0, unit }));
}

/** Every row of a period's export, one at a time. */
export async function* usageRows(reader: UsageReader, range: DayRange, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<UsageRow> {
  for await (const page of usagePages(reader, range, pageSize)) yield* page;
}

const csvOptions = { record_delimiter: 'windows' } as const;

/**
 * The export as CSV (the contract's header first, RFC 4180 quoting by csv-stringify, CRLF line
 * ends), streamed a page at a time: the reader's pace pulls the next page, so memory stays flat
 * for any number of tenants. Records go to the library as arrays in the header's order (twice
 * as fast as objects with `columns`).
 */
export function usageCsv(pages: AsyncIterable<UsageRow[]>): Readable {
  async function* chunks(): AsyncGenerator<string> {
    yield stringify([[...USAGE_CSV_COLUMNS]], csvOptions);
    for await (const page of pages) {
      if (page.length > 0) yield stringify(page.map((row) => USAGE_CSV_COLUMNS.map((column) => row[column])), csvOptions);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The export as `{"rows":[...]}`, streamed the same way. */
export function usageJson(pages: AsyncIterable<UsageRow[]>): Readable {
  async function* chunks(): AsyncGenerator<string> {
    yield '{"rows":[';
    let first = true;
    for await (const page of pages) {
      if (page.length === 0) continue;
      yield `${first ? '' : ','}${page.map((row) => JSON.stringify(row)).join(',')}`;
      first = false;
    }
    yield ']}';
  }
  return Readable.from(chunks(), { objectMode: false });
}
