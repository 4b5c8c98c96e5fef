import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntryView, WitnessView } from '../../contracts/audit';
import { consoleRouter, type ConsoleRouter } from '../../test/helpers/console-router';
import { rewriteLedger } from '../../test/helpers/ledger-rewrite';

/**
 * `audit:witness` through the real IPC router and ConsoleService against a real control plane over
 * HTTPS: the first head is kept, a head that extends it replaces it, and a genuinely rewritten
 * provider ledger (same key material, rows replaced and re-rooted, so it verifies from the inside)
 * is caught, ledgered once as WITNESS_FAILED, and the kept head stays.
 */
describe('the console witnesses the provider ledger', () => {
  let c: ConsoleRouter;
  const headsFile = () => readFileSync(join(c.dataDir, 'witnessed-heads.json'), 'utf8');

  beforeAll(async () => {
    c = await consoleRouter();
  }, 120_000);

  afterAll(async () => {
    await c.close();
  });

  it('keeps the first head, replaces it with one that extends it, and catches a rewritten ledger keeping the old head', async () => {
    const first = await c.result<WitnessView>('audit:witness');
    expect(first).toMatchObject({ ledger: 'provider', state: 'first', kept: null, message: null, recorded: null });
    expect(JSON.parse(headsFile())).toMatchObject({ version: 1, connections: { embedded: { provider: { head: first.seen } } } });
    expect(headsFile()).not.toMatch(/bho_|password|totp/i);

    await c.result('tenants:create', { slug: 'acme', name: 'Acme' });
    const second = await c.result<WitnessView>('audit:witness');
    expect(second.state).toBe('witnessed');
    expect(second.kept?.head).toEqual(first.seen);
    expect(second.seen.tree_size).toBeGreaterThan(first.seen.tree_size);
    expect(JSON.parse(headsFile())).toMatchObject({ connections: { embedded: { provider: { head: second.seen } } } });
    // Nothing written since: the same head again is witnessed against itself.
    expect(await c.result<WitnessView>('audit:witness')).toMatchObject({ state: 'witnessed', seen: { tree_size: second.seen.tree_size } });
    const kept = headsFile();

    // The provider rewrites its ledger with the right key: one entry changed, every root redone, one more entry.
    const history = (await c.result<{ items: LedgerEntryView[] }>('audit:list', { limit: 1000 })).items.reverse();
    const forged = history.find((entry) => entry.event_type === 'TENANT_CREATED');
    if (forged === undefined) throw new Error('no TENANT_CREATED entry');
    await rewriteLedger(c.cp.engine, c.cp.deploymentKey, 'provider', history, { seq: forged.seq, details: { ...forged.details, slug: 'not-acme' } }, 1);
    expect(await c.result('audit:verify')).toMatchObject({ ok: true });

    const caught = await c.result<WitnessView>('audit:witness');
    expect(caught).toMatchObject({ state: 'rewritten', kept: { head: second.seen }, record_error: null });
    expect(caught.message).toMatch(/^History rewritten: ledger provider/);
    expect(caught.recorded).toMatchObject({ ledger: 'provider' });
    expect(headsFile()).toBe(kept);
    const recorded = await c.result<{ items: LedgerEntryView[] }>('audit:list', { event_type: 'WITNESS_FAILED', limit: 10 });
    expect(recorded.items).toHaveLength(1);
    expect(recorded.items[0]).toMatchObject({ seq: caught.recorded?.seq, details: { problem: 'history_rewritten', kept: second.seen, seen: caught.seen } });

    // Looking again still fails against the kept head, and is not ledgered a second time.
    const again = await c.result<WitnessView>('audit:witness');
    expect(again).toMatchObject({ state: 'rewritten', kept: { head: second.seen }, recorded: caught.recorded });
    expect((await c.result<{ items: LedgerEntryView[] }>('audit:list', { event_type: 'WITNESS_FAILED', limit: 10 })).items).toHaveLength(1);
    expect(headsFile()).toBe(kept);
  });

  it('refuses to witness without a session', async () => {
    await c.result('session:logout');
    expect(await c.call('audit:witness')).toMatchObject({ error: { code: 'unauthorized' } });
  });
});
