import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import { USAGE_CSV_COLUMNS, usageMeters, type UsageRow } from '../../contracts/usage';
import type { DayRange, UsageReader } from '../storage/types';

/** Tenants read per storage page: the export holds one page at a time, whatever the number of tenants. */
export const EXPORT_PAGE_SIZE = 1000;

/**
 * Every row of a period's export, one tenant per meter, tenants in id order, page by page from
 * storage: live tenants created by the period's end (zeros included: the importer sees every
 * customer), deleted tenants only where they had usage.
 */
export async function* usageRows(reader: UsageReader, range: DayRange, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<UsageRow> {
  let after: string | null = null;
  do {
    const page = await reader.page(range, after, pageSize);
    for (const tenant of page.usage) {
      for (const { meter, kind, unit } of usageMeters) {
        yield { period_start: range.fromDay, period_end: range.toDay, tenant_id: tenant.tenantId, tenant_slug: tenant.slug, meter, kind, value: tenant.values[meter] ?? 0, unit };
      }
    }
    after = page.next;
  } while (after !== null);
}

/**
 * The rows as CSV (header first, RFC 4180 quoting, CRLF line ends), streamed: a row is written when
 * the reader takes it, so memory stays flat for any number of tenants.
 */
export function usageCsv(rows: AsyncIterable<UsageRow>): Readable {
  const csv = stringify({ header: true, columns: [...USAGE_CSV_COLUMNS], record_delimiter: 'windows' });
  // pipeline destroys the CSV stream with the error when reading storage fails mid-way: the
  // response ends cut short rather than looking complete.
  pipeline(Readable.from(rows), csv, () => undefined);
  return csv;
}

/** The rows as `{"rows":[...]}`, streamed the same way. */
export function usageJson(rows: AsyncIterable<UsageRow>): Readable {
  async function* chunks(): AsyncGenerator<string> {
    yield '{"rows":[';
    let first = true;
    for await (const row of rows) {
      yield `${first ? '' : ','}${JSON.stringify(row)}`;
      first = false;
    }
    yield ']}';
  }
  return Readable.from(chunks());
}

/** Drains a stream into one string (the CLI's --out, and tests). */
export async function streamText(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(parts).toString('utf8');
}
