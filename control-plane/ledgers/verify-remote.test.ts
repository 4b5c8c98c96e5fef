import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerEntryView } from '../../contracts/audit';
import { pageOf } from '../../contracts/common';
import { runCli } from '../../test/helpers/cli-process';
import { buildTestApp, foreignCaPem, type TestApp } from '../../test/helpers/control-plane-harness';
import { rewriteLedger } from '../../test/helpers/ledger-rewrite';
import { runVerifyRemote, VerifyRemoteUsageError } from './verify-remote';

/** `control-plane audit verify-remote` against a control plane served over real HTTPS (the data dir's CA). */
describe('audit verify-remote', () => {
  let t: TestApp;
  let dir: string;
  let url: string;
  const files = { ca: '', head: '', token: '' };

  beforeEach(async () => {
    t = await buildTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    url = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-witness-'));
    files.ca = join(t.dataDir, 'tls', 'ca.crt');
    files.head = join(dir, 'head.json');
    files.token = join(dir, 'token');
  });

  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runVerifyRemote({ url, ca: files.ca, head: files.head, tokenFile: files.token }, {}, { write: (text: string) => (out += text) }, { write: (text: string) => (err += text) });
    return { code, out, err };
  }

  it("trusts the first head, accepts heads that extend it, and fails loudly once the tenant's ledger is rewritten, keeping the saved head", async () => {
    const tenant = await t.tenantAdminHeaders('tenant-a', 'pooled');
    writeFileSync(files.token, tenant.authorization.replace('Bearer ', ''));
    const tenantId = (await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: tenant })).json<{ id: string }>().id;

    const first = await run();
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^No saved head: trusting ledger/);
    const saved = JSON.parse(readFileSync(files.head, 'utf8')) as { ledger: string; tree_size: number };
    expect(saved.ledger).toBe(tenantId);

    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/admin-tokens', headers: await t.adminHeaders(), payload: { expires_in_seconds: 3600 } });
    const second = await run();
    expect(second.code, second.err).toBe(0);
    expect(second.out).toContain(`extends the head saved at ${saved.tree_size} entries`);
    const kept = readFileSync(files.head, 'utf8');

    const entries = pageOf(LedgerEntryView).parse((await t.app.inject({ method: 'GET', url: '/v1/audit?limit=1000', headers: tenant })).json()).items.reverse();
    const forged = entries[0];
    if (forged === undefined) throw new Error('no entry');
    await rewriteLedger(t.engine, t.deploymentKey, tenantId, entries, { seq: forged.seq, details: { ...forged.details, slug: 'not-what-happened' } }, 1);

    // The real CLI, as a script would run it: exit 1, loudly, and the saved head stays as evidence.
    const cli = await runCli(['audit', 'verify-remote', '--url', url, '--ca', files.ca, '--head', files.head], { BULKHEAD_AUDIT_TOKEN: readFileSync(files.token, 'utf8') });
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stderr).toContain('HISTORY REWRITTEN');
    expect(cli.stderr).toContain('History rewritten: ledger');
    expect(readFileSync(files.head, 'utf8')).toBe(kept);
  });

  it('witnesses the provider ledger with an operator session, and refuses bad usage before fetching anything', async () => {
    writeFileSync(files.token, (await t.adminHeaders()).authorization.replace('Bearer ', ''));
    expect((await run()).code).toBe(0);
    expect(JSON.parse(readFileSync(files.head, 'utf8'))).toMatchObject({ ledger: 'provider' });
    writeFileSync(files.head, '{"not":"a head"}');
    await expect(run()).rejects.toBeInstanceOf(VerifyRemoteUsageError);
    const cli = await runCli(['audit', 'verify-remote', '--url', url, '--ca', files.ca, '--head', join(dir, 'other.json')]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('BULKHEAD_AUDIT_TOKEN');
  });

  it('does not trust a server whose certificate the CA did not issue', async () => {
    writeFileSync(files.token, (await t.adminHeaders()).authorization.replace('Bearer ', ''));
    files.ca = join(dir, 'other-ca.pem');
    writeFileSync(files.ca, await foreignCaPem());
    await expect(run()).rejects.toThrow();
  });
});
