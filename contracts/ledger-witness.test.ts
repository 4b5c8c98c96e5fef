import { describe, expect, it } from 'vitest';
import type { SignedTreeHeadView } from './audit';
import { checkNewHead, EMPTY_TREE_ROOT, ledgerKeyId, treeHeadMessage, verifyConsistencyProof } from './ledger-witness';

// WebCrypto only, as contracts/ imports nothing of Node.
const hex = (bytes: ArrayBuffer | Uint8Array) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
const base64 = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const sha = async (...parts: number[][]) => new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(parts.flat())));

async function newKey(): Promise<{ pem: string; keyId: string; privateKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const spki = await crypto.subtle.exportKey('spki', pair.publicKey);
  return { pem: `-----BEGIN PUBLIC KEY-----\n${base64(spki)}\n-----END PUBLIC KEY-----\n`, keyId: hex(await crypto.subtle.digest('SHA-256', spki)), privateKey: pair.privateKey };
}

const key = await newKey();
const keys = [{ key_id: key.keyId, public_key_pem: key.pem, retired_at: null }];
const leaf = (n: number) => sha([0, n]);
const node = async (l: Uint8Array, r: Uint8Array) => sha([1], [...l], [...r]);

async function signed(ledger: string, size: number, root: string): Promise<SignedTreeHeadView> {
  const head = { ledger, tree_size: size, root_hash: root, timestamp: 1_700_000_000_000 };
  return { ...head, key_id: key.keyId, signature: base64(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, new TextEncoder().encode(treeHeadMessage(head)))) };
}

describe('ledger-witness', () => {
  // Leaves 0, 1, 2: MTH(2) = node(l0, l1); MTH(3) = node(MTH(2), l2); PROOF(2, D[3]) = [l2].
  const l2 = async () => hex(await leaf(2));
  const root2 = async () => hex(await node(await leaf(0), await leaf(1)));
  const root3 = async () => hex(await node(await node(await leaf(0), await leaf(1)), await leaf(2)));

  it('signs over the exact text the issue specifies and finds the key by its SPKI hash', async () => {
    expect(treeHeadMessage({ ledger: 'provider', tree_size: 3, root_hash: 'ab', timestamp: 5 })).toBe('bulkhead-tree-head:v1\nprovider\n3\nab\n5');
    expect(await ledgerKeyId(key.pem)).toBe(key.keyId);
  });

  it('accepts a head that extends the stored one, and names every other case', async () => {
    const stored = await signed('provider', 2, await root2());
    const fresh = await signed('provider', 3, await root3());
    const proof = { from: 2, to: 3, proof: [await l2()] };
    expect(await checkNewHead({ stored, fresh, keys, proof })).toEqual({ ok: true, head: fresh });
    expect(await checkNewHead({ stored: null, fresh, keys, proof: null })).toMatchObject({ ok: true });
    expect(await checkNewHead({ stored, fresh: { ...fresh, tree_size: 4 }, keys, proof })).toMatchObject({ ok: false, problem: 'bad_signature' });
    expect(await checkNewHead({ stored, fresh, keys: [{ key_id: key.keyId, public_key_pem: (await newKey()).pem, retired_at: null }], proof })).toMatchObject({ ok: false, problem: 'bad_signature' });
    expect(await checkNewHead({ stored: await signed('other', 2, await root2()), fresh, keys, proof })).toMatchObject({ ok: false, problem: 'wrong_ledger' });
    expect(await checkNewHead({ stored: fresh, fresh: stored, keys, proof: null })).toMatchObject({ ok: false, problem: 'history_rewritten' });
    expect(await checkNewHead({ stored, fresh, keys, proof: { ...proof, proof: [hex(await leaf(3))] } })).toMatchObject({ ok: false, problem: 'history_rewritten' });
    expect(await checkNewHead({ stored, fresh, keys, proof: { ...proof, from: 1 } })).toMatchObject({ ok: false, problem: 'history_rewritten' });
    // The same size with another root is a rewrite too.
    expect(await checkNewHead({ stored, fresh: await signed('provider', 2, await root3()), keys, proof: { from: 2, to: 2, proof: [] } })).toMatchObject({ ok: false, problem: 'history_rewritten' });
  });

  it('never throws on malformed proofs', async () => {
    expect(await verifyConsistencyProof(0, 3, EMPTY_TREE_ROOT, await root3(), [])).toBe(true);
    expect(await verifyConsistencyProof(2, 3, await root2(), await root3(), ['zz'])).toBe(false);
    expect(await verifyConsistencyProof(3, 2, await root3(), await root2(), [])).toBe(false);
    expect(await verifyConsistencyProof(Number.NaN, 3, await root2(), await root3(), [])).toBe(false);
  });
});
