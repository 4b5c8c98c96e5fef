import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkConsistency, checkInclusion, referenceRoot } from '../../test/helpers/rfc6962-verifier';
import { MerkleFrontier, consistencyProof, consistencyRanges, inclusionProof, inclusionRanges, leafHash, rangeRoots, rootFromLeafHashes, subtreesOf, type SubtreeRef } from './merkle';

// Proofs from perfect-subtree roots (what a ledger with stored nodes answers) against the
// leaf-based reference computations of merkle.ts and the independent RFC 6962 verifier.

const leavesOf = (count: number): Buffer[] => Array.from({ length: count }, (_, i) => leafHash(Buffer.from(`entry ${i} ${randomBytes(4).toString('hex')}`)));

/** Subtree roots straight from the leaves (what a store answers), counting what was asked. */
function source(leaves: readonly Buffer[], asked: SubtreeRef[] = []) {
  return (refs: SubtreeRef[]): Promise<Buffer[]> => {
    asked.push(...refs);
    return Promise.resolve(refs.map((ref) => rootFromLeafHashes(leaves.slice(ref.index * 2 ** ref.level, (ref.index + 1) * 2 ** ref.level))));
  };
}

describe('Merkle proofs from subtree roots', () => {
  it('every inclusion and consistency proof up to 48 leaves is byte-identical to the leaf-based one', async () => {
    const leaves = leavesOf(48);
    for (let size = 1; size <= 48; size++) {
      for (let index = 0; index < size; index++) {
        expect(await rangeRoots(inclusionRanges(index, size), source(leaves))).toEqual(inclusionProof(leaves, index, size));
      }
      for (let old = 0; old <= size; old++) {
        expect(await rangeRoots(consistencyRanges(old, size), source(leaves))).toEqual(consistencyProof(leaves, old, size));
      }
    }
  });

  it('random sizes up to 5,000: identical proofs, accepted by the independent verifier, O(log n) subtrees asked', async () => {
    const leaves = leavesOf(5_000);
    for (let round = 0; round < 40; round++) {
      const size = 1 + Math.floor(Math.random() * leaves.length);
      const old = Math.floor(Math.random() * (size + 1));
      const index = Math.floor(Math.random() * size);
      const asked: SubtreeRef[] = [];
      const [root, ...path] = await rangeRoots([[0, size], ...inclusionRanges(index, size)], source(leaves, asked));
      const consistency = await rangeRoots(consistencyRanges(old, size), source(leaves, asked));
      expect(root).toEqual(referenceRoot(leaves.slice(0, size)));
      expect(path).toEqual(inclusionProof(leaves, index, size));
      expect(consistency).toEqual(consistencyProof(leaves, old, size));
      expect(checkInclusion(leaves[index] as Buffer, index, size, path, root as Buffer)).toBe(true);
      expect(checkConsistency(old, size, referenceRoot(leaves.slice(0, old)), root as Buffer, consistency)).toBe(true);
      // Each proof hash is at most ⌈log2 n⌉ subtrees, and there are at most ⌈log2 n⌉+1 of them (plus the root).
      expect(asked.length).toBeLessThanOrEqual(3 * 14 * 14);
    }
  });

  it('subtreesOf splits an aligned range into aligned perfect subtrees, largest first', () => {
    expect(subtreesOf(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(subtreesOf(16, 24)).toEqual([{ level: 3, index: 2 }]);
    expect(subtreesOf(5, 5)).toEqual([]);
  });
});

describe('MerkleFrontier: completed nodes and subtrees', () => {
  it('reports every interior node as the append that completes it, with its level, index and root', () => {
    const leaves = leavesOf(300);
    const frontier = new MerkleFrontier();
    const seen: string[] = [];
    leaves.forEach((leaf) =>
      frontier.append(leaf, (level, index, hash) => {
        expect(hash).toEqual(rootFromLeafHashes(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)));
        seen.push(`${level}/${index}`);
      }),
    );
    // n - popcount(n) interior nodes of perfect subtrees: 300 - 4.
    expect(seen).toHaveLength(296);
    expect(new Set(seen).size).toBe(296);
  });

  it('joins ranges hashed apart: a frontier of the first part takes the subtrees of the next', () => {
    const leaves = leavesOf(1_000);
    for (const [split, chunk] of [
      [512, 488],
      [256, 256],
      [768, 232],
      [0, 1_000],
    ] as const) {
      const left = new MerkleFrontier();
      leaves.slice(0, split).forEach((leaf) => left.append(leaf));
      const right = new MerkleFrontier();
      leaves.slice(split, split + chunk).forEach((leaf) => right.append(leaf));
      for (const [level, hash] of right.subtrees()) left.appendSubtree(level, hash);
      expect(left.size).toBe(split + chunk);
      expect(left.root()).toEqual(rootFromLeafHashes(leaves.slice(0, split + chunk)));
    }
  });

  it('appendSubtree tells the nodes its joins complete, as appending the leaves one by one would', () => {
    const leaves = leavesOf(1_024);
    const whole: string[] = [];
    const one = new MerkleFrontier();
    leaves.forEach((leaf) => one.append(leaf, (level, index, hash) => whole.push(`${level}/${index}/${hash.toString('hex')}`)));
    const joined: string[] = [];
    const tell = (level: number, index: number, hash: Buffer) => joined.push(`${level}/${index}/${hash.toString('hex')}`);
    const frontier = new MerkleFrontier();
    for (let start = 0; start < 1_024; start += 256) {
      const range = new MerkleFrontier();
      leaves.slice(start, start + 256).forEach((leaf) => range.append(leaf, (level, index, hash) => tell(level, index + start / 2 ** level, hash)));
      for (const [level, hash] of range.subtrees()) frontier.appendSubtree(level, hash, tell);
    }
    expect(joined.sort()).toEqual(whole.sort());
  });

  it('refuses a subtree that does not line up with the size', () => {
    const frontier = new MerkleFrontier();
    frontier.append(leafHash(Buffer.from('a')));
    expect(() => frontier.appendSubtree(1, leafHash(Buffer.from('b')))).toThrow(RangeError);
  });
});
