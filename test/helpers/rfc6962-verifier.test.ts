import { describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, leafHash, rootFromLeafHashes } from '../../control-plane/audit/merkle';
import { verifyConsistencyProof } from '../../contracts/ledger-witness';
import { checkConsistency, checkInclusion, referenceLeaf, referenceRoot } from './rfc6962-verifier';

/** The reference verifier against the product's proofs, and the product's WebCrypto check against it, over every small tree. */
describe('rfc6962-verifier', () => {
  const leaves = Array.from({ length: 33 }, (_, i) => referenceLeaf(Buffer.from(`entry ${i}`)));

  it('computes the roots and leaves merkle.ts computes', () => {
    expect(referenceLeaf(Buffer.from('x')).equals(leafHash(Buffer.from('x')))).toBe(true);
    for (let n = 0; n <= leaves.length; n++) expect(referenceRoot(leaves.slice(0, n)).equals(rootFromLeafHashes(leaves.slice(0, n)))).toBe(true);
  });

  it('accepts every served inclusion proof and refuses it for another leaf, index or root', () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root = referenceRoot(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const path = inclusionProof(leaves, m, n);
        expect(checkInclusion(leaves[m] as Buffer, m, n, path, root), `${m} of ${n}`).toBe(true);
        if (n > 1) expect(checkInclusion(leaves[(m + 1) % n] as Buffer, m, n, path, root)).toBe(false);
        expect(checkInclusion(leaves[m] as Buffer, m, n, path, referenceLeaf(root))).toBe(false);
        if (m + 1 < n) expect(checkInclusion(leaves[m] as Buffer, m + 1, n, path, root)).toBe(false);
      }
    }
  });

  it('accepts every consistency proof, as contracts/ledger-witness.ts does, and both refuse a changed old root or a changed proof', async () => {
    for (let n = 1; n <= leaves.length; n++) {
      const newRoot = referenceRoot(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const oldRoot = referenceRoot(leaves.slice(0, m));
        const proof = consistencyProof(leaves, m, n);
        expect(checkConsistency(m, n, oldRoot, newRoot, proof), `${m} → ${n}`).toBe(true);
        expect(await verifyConsistencyProof(m, n, oldRoot.toString('hex'), newRoot.toString('hex'), proof.map((hash) => hash.toString('hex')))).toBe(true);
        const otherOld = referenceRoot([referenceLeaf(Buffer.from('forged')), ...leaves.slice(1, m)]);
        expect(checkConsistency(m, n, otherOld, newRoot, proof)).toBe(false);
        expect(await verifyConsistencyProof(m, n, otherOld.toString('hex'), newRoot.toString('hex'), proof.map((hash) => hash.toString('hex')))).toBe(false);
        if (proof.length > 0) {
          const bent = proof.map((hash, i) => (i === proof.length - 1 ? referenceLeaf(hash) : hash));
          expect(checkConsistency(m, n, oldRoot, newRoot, bent)).toBe(false);
          expect(checkConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
          expect(checkConsistency(m, n, oldRoot, newRoot, [...proof, newRoot])).toBe(false);
        }
      }
    }
  });
});
