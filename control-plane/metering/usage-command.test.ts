import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_CSV_COLUMNS } from '../../contracts/usage';
import { initializedDataDir } from '../../test/helpers/control-plane-harness';
import { seedUsageTenants } from '../../test/helpers/usage-seed';
import { runUsageCommand, UsageCommandError } from './usage-command';

/** A Writable that keeps what it is given. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('runUsageCommand (the usage CLI, in process)', () => {
  let dir: Awaited<ReturnType<typeof initializedDataDir>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await initializedDataDir();
    env = { BULKHEAD_DEPLOYMENT_KEY: dir.deploymentKey };
    const storage = await dir.engine.openStorage(Buffer.from(dir.deploymentKey, 'base64'));
    try {
      await seedUsageTenants(storage, 2, '2026-12-01T00:00:00.000Z', 'cmd');
    } finally {
      await storage.close();
    }
  });

  afterAll(async () => {
    await dir.engine.drop();
  });

  it('defaults to the current calendar month of its clock (UTC) and writes the CSV to stdout', async () => {
    const out = collector();
    // 23:30 on 30 November in UTC-05:00 is already 1 December in UTC: December it is.
    await runUsageCommand({ data: dir.dataDir, format: 'csv' }, env, out.stream, () => new Date('2026-11-30T23:30:00-05:00'));
    const lines = out.text().split('\r\n');
    expect(lines[0]).toBe(USAGE_CSV_COLUMNS.join(','));
    expect(lines.slice(1, -1)).toHaveLength(2 * 6);
    // Tenants in id order (random ids here): find the first tenant's first meter.
    expect(lines.filter((line) => line.includes(',cmd-00000,results_ingested,'))).toEqual([expect.stringMatching(/^2026-12-01,2026-12-31,[0-9a-f-]{36},cmd-00000,results_ingested,counter,1,count$/)]);
    // The last second of November in UTC: November, with nothing in it.
    const november = collector();
    await runUsageCommand({ data: dir.dataDir, format: 'csv' }, env, november.stream, () => new Date('2026-11-30T23:59:59.999Z'));
    expect(november.text()).toBe(`${USAGE_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('refuses bad periods and an --out it cannot write as bad usage (exit 2 at the CLI), leaving no partial file', async () => {
    const cases: [Partial<Parameters<typeof runUsageCommand>[0]>, RegExp][] = [
      [{ from: '2026-10-02', to: '2026-10-01' }, /^to is before from\. \(usage_period_reversed\)$/],
      [{ from: '2025-01-01', to: '2026-12-31' }, /^A period covers at most 366 days; this one covers 730\. \(usage_period_too_long\)$/],
      [{ to: '31/12/2026' }, /^to must be a UTC calendar date, YYYY-MM-DD\. \(usage_date_invalid\)$/],
      [{ out: join(dir.root, 'no-such-folder', 'usage.csv') }, /^--out .*no-such-folder.*: cannot write there \(ENOENT\)$/],
    ];
    for (const [options, message] of cases) {
      const out = collector();
      const refused = runUsageCommand({ data: dir.dataDir, format: 'csv', ...options }, env, out.stream);
      await expect(refused, JSON.stringify(options)).rejects.toThrow(UsageCommandError);
      await expect(refused, JSON.stringify(options)).rejects.toThrow(message);
      expect(out.text()).toBe('');
    }
    expect(existsSync(join(dir.root, 'no-such-folder'))).toBe(false);
    expect(readdirSync(dir.root).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });
});
