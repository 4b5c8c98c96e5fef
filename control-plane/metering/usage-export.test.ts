import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_CSV_COLUMNS, type UsageRow } from '../../contracts/usage';
import { deriveLedgerKey } from '../audit/ledger-codec';
import { SqliteStorage, sqliteLayout } from '../storage/sqlite/sqlite-storage';
import { seedUsageTenants } from '../../test/helpers/usage-seed';
import { usageCsv, usageJson, usagePages, usageRows } from './usage-export';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let all = '';
  for await (const chunk of stream) all += String(chunk);
  return all;
}

async function* pagesOf(...pages: UsageRow[][]): AsyncGenerator<UsageRow[]> {
  for (const page of pages) yield await Promise.resolve(page);
}

const row = (slug: string, value: number): UsageRow => ({ period_start: '2026-12-01', period_end: '2026-12-31', tenant_id: 't', tenant_slug: slug, meter: 'results_ingested', kind: 'counter', value, unit: 'count' });

describe('usage export streams', () => {
  it('CSV: the header byte for byte, CRLF, fields quoted by the library where they must be', async () => {
    const csv = await text(usageCsv(pagesOf([row('plain', 1), row('has,comma "and quotes"', 2)], [], [row('line\nbreak', 3)])));
    expect(csv.startsWith('period_start,period_end,tenant_id,tenant_slug,meter,kind,value,unit\r\n')).toBe(true);
    expect(csv).toContain('\r\n2026-12-01,2026-12-31,t,"has,comma ""and quotes""",results_ingested,counter,2,count\r\n');
    const parsed: string[][] = parse(csv);
    expect(parsed[0]).toEqual([...USAGE_CSV_COLUMNS]);
    expect(parsed.slice(1).map((record) => record[3])).toEqual(['plain', 'has,comma "and quotes"', 'line\nbreak']);
    expect(await text(usageCsv(pagesOf()))).toBe(`${USAGE_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('JSON: {"rows":[...]} across pages, empty pages skipped', async () => {
    expect(JSON.parse(await text(usageJson(pagesOf([row('a', 1)], [], [row('b', 2), row('c', 3)]))))).toEqual({ rows: [row('a', 1), row('b', 2), row('c', 3)] });
    expect(await text(usageJson(pagesOf()))).toBe('{"rows":[]}');
  });
});

describe('usage export over storage pages (SQLite)', () => {
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-usage-export-'));
  let storage: SqliteStorage;

  beforeAll(async () => {
    storage = SqliteStorage.open(sqliteLayout(root), deriveLedgerKey(randomBytes(32)));
    const tenants = await seedUsageTenants(storage, 5, '2026-12-02T10:00:00.000Z', 'page');
    // Tenant 2 deleted after its usage; tenant 3 deleted before it had any in January.
    for (const [index, at] of [[2, '2026-12-20T00:00:00.000Z'], [3, '2026-12-21T00:00:00.000Z']] as const) {
      const tenant = tenants[index];
      if (tenant === undefined) throw new Error('seed');
      await storage.transaction(async (tx) => {
        await tx.updateTenant(tenant.id, { state: 'deleted', updatedAt: at });
        await tx.retainUsage(tenant, at);
        await tx.purgeTenantData(tenant);
      });
    }
  });

  afterAll(async () => {
    await storage.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('walks every tenant whatever the page size (a page of deleted tenants without usage included), each tenant once with its six meters', async () => {
    const december = { fromDay: '2026-12-01', toDay: '2026-12-31' };
    for (const pageSize of [1, 2, 3, 1000]) {
      const rows: UsageRow[] = [];
      for await (const one of usageRows(storage.usage, december, pageSize)) rows.push(one);
      expect(rows, `page size ${pageSize}`).toHaveLength(5 * 6);
      expect(new Set(rows.map((entry) => entry.tenant_slug)).size).toBe(5);
    }
    const results = new Map<string, number>();
    for await (const page of usagePages(storage.usage, december, 2)) for (const entry of page) if (entry.meter === 'results_ingested') results.set(entry.tenant_slug, entry.value);
    expect(Object.fromEntries(results)).toEqual({ 'page-00000': 1, 'page-00001': 2, 'page-00002': 3, 'page-00003': 4, 'page-00004': 5 });
    // January: the deleted tenants had nothing (their gauges ended at 0 on deletion); the live ones carry their gauges.
    const january: UsageRow[] = [];
    for await (const page of usagePages(storage.usage, { fromDay: '2027-01-01', toDay: '2027-01-31' }, 1)) january.push(...page);
    expect(new Set(january.map((entry) => entry.tenant_slug))).toEqual(new Set(['page-00000', 'page-00001', 'page-00004']));
    expect(january.filter((entry) => entry.kind === 'gauge').every((entry) => entry.value === 1)).toBe(true);
    expect(january.filter((entry) => entry.kind === 'counter').every((entry) => entry.value === 0)).toBe(true);
  });
});
