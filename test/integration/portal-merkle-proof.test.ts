import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inclusionProof, rootFromLeafHashes } from '../../control-plane/audit/merkle';
import { verifyInclusion } from '../../src-portal/src/merkle-proof';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => createHash('sha256').update(`leaf ${i}`).digest());
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The portal's own RFC 9162 check (src-portal/src/merkle-proof.ts, WebCrypto, written apart) agrees with the control plane's proofs, and refuses any alteration. */
describe('verifyInclusion (portal, WebCrypto)', () => {
  it('accepts every leaf of trees of 1..33 leaves', async () => {
    for (let size = 1; size <= 33; size += 1) {
      const tree = leaves(size);
      const root = hex(rootFromLeafHashes(tree));
      for (let index = 0; index < size; index += 1) {
        const proof = { leafHash: hex(tree[index] ?? new Uint8Array()), leafIndex: index, treeSize: size, auditPath: inclusionProof(tree, index).map(hex), root };
        expect(await verifyInclusion(proof), `${index}/${size}`).toBe(true);
      }
    }
  });

  it('refuses a wrong leaf, index, size, root or path', async () => {
    const tree = leaves(11);
    const root = hex(rootFromLeafHashes(tree));
    const good = { leafHash: hex(tree[6] ?? new Uint8Array()), leafIndex: 6, treeSize: 11, auditPath: inclusionProof(tree, 6).map(hex), root };
    expect(await verifyInclusion(good)).toBe(true);
    const flipped = (value: string) => (value.startsWith('0') ? `1${value.slice(1)}` : `0${value.slice(1)}`);
    for (const bad of [
      { ...good, leafHash: hex(tree[5] ?? new Uint8Array()) },
      { ...good, leafIndex: 7 },
      // (A larger size with the same path can describe the same shape; a smaller one cannot.)
      { ...good, treeSize: 7 },
      { ...good, leafIndex: 11 },
      { ...good, root: flipped(root) },
      { ...good, auditPath: good.auditPath.slice(1) },
      { ...good, auditPath: [...good.auditPath, good.root] },
      { ...good, auditPath: good.auditPath.map((step, i) => (i === 0 ? flipped(step) : step)) },
      { ...good, leafHash: 'zz' },
    ]) {
      expect(await verifyInclusion(bad)).toBe(false);
    }
  });
});
