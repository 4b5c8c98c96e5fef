import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_CSV_COLUMNS } from '../../contracts/usage';
import { initializedDataDir } from '../helpers/control-plane-harness';
import { runCli } from '../helpers/cli-process';
import { seedUsageTenants } from '../helpers/usage-seed';

/** `control-plane usage` as a cron job runs it: a real child process over a real data dir. */
describe('control-plane usage (real child process)', () => {
  let dir: Awaited<ReturnType<typeof initializedDataDir>>;

  beforeAll(async () => {
    dir = await initializedDataDir();
    const storage = await dir.engine.openStorage(Buffer.from(dir.deploymentKey, 'base64'));
    try {
      await seedUsageTenants(storage, 3, '2026-10-31T23:59:59.999Z', 'cron');
    } finally {
      await storage.close();
    }
  });

  afterAll(async () => {
    await dir.engine.drop();
  });

  it('writes the CSV of a period to --out (only once complete), the same rows as the API', { timeout: 90_000 }, async () => {
    const out = join(dir.root, 'usage-2026-10.csv');
    const written = await runCli(['usage', '--data', dir.dataDir, '--from', '2026-10-01', '--out', out], { BULKHEAD_DEPLOYMENT_KEY: dir.deploymentKey });
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const csv = readFileSync(out, 'utf8');
    expect(csv.startsWith(`${USAGE_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    const records = parse<Record<string, string>>(csv, { columns: true });
    expect(records).toHaveLength(3 * 6);
    expect(records.filter((record) => record.tenant_slug === 'cron-00002').map((record) => [record.meter, record.value])).toEqual([
      ['results_ingested', '3'],
      ['ingest_bytes', '300'],
      ['flow_events', '2'],
      ['ai_calls', '1'],
      ['agents', '1'],
      ['tests', '1'],
    ]);
    expect(records.every((record) => record.period_start === '2026-10-01' && record.period_end === '2026-10-31')).toBe(true);
    // The next month, on stdout as JSON: counters zero, the gauges carried in.
    const november = await runCli(['usage', '--data', dir.dataDir, '--from', '2026-11-01', '--format', 'json'], { BULKHEAD_DEPLOYMENT_KEY: dir.deploymentKey });
    expect(november.code).toBe(0);
    const rows = (JSON.parse(november.stdout) as { rows: { tenant_slug: string; meter: string; value: number }[] }).rows.filter((row) => row.tenant_slug === 'cron-00002');
    expect(rows.map((row) => [row.meter, row.value])).toEqual([
      ['results_ingested', 0],
      ['ingest_bytes', 0],
      ['flow_events', 0],
      ['ai_calls', 0],
      ['agents', 1],
      ['tests', 1],
    ]);
  });

  // Child processes are slow on a shared machine: three here; every other refusal is tested in process (usage-command.test.ts).
  it('--help explains it (exit 0); a bad flag or period is bad usage: exit 2, one clear line, nothing on stdout', { timeout: 90_000 }, async () => {
    const help = await runCli(['usage', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: control-plane usage/);
    expect(help.stdout).toContain('--out <file>');
    const env = { BULKHEAD_DEPLOYMENT_KEY: dir.deploymentKey };
    const cases: [string[], RegExp][] = [
      [['usage', '--data', dir.dataDir, '--bogus'], /unknown option '--bogus'/],
      [['usage', '--data', dir.dataDir, '--from', '2026-02-30'], /^control-plane: from must be a UTC calendar date, YYYY-MM-DD\. \(usage_date_invalid\)\n$/],
    ];
    for (const [args, message] of cases) {
      const refused = await runCli(args, env);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr, args.join(' ')).toMatch(message);
      expect(refused.stdout, args.join(' ')).toBe('');
    }
  });
});
