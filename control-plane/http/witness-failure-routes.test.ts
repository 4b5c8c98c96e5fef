import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerEntryView, SignedTreeHeadView, WitnessFailureRecorded } from '../../contracts/audit';
import { pageOf } from '../../contracts/common';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';
import { rewriteLedger } from '../../test/helpers/ledger-rewrite';

type Headers = { authorization: string };

/**
 * POST /provider/v1/audit/witness-failures and /v1/audit/witness-failures (#25): a witness that
 * caught a rewritten ledger ledgers it, both heads as evidence. Runs on both engines; a tenant can
 * only report about its own ledger.
 */
describe('witness failures are ledgered', () => {
  let t: TestApp;
  let admin: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.adminHeaders();
  });

  afterEach(async () => {
    await t.close();
  });

  const get = (url: string, headers: Headers) => t.app.inject({ method: 'GET', url, headers });
  const post = (url: string, headers: Headers | null, payload: unknown) => t.app.inject({ method: 'POST', url, ...(headers ? { headers } : {}), payload: payload as Record<string, unknown> });
  const head = async (url: string, headers: Headers) => SignedTreeHeadView.parse((await get(url, headers)).json());
  const entries = async (url: string, headers: Headers) => pageOf(LedgerEntryView).parse((await get(url, headers)).json()).items;

  it('records a rewritten provider ledger as WITNESS_FAILED with the kept and the seen head, for operators only', async () => {
    await t.tenantAdminHeaders('tenant-a', 'pooled');
    const kept = await head('/provider/v1/audit/head', admin);
    const history = (await entries('/provider/v1/audit?limit=1000', admin)).reverse();
    const forged = history[0];
    if (forged === undefined) throw new Error('no entry');
    await rewriteLedger(t.engine, t.deploymentKey, 'provider', history, { seq: forged.seq, details: { ...forged.details, forged: true } }, 1);
    const seen = await head('/provider/v1/audit/head', admin);
    expect(seen.tree_size).toBe(kept.tree_size + 1);

    const report = { problem: 'history_rewritten', kept, seen };
    expect((await post('/provider/v1/audit/witness-failures', null, report)).statusCode).toBe(401);
    const recorded = await post('/provider/v1/audit/witness-failures', admin, report);
    expect(recorded.statusCode, recorded.body).toBe(201);
    const { ledger, seq } = WitnessFailureRecorded.parse(recorded.json());
    expect(ledger).toBe('provider');
    const [entry] = await entries('/provider/v1/audit?event_type=WITNESS_FAILED', admin);
    expect(entry).toMatchObject({ seq, event_type: 'WITNESS_FAILED', actor: 'operator:admin', tenant_id: null, details: { problem: 'history_rewritten', kept, seen } });

    // A head of another ledger, or a body that is not a report, is refused at its field.
    const other = await post('/provider/v1/audit/witness-failures', admin, { ...report, kept: { ...kept, ledger: 'not-provider' } });
    expect(other.statusCode).toBe(400);
    expect(other.body).toContain('kept.ledger');
    expect((await post('/provider/v1/audit/witness-failures', admin, { problem: 'history_rewritten', kept })).statusCode).toBe(400);
    expect((await post('/provider/v1/audit/witness-failures', admin, { ...report, note: 'extra' })).statusCode).toBe(400);
  });

  it("records a tenant's report in its own ledger and the provider's, and never in another tenant's", async () => {
    const a = await t.tenantAdminHeaders('tenant-a', 'pooled');
    const b = await t.tenantAdminHeaders('tenant-b', 'siloed');
    const keptA = await head('/v1/audit/head', a);
    const keptB = await head('/v1/audit/head', b);
    const sizeB = keptB.tree_size;

    // A's people cannot put a report into B's ledger: the heads must be of the caller's own ledger.
    const crossed = await post('/v1/audit/witness-failures', a, { problem: 'history_rewritten', kept: keptB, seen: keptB });
    expect(crossed.statusCode).toBe(400);
    expect((await head('/v1/audit/head', b)).tree_size).toBe(sizeB);

    // Only heads this control plane signed are ledgered (a bad_signature report's new head excepted).
    const madeUp = { ...keptA, tree_size: keptA.tree_size - 1 };
    const unsigned = await post('/v1/audit/witness-failures', a, { problem: 'history_rewritten', kept: keptA, seen: madeUp });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.body).toContain('seen.signature');
    expect((await post('/v1/audit/witness-failures', a, { problem: 'bad_signature', kept: madeUp, seen: keptA })).statusCode).toBe(400);
    expect((await head('/v1/audit/head', a)).tree_size).toBe(keptA.tree_size);
    const recorded = await post('/v1/audit/witness-failures', a, { problem: 'bad_signature', kept: keptA, seen: madeUp });
    expect(recorded.statusCode, recorded.body).toBe(201);
    expect(WitnessFailureRecorded.parse(recorded.json()).ledger).toBe(keptA.ledger);
    const [own] = await entries('/v1/audit?event_type=WITNESS_FAILED', a);
    expect(own).toMatchObject({ event_type: 'WITNESS_FAILED', tenant_id: keptA.ledger, details: { problem: 'bad_signature', kept: keptA, seen: madeUp } });
    expect(await entries('/v1/audit?event_type=WITNESS_FAILED', b)).toEqual([]);
    const provider = await entries('/provider/v1/audit?event_type=WITNESS_FAILED', admin);
    expect(provider.map((entry) => entry.tenant_id)).toEqual([keptA.ledger]);
    expect((await post('/v1/audit/witness-failures', null, { problem: 'history_rewritten', kept: keptA, seen: keptA })).statusCode).toBe(401);
  });
});
