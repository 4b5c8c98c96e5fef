import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkInclusion, inclusionFailure } from './inclusion-proof';

// The tree and the audit paths by RFC 6962 §2.1's recursive definitions (MTH and PATH), the slow and
// obvious way, so the iterative check is tested against the RFC and not against itself.
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaf = (i: number) => sha(Buffer.from([0]), Buffer.from(`entry ${i}`));
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = split(leaves.length);
  return sha(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function path(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}
const hex = (buffer: Buffer) => buffer.toString('hex');

describe('RFC 6962 inclusion check', () => {
  it('accepts every leaf of every tree of 1 to 33 leaves', () => {
    for (let n = 1; n <= 33; n += 1) {
      const leaves = Array.from({ length: n }, (_, i) => leaf(i));
      const root = hex(mth(leaves));
      for (let m = 0; m < n; m += 1) {
        expect(inclusionFailure(m, n, hex(leaves[m] as Buffer), path(m, leaves).map(hex), root), `leaf ${m} of ${n}`).toBeNull();
      }
    }
  });

  it('refuses a wrong leaf, index, size, root, or a path too short or too long', () => {
    const leaves = Array.from({ length: 11 }, (_, i) => leaf(i));
    const root = hex(mth(leaves));
    const proof = path(6, leaves).map(hex);
    const at6 = hex(leaves[6] as Buffer);
    expect(inclusionFailure(6, 11, at6, proof, root)).toBeNull();
    expect(inclusionFailure(6, 11, hex(leaves[5] as Buffer), proof, root)).toMatch(/root/);
    expect(inclusionFailure(7, 11, at6, proof, root)).not.toBeNull();
    // (Sizes 9 to 16 share leaf 6's path shape, as RFC 6962 allows; 7 does not.)
    expect(inclusionFailure(6, 7, at6, proof, root)).not.toBeNull();
    expect(inclusionFailure(6, 11, at6, proof, hex(mth(leaves.slice(0, 10))))).toMatch(/root/);
    expect(inclusionFailure(6, 11, at6, proof.slice(0, -1), root)).toMatch(/shorter/);
    expect(inclusionFailure(6, 11, at6, [...proof, at6], root)).toMatch(/longer/);
    expect(inclusionFailure(11, 11, at6, proof, root)).toMatch(/not in a tree/);
    expect(inclusionFailure(6, 11, 'zz', proof, root)).toMatch(/hex/);
  });

  it('checks the proof is of the entry the list showed', () => {
    const leaves = Array.from({ length: 5 }, (_, i) => leaf(i));
    const proof = { seq: 3, leaf_index: 2, tree_size: 5, leaf_hash: hex(leaves[2] as Buffer), audit_path: path(2, leaves).map(hex), root: hex(mth(leaves)) };
    expect(checkInclusion(proof, proof.leaf_hash)).toMatchObject({ included: true, reason: null, audit_path_length: 3 });
    expect(checkInclusion(proof, hex(leaves[1] as Buffer))).toMatchObject({ included: false, reason: expect.stringMatching(/another leaf/) as unknown });
    expect(checkInclusion({ ...proof, leaf_index: 1 }, proof.leaf_hash)).toMatchObject({ included: false });
  });
});
