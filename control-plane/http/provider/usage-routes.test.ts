import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_CSV_COLUMNS, UsageExportJson, type UsageRow } from '../../../contracts/usage';
import { buildTestApp, definedTests, enrolledAgentHeaders, type TestApp } from '../../../test/helpers/control-plane-harness';
import { pdfText } from '../../../test/helpers/pdf-text';

type Headers = { authorization: string };
const HEADER = `${USAGE_CSV_COLUMNS.join(',')}\r\n`;

/**
 * Usage metering end to end on the engine under test: meters counted by ingest, test and agent
 * writes on a clock moved across the November/December 2026 boundary (UTC), exported as CSV and
 * JSON, reported as PDF, and who may read them.
 */
describe('usage export and report (/provider/v1/usage)', () => {
  let t: TestApp;
  let admin: Headers;
  let billing: Headers;
  let pooled: Headers;
  let gone: Headers;
  const bytes: Record<string, number> = {};

  const get = (url: string, headers?: Headers) => t.app.inject({ method: 'GET', url, ...(headers === undefined ? {} : { headers }) });
  const ingest = async (agent: Headers, payload: Record<string, unknown>) => {
    const response = await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: agent, payload });
    expect(response.statusCode).toBe(202);
    return Buffer.byteLength(JSON.stringify(payload));
  };
  const batch = (id: string, testId: string, results: number, flows = 0) => {
    const ts = t.clock.now().toISOString();
    const flow = { ts, src: '10.0.0.1', dst: '10.0.0.2', src_port: 5000, dst_port: 443, protocol: 'tcp', bytes: 1200, packets: 3 };
    return { batch_id: id, results: Array.from({ length: results }, (_, i) => ({ test_id: testId, ts, latency_ms: 10 + i, ok: true })), flow_events: Array.from({ length: flows }, () => flow) };
  };
  const exportRows = async (query: string, headers: Headers = billing): Promise<UsageRow[]> => {
    const response = await get(`/provider/v1/usage/export?format=json${query}`, headers);
    expect(response.statusCode, response.body).toBe(200);
    return UsageExportJson.parse(response.json()).rows;
  };
  const meters = (rows: UsageRow[], slug: string) => Object.fromEntries(rows.filter((row) => row.tenant_slug === slug).map((row) => [row.meter, row.value]));

  beforeAll(async () => {
    t = await buildTestApp();
    // Ten minutes before the end of November (UTC): everything below happens on either side of the boundary.
    t.clock.advance((Date.parse('2026-11-30T23:50:00.000Z') - t.clock.now().getTime()) / 1000);
    admin = await t.adminHeaders();
    billing = await t.operatorHeaders('billing', ['billing_viewer']);
    pooled = await t.ownedTenantHeaders('usage-pooled', 'pooled');
    gone = await t.ownedTenantHeaders('usage-gone', 'hybrid');
    await t.ownedTenantHeaders('usage-silo', 'siloed');

    // November: 3 tests then one deleted (peak 3), 2 agents; a batch of 5 results and 2 flow events, sent twice.
    const tests = await definedTests(t.app, pooled, 3);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/tests/${tests[2] ?? ''}`, headers: pooled })).statusCode).toBe(204);
    const agent = await enrolledAgentHeaders(t.app, pooled, 'probe-1');
    await enrolledAgentHeaders(t.app, pooled, 'probe-2');
    bytes.november = await ingest(agent, batch('nov-1', tests[0] ?? '', 5, 2));
    const retried = await t.app.inject({ method: 'POST', url: '/agent/v1/ingest', headers: agent, payload: batch('nov-1', tests[0] ?? '', 5, 2) });
    expect(retried.json()).toMatchObject({ duplicate: true });

    // December, 00:05 UTC: 7 more results; the hybrid tenant gets usage, then is deleted.
    t.clock.advance(15 * 60);
    bytes.december = await ingest(agent, batch('dec-1', tests[1] ?? '', 7));
    const [goneTest = ''] = await definedTests(t.app, gone, 1);
    const goneAgent = await enrolledAgentHeaders(t.app, gone, 'probe-g');
    bytes.gone = await ingest(goneAgent, batch('gone-1', goneTest, 4, 1));
    expect((await t.app.inject({ method: 'DELETE', url: '/provider/v1/tenants/usage-gone', headers: admin })).statusCode).toBe(204);
  });

  afterAll(async () => {
    await t.close();
  });

  it('counts November up to its last second: retried batch once, gauge peaks, header byte for byte, CRLF, parses as CSV', async () => {
    const response = await get('/provider/v1/usage/export?from=2026-11-01&to=2026-11-30', billing);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toBe('attachment; filename="bulkhead-usage-2026-11-01-2026-11-30.csv"');
    expect(response.body.startsWith(HEADER)).toBe(true);
    expect(response.body.endsWith('\r\n')).toBe(true);
    const records = parse<Record<string, string>>(response.body, { columns: true, record_delimiter: '\r\n' });
    // The live tenants; the deleted one had no November usage, so it has nothing to bill there.
    expect(new Set(records.map((record) => record.tenant_slug))).toEqual(new Set(['usage-pooled', 'usage-silo']));
    expect(records).toHaveLength(2 * 6);
    const pooledRows = records.filter((record) => record.tenant_slug === 'usage-pooled');
    expect(pooledRows.map((record) => [record.meter, record.kind, record.value, record.unit, record.period_start, record.period_end])).toEqual([
      ['results_ingested', 'counter', '5', 'count', '2026-11-01', '2026-11-30'],
      ['ingest_bytes', 'counter', String(bytes.november), 'bytes', '2026-11-01', '2026-11-30'],
      ['flow_events', 'counter', '2', 'count', '2026-11-01', '2026-11-30'],
      ['ai_calls', 'counter', '0', 'count', '2026-11-01', '2026-11-30'],
      ['agents', 'gauge', '2', 'count', '2026-11-01', '2026-11-30'],
      ['tests', 'gauge', '3', 'count', '2026-11-01', '2026-11-30'],
    ]);
  });

  it('December (the default period, on the clock) starts at 00:00 UTC: its counters only, gauges carried in; a deleted tenant still billed for its usage', async () => {
    const rows = await exportRows('');
    expect(rows.every((row) => row.period_start === '2026-12-01' && row.period_end === '2026-12-31')).toBe(true);
    expect(meters(rows, 'usage-pooled')).toEqual({ results_ingested: 7, ingest_bytes: bytes.december, flow_events: 0, ai_calls: 0, agents: 2, tests: 2 });
    // Deleted: its agent and test are gone with it, the peaks stay.
    expect(meters(rows, 'usage-gone')).toEqual({ results_ingested: 4, ingest_bytes: bytes.gone, flow_events: 1, ai_calls: 0, agents: 1, tests: 1 });
    expect(meters(rows, 'usage-silo')).toEqual({ results_ingested: 0, ingest_bytes: 0, flow_events: 0, ai_calls: 0, agents: 0, tests: 0 });
    // Both months together: counters sum, gauges keep the higher peak.
    const both = await exportRows('&from=2026-11-01&to=2026-12-31');
    expect(meters(both, 'usage-pooled')).toMatchObject({ results_ingested: 12, ingest_bytes: (bytes.november ?? 0) + (bytes.december ?? 0), tests: 3, agents: 2 });
  });

  it('a month after deletion the deleted tenant is gone from the export; live tenants show their carried gauges', async () => {
    const rows = await exportRows('&from=2027-01-01');
    expect(rows.every((row) => row.period_end === '2027-01-31')).toBe(true);
    expect(new Set(rows.map((row) => row.tenant_slug))).toEqual(new Set(['usage-pooled', 'usage-silo']));
    expect(meters(rows, 'usage-pooled')).toEqual({ results_ingested: 0, ingest_bytes: 0, flow_events: 0, ai_calls: 0, agents: 2, tests: 2 });
    // Before any tenant existed: nothing, and the CSV is the header alone.
    const empty = await get('/provider/v1/usage/export?from=2025-01-01&to=2025-01-31', billing);
    expect(empty.body).toBe(HEADER);
  });

  it('narrows the export to one tenant with ?tenant= (slug or id, deleted ones too), zeros included; an unknown one is 404', async () => {
    const rows = await exportRows('&tenant=usage-pooled&from=2026-11-01&to=2026-12-31');
    expect(new Set(rows.map((row) => row.tenant_slug))).toEqual(new Set(['usage-pooled']));
    expect(rows.map((row) => row.meter)).toEqual(['results_ingested', 'ingest_bytes', 'flow_events', 'ai_calls', 'agents', 'tests']);
    // The same numbers as that tenant's rows of the whole export.
    const all = await exportRows('&from=2026-11-01&to=2026-12-31');
    expect(meters(rows, 'usage-pooled')).toEqual(meters(all, 'usage-pooled'));
    const pooledId = rows[0]?.tenant_id ?? '';
    expect(await exportRows(`&tenant=${pooledId}&from=2026-11-01&to=2026-12-31`)).toEqual(rows);
    expect(meters(await exportRows('&tenant=usage-silo&from=2026-11-01'), 'usage-silo')).toEqual({ results_ingested: 0, ingest_bytes: 0, flow_events: 0, ai_calls: 0, agents: 0, tests: 0 });
    expect(meters(await exportRows('&tenant=usage-gone&from=2026-12-01'), 'usage-gone')).toMatchObject({ results_ingested: 4 });
    const csv = await get('/provider/v1/usage/export?tenant=usage-pooled&from=2026-11-01&to=2026-11-30', billing);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="bulkhead-usage-usage-pooled-2026-11-01-2026-11-30.csv"');
    expect(csv.body.startsWith(HEADER)).toBe(true);
    expect(csv.body).not.toContain('usage-silo');
    const unknown = await get('/provider/v1/usage/export?tenant=no-such-tenant', billing);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('refuses a bad period with 400 and a code, a bad format with invalid_request', async () => {
    const cases: [string, string][] = [
      ['from=2026-13-01', 'usage_date_invalid'],
      ['to=2026-02-30', 'usage_date_invalid'],
      ['from=yesterday', 'usage_date_invalid'],
      ['from=2026-11-01T00:00:00Z', 'usage_date_invalid'],
      ['from=2026-11-10&to=2026-11-09', 'usage_period_reversed'],
      ['from=2026-01-01&to=2027-01-02', 'usage_period_too_long'],
      ['format=xml', 'invalid_request'],
      ['tenant=', 'invalid_request'],
      ['tenant=usage-pooled&from=2026-13-01', 'usage_date_invalid'],
    ];
    for (const [query, code] of cases) {
      const response = await get(`/provider/v1/usage/export?${query}`, billing);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: { code } });
    }
    // 366 days (a leap year's worth) is allowed.
    expect((await get('/provider/v1/usage/export?from=2026-01-01&to=2027-01-01', billing)).statusCode).toBe(200);
    expect((await get('/provider/v1/usage/report?tenant=usage-pooled&from=2026-12-02&to=2026-12-01', billing)).json()).toMatchObject({ error: { code: 'usage_period_reversed' } });
  });

  it('billing_viewer and provider_admin may read usage; provider_operator may not (403); a tenant credential or none gets 401', async () => {
    expect((await get('/provider/v1/usage/export', admin)).statusCode).toBe(200);
    const operator = await t.operatorHeaders('ops', ['provider_operator']);
    for (const url of ['/provider/v1/usage/export', '/provider/v1/usage/report?tenant=usage-pooled']) {
      const refused = await get(url, operator);
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: 'forbidden', details: { permission: 'usage:read' } } });
      expect((await get(url)).statusCode, url).toBe(401);
      // Cross-tenant: a tenant's own admin token never reaches usage, its own or anyone's.
      const tenantToken = await get(url, pooled);
      expect(tenantToken.statusCode, url).toBe(401);
      expect(tenantToken.body).not.toContain('usage-silo');
    }
  });

  it("reports a tenant's period as a PDF holding its numbers and its daily results", async () => {
    const response = await get('/provider/v1/usage/report?tenant=usage-pooled&from=2026-11-01&to=2026-12-31', billing);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    const [text = ''] = await pdfText(response.rawPayload);
    expect(text).toContain('usage-pooled');
    expect(text).toContain('Period: 2026-11-01 to 2026-12-31');
    expect(text).toContain('results_ingested: 12 count');
    expect(text).toContain(`ingest_bytes: ${((bytes.november ?? 0) + (bytes.december ?? 0)).toLocaleString('en-US')} bytes`);
    expect(text).toContain('tests: 3 count (gauge, peak in the period)');
    expect(text).toContain('Results ingested per day (UTC)');
    expect(text).toContain('max 7 per day');
    // The deleted tenant's report still holds its usage; an unknown tenant is 404.
    const deleted = await pdfText((await get('/provider/v1/usage/report?tenant=usage-gone', billing)).rawPayload);
    expect(deleted[0]).toContain('results_ingested: 4 count');
    expect((await get('/provider/v1/usage/report?tenant=no-such-tenant', billing)).statusCode).toBe(404);
  });
});
