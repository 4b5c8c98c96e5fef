import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsistencyProofView, InclusionProofView, LedgerEntryView, LedgerKeysView, LedgerVerifyView, SignedTreeHeadView } from '../../contracts/audit';
import { pageOf } from '../../contracts/common';
import { checkNewHead } from '../../contracts/ledger-witness';
import { buildTestApp, type TestApp } from '../../test/helpers/control-plane-harness';
import { rewriteLedger } from '../../test/helpers/ledger-rewrite';
import { checkConsistency, checkHeadSignature, checkInclusion } from '../../test/helpers/rfc6962-verifier';
import { open } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import { runRotateKeyCommand } from '../ledgers/rotate-key-command';

type Headers = { authorization: string };
const hex = (hashes: string[]) => hashes.map((hash) => Buffer.from(hash, 'hex'));

/**
 * Signed tree heads, consistency proofs and the published keys (issue 25), checked by an outside
 * verifier (test/helpers/rfc6962-verifier.ts) that shares no code with the server. Runs on both engines.
 */
describe('ledger witnesses: signed heads, consistency proofs, published keys', () => {
  let t: TestApp;
  let admin: Headers;

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.adminHeaders();
  });

  afterEach(async () => {
    await t.close();
  });

  const get = (url: string, headers?: Headers) => t.app.inject({ method: 'GET', url, ...(headers ? { headers } : {}) });
  const keys = async () => LedgerKeysView.parse((await get('/.well-known/bulkhead-ledger-keys')).json()).keys;
  const head = async (url: string, headers: Headers) => {
    const response = await get(url, headers);
    expect(response.statusCode, response.body).toBe(200);
    return SignedTreeHeadView.parse(response.json());
  };
  const consistency = async (url: string, headers: Headers) => {
    const response = await get(url, headers);
    expect(response.statusCode, response.body).toBe(200);
    return ConsistencyProofView.parse(response.json());
  };
  const tenantId = async (headers: Headers) => (await get('/v1/tenant', headers)).json<{ id: string }>().id;

  it('serves provider heads an outside verifier checks, consistency proofs between them, and inclusion proofs against a kept head', async () => {
    await t.tenantAdminHeaders('tenant-a', 'pooled');
    const published = await keys();
    expect(published).toHaveLength(1);
    const first = await head('/provider/v1/audit/head', admin);
    expect(first).toMatchObject({ ledger: 'provider', key_id: published[0]?.key_id, timestamp: t.clock.now().getTime() });
    expect(first.tree_size).toBeGreaterThan(0);
    expect(checkHeadSignature(first, published)).toBe(true);
    expect(checkHeadSignature({ ...first, tree_size: first.tree_size + 1 }, published)).toBe(false);
    expect(LedgerVerifyView.parse((await get('/provider/v1/audit/verify', admin)).json()).root).toBe(first.root_hash);

    await t.tenantAdminHeaders('tenant-b', 'siloed');
    const second = await head('/provider/v1/audit/head', admin);
    expect(second.tree_size).toBeGreaterThan(first.tree_size);
    const proof = await consistency(`/provider/v1/audit/consistency?from=${first.tree_size}`, admin);
    expect(proof).toMatchObject({ from: first.tree_size, to: second.tree_size });
    expect(checkConsistency(first.tree_size, second.tree_size, Buffer.from(first.root_hash, 'hex'), Buffer.from(second.root_hash, 'hex'), hex(proof.proof))).toBe(true);
    expect(await checkNewHead({ stored: first, fresh: second, keys: published, proof })).toEqual({ ok: true, head: second });
    // Every proof between two sizes, and every inclusion proof against the kept head, checks out.
    expect((await consistency('/provider/v1/audit/consistency?from=0', admin)).proof).toEqual([]);
    for (let from = 1; from <= second.tree_size; from++) {
      const between = await consistency(`/provider/v1/audit/consistency?from=${from}&to=${second.tree_size}`, admin);
      const old = InclusionProofView.parse((await get(`/provider/v1/audit/proof/1?tree_size=${from}`, admin)).json()).root;
      expect(checkConsistency(from, second.tree_size, Buffer.from(old, 'hex'), Buffer.from(second.root_hash, 'hex'), hex(between.proof)), `${from} → ${second.tree_size}`).toBe(true);
    }
    for (let seq = 1; seq <= first.tree_size; seq++) {
      const inclusion = InclusionProofView.parse((await get(`/provider/v1/audit/proof/${seq}?tree_size=${first.tree_size}`, admin)).json());
      expect(inclusion).toMatchObject({ tree_size: first.tree_size, root: first.root_hash });
      expect(checkInclusion(Buffer.from(inclusion.leaf_hash, 'hex'), inclusion.leaf_index, inclusion.tree_size, hex(inclusion.audit_path), Buffer.from(first.root_hash, 'hex'))).toBe(true);
    }
  });

  it("gives each tenant its own ledger's head and proofs, never another's; the provider ledger stays the operators'", async () => {
    const a = await t.tenantAdminHeaders('tenant-a', 'pooled');
    const b = await t.tenantAdminHeaders('tenant-b', 'siloed');
    const [idA, idB] = [await tenantId(a), await tenantId(b)];
    const headA = await head('/v1/audit/head', a);
    const headB = await head('/v1/audit/head', b);
    expect(headA.ledger).toBe(idA);
    expect(headB.ledger).toBe(idB);
    expect(checkHeadSignature(headA, await keys())).toBe(true);
    // Another entry in A's ledger: the tenant checks it extends the head it kept.
    await t.app.inject({ method: 'POST', url: '/provider/v1/tenants/tenant-a/admin-tokens', headers: admin, payload: { expires_in_seconds: 3600 } });
    const laterA = await head('/v1/audit/head', a);
    expect(laterA.tree_size).toBe(headA.tree_size + 1);
    const proof = await consistency(`/v1/audit/consistency?from=${headA.tree_size}`, a);
    expect(checkConsistency(headA.tree_size, laterA.tree_size, Buffer.from(headA.root_hash, 'hex'), Buffer.from(laterA.root_hash, 'hex'), hex(proof.proof))).toBe(true);
    // B's ledger did not move, and B's proofs are of B's ledger (its size, not A's).
    expect((await head('/v1/audit/head', b)).root_hash).toBe(headB.root_hash);
    expect((await get(`/v1/audit/consistency?from=${laterA.tree_size}`, b)).statusCode).toBe(headB.tree_size < laterA.tree_size ? 400 : 200);
    // Tenant tokens never reach the provider ledger; operators never reach a tenant's; nobody anonymous reaches either.
    for (const url of ['/provider/v1/audit/head', '/provider/v1/audit/consistency?from=0']) {
      expect((await get(url, a)).statusCode, url).toBe(401);
      expect((await get(url)).statusCode, url).toBe(401);
    }
    for (const url of ['/v1/audit/head', '/v1/audit/consistency?from=0']) {
      expect((await get(url, admin)).statusCode, url).toBe(403);
      expect((await get(url)).statusCode, url).toBe(401);
    }
  });

  it("answers proofs of large tenant ledgers from each tenant's own stored nodes: A's token never gets B's", async () => {
    const a = await t.tenantAdminHeaders('tenant-a', 'pooled');
    const b = await t.tenantAdminHeaders('tenant-b', 'siloed');
    const [idA, idB] = [await tenantId(a), await tenantId(b)];
    // Hundreds of entries each, so proofs read stored nodes (levels 4 and up) as well as leaves.
    const storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    try {
      for (const [id, count] of [
        [idA, 700],
        [idB, 900],
      ] as const) {
        await storage.transaction(async (tx) => {
          for (let i = 0; i < count; i++) await tx.appendLedger(id, { actor: 'operator:admin', eventType: 'AUDIT_NOTE', tenantId: id, details: { n: i, of: id } }, '2026-12-06T03:00:00.000Z');
        });
      }
    } finally {
      await storage.close();
    }
    const headA = await head('/v1/audit/head', a);
    const headB = await head('/v1/audit/head', b);
    expect(headA.tree_size).toBeGreaterThan(700);
    expect(headB.tree_size).toBeGreaterThan(900);
    const rootA = Buffer.from(headA.root_hash, 'hex');
    for (const from of [1, 256, 300, 512, headA.tree_size - 1]) {
      const proof = await consistency(`/v1/audit/consistency?from=${from}`, a);
      expect(proof.to).toBe(headA.tree_size);
      // The verifier needs the old root: A's inclusion proof of its first `from` entries gives it.
      const old = await get(`/v1/audit/proof/1?tree_size=${from}`, a);
      expect(old.statusCode, old.body).toBe(200);
      const oldView = InclusionProofView.parse(old.json());
      expect(checkInclusion(Buffer.from(oldView.leaf_hash, 'hex'), 0, from, hex(oldView.audit_path), Buffer.from(oldView.root, 'hex'))).toBe(true);
      expect(checkConsistency(from, headA.tree_size, Buffer.from(oldView.root, 'hex'), rootA, hex(proof.proof))).toBe(true);
      // Nothing in it proves anything of B's ledger.
      expect(checkConsistency(from, headA.tree_size, Buffer.from(oldView.root, 'hex'), Buffer.from(headB.root_hash, 'hex'), hex(proof.proof))).toBe(false);
    }
    for (const seq of [1, 333, 700]) {
      const response = await get(`/v1/audit/proof/${seq}`, a);
      expect(response.statusCode, response.body).toBe(200);
      const view = InclusionProofView.parse(response.json());
      expect(view.root).toBe(headA.root_hash);
      expect(checkInclusion(Buffer.from(view.leaf_hash, 'hex'), seq - 1, headA.tree_size, hex(view.audit_path), rootA)).toBe(true);
    }
    // A size only B's ledger has is refused to A, never answered from B's nodes.
    expect((await get(`/v1/audit/consistency?from=1&to=${headB.tree_size}`, a)).statusCode).toBe(400);
    expect((await get(`/v1/audit/proof/${headB.tree_size}`, a)).statusCode).toBe(404);
  });

  it('refuses bad ranges with 400 and a code, never 500', async () => {
    const a = await t.tenantAdminHeaders('tenant-a', 'pooled');
    const size = (await head('/provider/v1/audit/head', admin)).tree_size;
    const cases: [string, string][] = [
      [`from=${size + 1}`, 'invalid_tree_range'],
      [`from=2&to=1`, 'invalid_tree_range'],
      [`from=0&to=${size + 1}`, 'invalid_tree_range'],
      ['from=-1', 'invalid_request'],
      ['from=abc', 'invalid_request'],
      ['from=1e400', 'invalid_request'],
      ['from=1.5', 'invalid_request'],
      ['', 'invalid_request'],
      ['from=1&extra=2', 'invalid_request'],
    ];
    for (const [query, code] of cases) {
      for (const [url, headers] of [[`/provider/v1/audit/consistency?${query}`, admin], [`/v1/audit/consistency?${query}`, a]] as const) {
        if (url.startsWith('/v1/') && code === 'invalid_tree_range') continue; // the tenant's ledger has another size
        const response = await get(url, headers);
        expect(response.statusCode, url).toBe(400);
        expect(response.json(), url).toMatchObject({ error: { code } });
      }
    }
    expect((await get(`/provider/v1/audit/proof/1?tree_size=${size + 1}`, admin)).json()).toMatchObject({ error: { code: 'invalid_tree_range' } });
    expect((await get('/provider/v1/audit/proof/1?tree_size=0', admin)).statusCode).toBe(400);
    expect((await get(`/provider/v1/audit/proof/2?tree_size=1`, admin)).statusCode).toBe(404);
  });

  it('rotation keeps the old public key listed: heads it signed still verify, new heads name the new key', async () => {
    const before = await head('/provider/v1/audit/head', admin);
    const rotated = await runRotateKeyCommand({ data: t.dataDir, database: t.engine.config.engine === 'postgres' ? t.engine.config.url : undefined }, { BULKHEAD_DEPLOYMENT_KEY: t.deploymentKey }, t.clock.now);
    expect(rotated.retired).toEqual([before.key_id]);
    const listed = await keys();
    expect(listed.map((key) => key.key_id).sort()).toEqual([before.key_id, rotated.active].sort());
    expect(listed.find((key) => key.key_id === before.key_id)?.retired_at).not.toBeNull();
    const after = await head('/provider/v1/audit/head', admin);
    expect(after.key_id).toBe(rotated.active);
    expect(checkHeadSignature(before, listed)).toBe(true);
    expect(checkHeadSignature(after, listed)).toBe(true);
    const proof = await consistency(`/provider/v1/audit/consistency?from=${before.tree_size}`, admin);
    expect(await checkNewHead({ stored: before, fresh: after, keys: listed, proof })).toMatchObject({ ok: true });
    // The private keys are stored sealed under the deployment key: their bytes appear nowhere in what the engine stores.
    const storage = await t.engine.openStorage(Buffer.from(t.deploymentKey, 'base64'));
    const stored = await storage.ledgerSigningKeys.list().finally(() => storage.close());
    const privateKeys = stored.map((key) => open(Buffer.from(t.deploymentKey, 'base64'), key.sealedPrivateKey, sealPurpose.ledgerSigningKey(key.keyId)).subarray(-32));
    expect(privateKeys).toHaveLength(2);
    for (const contents of await t.engine.rawContents()) {
      for (const privateKey of privateKeys) expect(contents.includes(privateKey)).toBe(false);
    }
  });

  it.each([0, 3])('a ledger rewritten with the right key material verifies from the inside, but a witness holding an older head catches it (%i entries added)', async (more) => {
    await t.tenantAdminHeaders('tenant-a', 'pooled');
    await t.tenantAdminHeaders('tenant-b', 'hybrid');
    const published = await keys();
    const kept = await head('/provider/v1/audit/head', admin);
    const entries = pageOf(LedgerEntryView).parse((await get('/provider/v1/audit?limit=1000', admin)).json()).items.reverse();
    const first = entries[0];
    if (first === undefined) throw new Error('no entry');
    await rewriteLedger(t.engine, t.deploymentKey, 'provider', entries, { seq: first.seq, details: { ...first.details, name: 'someone else' } }, more);

    // The provider's own check is satisfied: every MAC and root was redone with the deployment key.
    expect(LedgerVerifyView.parse((await get('/provider/v1/audit/verify', admin)).json())).toMatchObject({ ok: true, size: kept.tree_size + more });
    const fresh = await head('/provider/v1/audit/head', admin);
    expect(checkHeadSignature(fresh, published)).toBe(true);
    expect(fresh.root_hash).not.toBe(kept.root_hash);
    const proof = await consistency(`/provider/v1/audit/consistency?from=${kept.tree_size}`, admin);
    expect(checkConsistency(kept.tree_size, fresh.tree_size, Buffer.from(kept.root_hash, 'hex'), Buffer.from(fresh.root_hash, 'hex'), hex(proof.proof))).toBe(false);
    const verdict = await checkNewHead({ stored: kept, fresh, keys: published, proof });
    expect(verdict).toMatchObject({ ok: false, problem: 'history_rewritten' });
    expect(verdict.ok ? '' : verdict.message).toMatch(/^History rewritten/);
  });
});
