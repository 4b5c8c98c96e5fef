import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MerkleFrontier,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

// ---------------------------------------------------------------------------------------------
// A reference written straight from the RFC 6962 §2.1 text: recursive, slicing, and hashing with
// Buffer.concat, so it shares nothing with the iterative implementation under test.
// ---------------------------------------------------------------------------------------------

const sha256 = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const refLeaf = (entry: Uint8Array): Buffer => sha256(Uint8Array.of(0), entry);
const refNode = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Uint8Array.of(1), left, right);

/** Largest power of two strictly smaller than n (n ≥ 2). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) {
    k *= 2;
  }
  return k;
}

/** MTH(D[start:end]) over leaf hashes, recursively. */
function refMth(d: readonly Uint8Array[], start = 0, end = d.length): Buffer {
  const n = end - start;
  if (n === 0) {
    return sha256();
  }
  if (n === 1) {
    return Buffer.from(at(d, start));
  }
  const k = largestPowerOfTwoBelow(n);
  return refNode(refMth(d, start, start + k), refMth(d, start + k, end));
}

type Side = 'left' | 'right';

/** PATH(m, D[n]) with the side each sibling sits on, bottom-up (RFC 6962 §2.1.1). */
function refPath(m: number, d: readonly Uint8Array[]): { side: Side; hash: Buffer }[] {
  const n = d.length;
  if (n <= 1) {
    return [];
  }
  const k = largestPowerOfTwoBelow(n);
  return m < k
    ? [...refPath(m, d.slice(0, k)), { side: 'right', hash: refMth(d.slice(k)) }]
    : [...refPath(m - k, d.slice(k)), { side: 'left', hash: refMth(d.slice(0, k)) }];
}

/** Only the sides of PATH(m, D[n]) (the shape of the tree along the path), for any n. */
function refSides(m: number, n: number): Side[] {
  if (n <= 1) {
    return [];
  }
  const k = largestPowerOfTwoBelow(n);
  return m < k ? [...refSides(m, k), 'right'] : [...refSides(m - k, n - k), 'left'];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 6962 §2.1.2). */
function refSubproof(m: number, d: readonly Uint8Array[], b: boolean): Buffer[] {
  const n = d.length;
  if (m === n) {
    return b ? [] : [refMth(d)];
  }
  const k = largestPowerOfTwoBelow(n);
  return m <= k ? [...refSubproof(m, d.slice(0, k), b), refMth(d.slice(k))] : [...refSubproof(m - k, d.slice(k), false), refMth(d.slice(0, k))];
}

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) {
    throw new Error(`no item ${index} (of ${items.length})`);
  }
  return item;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hexes = (list: readonly Uint8Array[]): string[] => list.map(hex);
const unhex = (text: string): Buffer => Buffer.from(text, 'hex');

/** `count` distinct leaf hashes. */
function makeLeaves(count: number, tag = 'entry'): Buffer[] {
  return Array.from({ length: count }, (_, i) => leafHash(Buffer.from(`${tag}-${i}`)));
}

function flipBit(bytes: Uint8Array, byte = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[byte] = (copy[byte] ?? 0) ^ 0x01;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Known answers: the RFC 6962 test data used by Certificate Transparency implementations
// (certificate-transparency C++/Python/Go, Trillian).
// ---------------------------------------------------------------------------------------------

const CT_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_LEAVES = CT_INPUTS.map((input) => leafHash(unhex(input)));
const ctRoot = (size: number): Buffer => unhex(at(CT_ROOTS, size - 1));

/** Published audit paths (0-based leaf index). */
const CT_INCLUSION = [
  { index: 0, size: 1, path: [] },
  { index: 0, size: 8, path: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, path: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, path: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];

/** Published consistency proofs. */
const CT_CONSISTENCY = [
  { oldSize: 1, newSize: 1, path: [] },
  { oldSize: 1, newSize: 8, path: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { oldSize: 6, newSize: 8, path: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { oldSize: 2, newSize: 5, path: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];

/** An audit path from a real CT log (certificate-transparency's Python verifier tests). */
const CT_REAL_LOG = {
  leafHash: '7a395c866d5ecdb0cccb623e011dbc392cd348d1d1d72776174e127a24b09c78',
  index: 848049,
  size: 3630887,
  root: '78316a05c9bcf14a3a4548f5b854a9adfcd46a4c034401b3ce7eb7ac2f1d0ecb',
  path: [
    '1a208aeebcd1b39fe2de247ee8db9454e1e93a312d206b87f6ca9cc6ec6f1ddd',
    '0a1b78b383f580856f433c01a5741e160d451c185910027f6cc9f828687a40c4',
    '3d1745789bc63f2da15850de1c12a5bf46ed81e1cc90f086148b1662e79aab3d',
    '9095b61e14d8990acf390905621e62b1714fb8e399fbb71de5510e0aef45affe',
    '0a332b91b8fab564e6afd1dd452449e04619b18accc0ff9aa8393cd4928451f2',
    '2336f0181d264aed6d8f3a6507ca14a8d3b3c3a23791ac263e845d208c1ee330',
    'b4ce56e300590500360c146c6452edbede25d4ed83919278749ee5dbe178e048',
    '933f6ddc848ea562e4f9c5cfb5f176941301dad0c6fdb9d1fbbe34fac1be6966',
    'b95a6222958a86f74c030be27c44f57dbe313e5e7c7f4ffb98bcbd3a03bb52f2',
    'daeeb3ce5923defd0faeb8e0c210b753b85b809445d7d3d3cd537a9aabaa9c45',
    '7fadd0a13e9138a2aa6c3fdec4e2275af233b94812784f66bcca9aa8e989f2bc',
    '1864e6ba3e32878610546539734fb5eeae2529991f130c575c73a7e25a2a7c56',
    '12842d1202b1dc6828a17ab253c02e7ce9409b5192430feba44189f39cc02d66',
    '29af64b16fa3053c13d02ac63aa75b23aa468506e44c3a2315edc85d2dc22b11',
    'b527b99934a0bd9edd154e449b0502e2c499bba783f3bc3dfe23364b6b532009',
    '4584db8ae8e351ace08e01f306378a92bfd43611714814f3d834a2842d69faa8',
    '86a9a41573b0d6e4292f01e93243d6cc65b30f06606fc6fa57390e7e90ed580f',
    'a88b98fbe84d4c6aae8db9d1605dfac059d9f03fe0fcb0d5dff1295dacba09e6',
    '06326dc617a6d1f7021dc536026dbfd5fffc6f7c5531d48ef6ccd1ed1569f2a1',
    'f41fe8fdc3a2e4e8345e30216e7ebecffee26ff266eeced208a6c2a3cf08f960',
    '40cf5bde8abb76983f3e98ba97aa36240402975674e120f234b3448911090f8d',
    'b3222dc8658538079883d980d7fdc2bef9285344ea34338968f736b04aeb387a',
  ],
};

describe('hashing', () => {
  it('EMPTY_ROOT is SHA-256 of the empty string', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(rootFromLeafHashes([]))).toBe(hex(EMPTY_ROOT));
    expect(hex(new MerkleFrontier().root())).toBe(hex(EMPTY_ROOT));
  });

  it('leafHash and nodeHash use the 0x00 / 0x01 domain-separation prefixes', () => {
    const entry = Buffer.from('audit entry');
    expect(hex(leafHash(entry))).toBe(hex(refLeaf(entry)));
    expect(hex(leafHash(entry))).not.toBe(hex(sha256(entry)));
    const [a, b] = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))];
    expect(hex(nodeHash(a, b))).toBe(hex(refNode(a, b)));
    expect(hex(nodeHash(a, b))).not.toBe(hex(nodeHash(b, a)));
    // The one-leaf tree's root is the leaf hash of the empty entry (first CT root).
    expect(hex(leafHash(new Uint8Array(0)))).toBe(at(CT_ROOTS, 0));
  });

  it('leafHash is right for entries of every size class (small ones copied, large ones streamed)', () => {
    for (const length of [0, 1, 200, 16 * 1024 - 2, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000]) {
      const entry = Buffer.alloc(length, length % 251);
      expect(hex(leafHash(entry)), `${length} bytes`).toBe(hex(refLeaf(entry)));
    }
    // A view into a larger buffer hashes only its own bytes.
    const backing = Buffer.from('xxaudit entryyy');
    expect(hex(leafHash(backing.subarray(2, 13)))).toBe(hex(refLeaf(Buffer.from('audit entry'))));
  });

  it('nodeHash refuses inputs that are not 32 bytes', () => {
    expect(() => nodeHash(Buffer.alloc(31), Buffer.alloc(32))).toThrow(RangeError);
    expect(() => nodeHash(Buffer.alloc(32), Buffer.alloc(33))).toThrow(RangeError);
  });
});

describe('known answers (RFC 6962 / Certificate Transparency test data)', () => {
  it.each(CT_ROOTS.map((root, i) => ({ size: i + 1, root })))('MTH of the first $size leaves is $root', ({ size, root }) => {
    const leaves = CT_LEAVES.slice(0, size);
    expect(hex(rootFromLeafHashes(leaves))).toBe(root);
    const frontier = new MerkleFrontier();
    leaves.forEach((leaf) => frontier.append(leaf));
    expect(hex(frontier.root())).toBe(root);
  });

  it.each(CT_INCLUSION)('audit path of leaf $index in the tree of $size', ({ index, size, path }) => {
    expect(hexes(inclusionProof(CT_LEAVES, index, size))).toEqual(path);
    expect(verifyInclusion(at(CT_LEAVES, index), index, size, path.map(unhex), ctRoot(size))).toBe(true);
  });

  it.each(CT_CONSISTENCY)('consistency proof from $oldSize to $newSize', ({ oldSize, newSize, path }) => {
    expect(hexes(consistencyProof(CT_LEAVES, oldSize, newSize))).toEqual(path);
    expect(verifyConsistency(oldSize, newSize, ctRoot(oldSize), ctRoot(newSize), path.map(unhex))).toBe(true);
  });

  it('published consistency proofs fail under the mutations CT implementations test for', () => {
    for (const { oldSize, newSize, path } of CT_CONSISTENCY.filter((c) => c.path.length > 0)) {
      const proof = path.map(unhex);
      const [oldRoot, newRoot] = [ctRoot(oldSize), ctRoot(newSize)];
      for (const [m, n] of [[oldSize - 1, newSize], [oldSize + 1, newSize], [oldSize ^ 2, newSize], [oldSize, newSize * 2], [oldSize, Math.floor(newSize / 2)]] as const) {
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof), `sizes ${m}→${n}`).toBe(false);
      }
      expect(verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof)).toBe(false);
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [])).toBe(false);
    }
  });

  it('verifies an audit path taken from a real CT log (leaf 848049 of 3630887)', () => {
    const { index, size, path } = CT_REAL_LOG;
    const [leaf, root, proof] = [unhex(CT_REAL_LOG.leafHash), unhex(CT_REAL_LOG.root), path.map(unhex)];
    expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
    expect(verifyInclusion(leaf, index + 1, size, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root)).toBe(false);
    expect(verifyInclusion(flipBit(leaf), index, size, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, proof, flipBit(root, 31))).toBe(false);
  });
});

describe('rootFromLeafHashes', () => {
  it('matches the recursive RFC definition for every size up to 300', () => {
    const leaves = makeLeaves(300);
    for (let size = 0; size <= 300; size++) {
      const part = leaves.slice(0, size);
      expect(hex(rootFromLeafHashes(part)), `size ${size}`).toBe(hex(refMth(part)));
    }
  });

  it('returns a fresh Buffer: writing into it changes nothing later', () => {
    const leaf = at(makeLeaves(1), 0);
    const expected = hex(leaf);
    rootFromLeafHashes([leaf]).fill(0); // one leaf: the root has the leaf's bytes, but not its memory
    expect(hex(leaf)).toBe(expected);
    expect(hex(rootFromLeafHashes([leaf]))).toBe(expected);
    rootFromLeafHashes([]).fill(0);
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('refuses leaves that are not 32-byte hashes (raw entries passed by mistake)', () => {
    const leaves = makeLeaves(4);
    expect(() => rootFromLeafHashes([...leaves, Buffer.from('raw entry')])).toThrow(RangeError);
    expect(() => rootFromLeafHashes([Buffer.alloc(33)])).toThrow(RangeError);
  });

  it('computes the root of 100,000 leaves (same as the frontier and the recursive definition)', () => {
    const leaves = makeLeaves(100_000, 'bulk');
    const root = rootFromLeafHashes(leaves);
    const frontier = new MerkleFrontier();
    for (const leaf of leaves) {
      frontier.append(leaf);
    }
    expect(frontier.size).toBe(100_000);
    expect(hex(frontier.root())).toBe(hex(root));
    expect(hex(root)).toBe(hex(refMth(leaves)));
  });
});

describe('MerkleFrontier', () => {
  it('root equals rootFromLeafHashes after each of the first 1,000 appends', () => {
    const leaves = makeLeaves(1_000);
    const frontier = new MerkleFrontier();
    leaves.forEach((leaf, i) => {
      frontier.append(leaf);
      expect(frontier.size).toBe(i + 1);
      expect(hex(frontier.root()), `after ${i + 1} appends`).toBe(hex(rootFromLeafHashes(leaves.slice(0, i + 1))));
    });
  });

  it('serialize/deserialize round-trips mid-stream and keeps appending identically', () => {
    const leaves = makeLeaves(300);
    const frontier = new MerkleFrontier();
    for (let size = 0; size < leaves.length; size++) {
      const bytes = frontier.serialize();
      const popcount = size.toString(2).replaceAll('0', '').length;
      expect(bytes.length, `size ${size}`).toBe(32 * popcount);
      const restored = MerkleFrontier.deserialize(size, bytes);
      expect(restored.size).toBe(size);
      expect(hex(restored.root())).toBe(hex(frontier.root()));
      // The restored frontier goes on like the original, without the old leaves.
      for (const leaf of leaves.slice(size, Math.min(size + 40, leaves.length))) {
        restored.append(leaf);
      }
      expect(hex(restored.root())).toBe(hex(rootFromLeafHashes(leaves.slice(0, Math.min(size + 40, leaves.length)))));
      frontier.append(at(leaves, size));
    }
  });

  it('is not affected by later writes to the buffers it was given or returned', () => {
    const leaves = makeLeaves(4);
    const frontier = new MerkleFrontier();
    const first = Buffer.from(at(leaves, 0));
    frontier.append(first);
    first.fill(0);
    frontier.root().fill(0); // a power-of-two size: the root is the stored hash itself
    expect(hex(frontier.root())).toBe(hex(at(leaves, 0)));
    const bytes = frontier.serialize();
    const restored = MerkleFrontier.deserialize(1, bytes);
    bytes.fill(0);
    frontier.serialize().fill(0);
    expect(hex(restored.root())).toBe(hex(at(leaves, 0)));
    expect(hex(frontier.root())).toBe(hex(at(leaves, 0)));
  });

  it('the constructor takes a size and its hashes (what serialize stores)', () => {
    const leaves = makeLeaves(11); // 11 = 0b1011: subtrees of 8, 2 and 1 leaves
    const frontier = new MerkleFrontier(11, [refMth(leaves.slice(0, 8)), refMth(leaves.slice(8, 10)), at(leaves, 10)]);
    expect(frontier.size).toBe(11);
    expect(hex(frontier.root())).toBe(hex(refMth(leaves)));
    expect(hex(frontier.serialize())).toBe(hex(MerkleFrontier.deserialize(11, frontier.serialize()).serialize()));
  });

  it('refuses a size and hashes that disagree, or bad sizes', () => {
    const hash = at(makeLeaves(1), 0);
    expect(() => new MerkleFrontier(3, [hash])).toThrow(RangeError);
    expect(() => new MerkleFrontier(0, [hash])).toThrow(RangeError);
    expect(() => new MerkleFrontier(1, [Buffer.alloc(31)])).toThrow(RangeError);
    expect(() => new MerkleFrontier(-1)).toThrow(RangeError);
    expect(() => new MerkleFrontier(1.5, [hash])).toThrow(RangeError);
    expect(() => MerkleFrontier.deserialize(3, Buffer.alloc(32))).toThrow(RangeError);
    expect(() => MerkleFrontier.deserialize(3, Buffer.alloc(65))).toThrow(RangeError);
    expect(() => MerkleFrontier.deserialize(Number.NaN, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => new MerkleFrontier().append(Buffer.alloc(20))).toThrow(RangeError);
    expect(MerkleFrontier.deserialize(0, Buffer.alloc(0)).size).toBe(0);
  });

  it('handles sizes beyond 32 bits (popcount and carries are not 32-bit operations)', () => {
    const size = 2 ** 40 - 1; // forty full subtrees pending
    const hashes = makeLeaves(40, 'big');
    const frontier = MerkleFrontier.deserialize(size, Buffer.concat(hashes));
    const leaf = at(makeLeaves(1, 'next'), 0);
    frontier.append(leaf);
    expect(frontier.size).toBe(2 ** 40);
    // Appending merged every pending subtree into one perfect tree of 2^40 leaves.
    let expected = leaf;
    for (let i = hashes.length - 1; i >= 0; i--) {
      expected = refNode(at(hashes, i), expected);
    }
    expect(frontier.serialize().length).toBe(32);
    expect(hex(frontier.root())).toBe(hex(expected));
  });
});

/** For every size 1..max and index, the proof, the leaves, the root of every size. */
function inclusionCases(max: number): { leaves: Buffer[]; roots: Buffer[] } {
  const leaves = makeLeaves(max);
  const roots = [EMPTY_ROOT, ...leaves.map((_, i) => rootFromLeafHashes(leaves.slice(0, i + 1)))];
  return { leaves, roots };
}

describe('inclusion proofs', () => {
  const MAX = 64;
  const { leaves, roots } = inclusionCases(MAX);

  it('every index of every size 1..64 has the RFC audit path, and it verifies', () => {
    for (let size = 1; size <= MAX; size++) {
      const tree = leaves.slice(0, size);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index, size);
        const path = refPath(index, tree);
        expect(hexes(proof), `leaf ${index} of ${size}`).toEqual(path.map((step) => hex(step.hash)));
        expect(path.map((step) => step.side)).toEqual(refSides(index, size));
        expect(hexes(inclusionProof(tree, index))).toEqual(hexes(proof));
        expect(verifyInclusion(at(leaves, index), index, size, proof, at(roots, size)), `leaf ${index} of ${size}`).toBe(true);
      }
    }
  });

  it('fails for a wrong leaf, a wrong index, a truncated proof, an extra element, a changed element or a different root', () => {
    for (let size = 1; size <= MAX; size++) {
      const root = at(roots, size);
      for (let index = 0; index < size; index++) {
        const leaf = at(leaves, index);
        const proof = inclusionProof(leaves, index, size);
        const label = `leaf ${index} of ${size}`;
        // Wrong leaf: another leaf of the tree, or a bit flipped.
        expect(verifyInclusion(at(leaves, (index + 1) % MAX), index, size, proof, root), label).toBe(false);
        expect(verifyInclusion(flipBit(leaf), index, size, proof, root), label).toBe(false);
        // Wrong index: every other position, and out of range.
        for (let other = -1; other <= size; other++) {
          if (other !== index) {
            expect(verifyInclusion(leaf, other, size, proof, root), `${label} as index ${other}`).toBe(false);
          }
        }
        // Truncated proof, extra element (at the end or the front).
        if (proof.length > 0) {
          expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root), label).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof.slice(1), root), label).toBe(false);
        }
        expect(verifyInclusion(leaf, index, size, [...proof, root], root), label).toBe(false);
        expect(verifyInclusion(leaf, index, size, [...proof, EMPTY_ROOT], root), label).toBe(false);
        expect(verifyInclusion(leaf, index, size, [root, ...proof], root), label).toBe(false);
        // Any element changed.
        proof.forEach((_, i) => {
          const changed = proof.map((hash, j) => (j === i ? flipBit(hash) : hash));
          expect(verifyInclusion(leaf, index, size, changed, root), `${label}, element ${i} changed`).toBe(false);
        });
        // Different root: the neighbouring sizes' roots, the empty root, a flipped bit.
        for (const other of [size - 1, size + 1, 0]) {
          if (other !== size && other <= MAX) {
            expect(verifyInclusion(leaf, index, size, proof, at(roots, other)), `${label} against root of ${other}`).toBe(false);
          }
        }
        expect(verifyInclusion(leaf, index, size, proof, flipBit(root, 31)), label).toBe(false);
      }
    }
  });

  it('fails for a wrong size, except where that tree has the same shape along the path (the proof does not commit to the size)', () => {
    // The verifier only learns the size through the shape of the path (its length and the side of
    // each sibling). A size whose tree has the same shape along this path is indistinguishable; the
    // size must therefore be authenticated with the root. Compare with shapes from the reference.
    const shapeOf = (index: number, size: number): string => (index < size ? refSides(index, size).join(',') : 'out of range');
    let refused = 0;
    let accepted = 0;
    for (let size = 1; size <= MAX; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index, size);
        for (const other of [...Array.from({ length: MAX }, (_, i) => i + 1), 0, size * 2, size + MAX, 1000, 2 ** 32 + size]) {
          if (other === size) {
            continue;
          }
          const ok = verifyInclusion(at(leaves, index), index, other, proof, at(roots, size));
          const sameShape = shapeOf(index, other) === shapeOf(index, size);
          expect(ok, `leaf ${index} of ${size} claimed in a tree of ${other}`).toBe(sameShape);
          if (ok) {
            accepted++;
          } else {
            refused++;
          }
        }
      }
    }
    // Both outcomes occur (e.g. leaf 0 of 3 is accepted as leaf 0 of 4, but not of 5).
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    expect(verifyInclusion(at(leaves, 0), 0, 4, inclusionProof(leaves, 0, 3), at(roots, 3))).toBe(true);
    expect(verifyInclusion(at(leaves, 0), 0, 5, inclusionProof(leaves, 0, 3), at(roots, 3))).toBe(false);
  });

  it('throws RangeError for a bad index or size', () => {
    const tree = leaves.slice(0, 5);
    for (const [index, size] of [[-1, 5], [5, 5], [0, 0], [0, 6], [1.5, 5], [0, -1], [Number.NaN, 5], [0, Number.POSITIVE_INFINITY]] as const) {
      expect(() => inclusionProof(tree, index, size), `index ${index}, size ${size}`).toThrow(RangeError);
    }
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
    expect(inclusionProof(tree, 0, 1)).toEqual([]);
  });

  it('verifyInclusion returns false (never throws) on malformed input', () => {
    const leaf = at(leaves, 2);
    const proof = inclusionProof(leaves, 2, 5);
    const root = at(roots, 5);
    const garbage: unknown[] = [null, undefined, 'proof', -5, 2.5, {}, [null], [Buffer.alloc(31)], [{ length: 32 }]];
    for (const bad of garbage) {
      expect(verifyInclusion(leaf, 2, 5, bad as Uint8Array[], root)).toBe(false);
      expect(verifyInclusion(bad as Uint8Array, 2, 5, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, 2, 5, proof, bad as Uint8Array)).toBe(false);
      expect(verifyInclusion(leaf, bad as number, 5, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, 2, bad as number, proof, root)).toBe(false);
    }
    expect(verifyInclusion(leaf, 2, 5, [...proof.slice(0, -1), Buffer.alloc(0)], root)).toBe(false);
    expect(verifyInclusion(leaf, 2.5, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 0, [], EMPTY_ROOT)).toBe(false);
    expect(verifyInclusion(leaf, 2, Number.POSITIVE_INFINITY, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 2, 5, proof, root)).toBe(true);
  });
});

describe('consistency proofs', () => {
  const MAX = 32;
  const { leaves, roots } = inclusionCases(MAX);

  it('every old/new pair up to 32 has the RFC proof, and it verifies', () => {
    for (let newSize = 0; newSize <= MAX; newSize++) {
      const tree = leaves.slice(0, newSize);
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const proof = consistencyProof(leaves, oldSize, newSize);
        const expected = oldSize === 0 ? [] : refSubproof(oldSize, tree, true);
        expect(hexes(proof), `${oldSize}→${newSize}`).toEqual(hexes(expected));
        expect(hexes(consistencyProof(tree, oldSize))).toEqual(hexes(proof));
        expect(verifyConsistency(oldSize, newSize, at(roots, oldSize), at(roots, newSize), proof), `${oldSize}→${newSize}`).toBe(true);
      }
    }
  });

  it('fails for wrong roots, a truncated, extended or changed proof, and sizes the proof is not for', () => {
    for (let newSize = 1; newSize <= MAX; newSize++) {
      for (let oldSize = 1; oldSize < newSize; oldSize++) {
        const proof = consistencyProof(leaves, oldSize, newSize);
        const [oldRoot, newRoot] = [at(roots, oldSize), at(roots, newSize)];
        const label = `${oldSize}→${newSize}`;
        expect(proof.length, label).toBeGreaterThan(0);
        // Wrong roots: every other size's root on either side, flipped bits, swapped.
        for (let other = 0; other <= MAX; other++) {
          if (other !== oldSize) {
            expect(verifyConsistency(oldSize, newSize, at(roots, other), newRoot, proof), `${label}, old root of ${other}`).toBe(false);
          }
          if (other !== newSize) {
            expect(verifyConsistency(oldSize, newSize, oldRoot, at(roots, other), proof), `${label}, new root of ${other}`).toBe(false);
          }
        }
        expect(verifyConsistency(oldSize, newSize, flipBit(oldRoot), newRoot, proof), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, flipBit(newRoot), proof), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof), label).toBe(false);
        // Truncated, extended, changed proofs.
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, []), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1)), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(1)), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, newRoot]), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [at(proof, 0), ...proof]), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [oldRoot, ...proof]), label).toBe(false);
        proof.forEach((_, i) => {
          const changed = proof.map((hash, j) => (j === i ? flipBit(hash) : hash));
          expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, changed), `${label}, element ${i} changed`).toBe(false);
        });
        // Claimed for other sizes, with those sizes' true roots: accepted only where it is the
        // proof for those sizes too (byte for byte), which for these neighbours never happens.
        for (const [m, n] of [[oldSize - 1, newSize], [oldSize + 1, newSize], [oldSize, newSize - 1], [oldSize, newSize + 1], [oldSize ^ 2, newSize], [oldSize, newSize * 2], [oldSize, Math.floor(newSize / 2)]] as const) {
          if (m < 1 || n > MAX || m >= n) {
            continue;
          }
          const expected = hexes(consistencyProof(leaves, m, n)).join() === hexes(proof).join();
          expect(verifyConsistency(m, n, at(roots, m), at(roots, n), proof), `${label} claimed as ${m}→${n}`).toBe(expected);
        }
        // Old size claimed beyond the new size, or sizes out of range.
        expect(verifyConsistency(newSize, oldSize, newRoot, oldRoot, proof), label).toBe(false);
        expect(verifyConsistency(oldSize, newSize + 2 ** 32, oldRoot, newRoot, proof), label).toBe(false);
      }
    }
  });

  it('trivial cases: equal sizes need equal roots and no proof; size 0 needs the empty root and no proof', () => {
    const root3 = at(roots, 3);
    expect(verifyConsistency(3, 3, root3, root3, [])).toBe(true);
    expect(verifyConsistency(3, 3, root3, at(roots, 4), [])).toBe(false);
    expect(verifyConsistency(3, 3, root3, root3, [root3])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, at(roots, 5), [])).toBe(true);
    expect(verifyConsistency(0, 5, root3, at(roots, 5), [])).toBe(false);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, at(roots, 5), [root3])).toBe(false);
    expect(verifyConsistency(4, 3, at(roots, 4), root3, [])).toBe(false);
    expect(verifyConsistency(-1, 3, EMPTY_ROOT, root3, [])).toBe(false);
  });

  it('does not commit to the sizes on its own (documented: authenticate sizes with roots)', () => {
    // The 1→3 proof also "proves" 1→4 for the same roots: a 4-leaf tree has the same shape there.
    expect(verifyConsistency(1, 4, at(roots, 1), at(roots, 3), consistencyProof(leaves, 1, 3))).toBe(true);
    expect(verifyConsistency(1, 5, at(roots, 1), at(roots, 3), consistencyProof(leaves, 1, 3))).toBe(false);
  });

  it('throws RangeError for bad sizes', () => {
    const tree = leaves.slice(0, 8);
    for (const [m, n] of [[5, 4], [-1, 4], [0, 9], [1.5, 4], [Number.NaN, 4], [1, Number.NaN]] as const) {
      expect(() => consistencyProof(tree, m, n), `${m}→${n}`).toThrow(RangeError);
    }
  });

  it('verifyConsistency returns false (never throws) on malformed input', () => {
    const proof = consistencyProof(leaves, 3, 7);
    const [oldRoot, newRoot] = [at(roots, 3), at(roots, 7)];
    const garbage: unknown[] = [null, undefined, 'x', -7, 7.5, {}, [null], [Buffer.alloc(33)]];
    for (const bad of garbage) {
      expect(verifyConsistency(3, 7, oldRoot, newRoot, bad as Uint8Array[])).toBe(false);
      expect(verifyConsistency(3, 7, bad as Uint8Array, newRoot, proof)).toBe(false);
      expect(verifyConsistency(3, 7, oldRoot, bad as Uint8Array, proof)).toBe(false);
      expect(verifyConsistency(bad as number, 7, oldRoot, newRoot, proof)).toBe(false);
      expect(verifyConsistency(3, bad as number, oldRoot, newRoot, proof)).toBe(false);
    }
    expect(verifyConsistency(3, 7, oldRoot, newRoot, proof)).toBe(true);
  });
});

describe('properties (fast-check)', () => {
  // size 'max': lengths spread over 0..150 (the default size keeps arrays to about 10 items).
  const leafLists = fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 150, size: 'max' }).map((entries) => entries.map((entry) => leafHash(entry)));

  it('root, frontier and the recursive definition agree on random leaf lists', () => {
    fc.assert(
      fc.property(leafLists, (leaves) => {
        const frontier = new MerkleFrontier();
        leaves.forEach((leaf) => frontier.append(leaf));
        const expected = hex(refMth(leaves));
        return hex(rootFromLeafHashes(leaves)) === expected && hex(frontier.root()) === expected;
      }),
      { numRuns: 200 },
    );
  });

  it('inclusion proofs for random leaves match the RFC path and verify; another leaf does not', () => {
    fc.assert(
      fc.property(
        leafLists.filter((leaves) => leaves.length > 0),
        fc.nat(),
        fc.nat(),
        (leaves, a, b) => {
          const size = 1 + (a % leaves.length);
          const index = b % size;
          const proof = inclusionProof(leaves, index, size);
          const root = refMth(leaves.slice(0, size));
          const leaf = at(leaves, index);
          const other = leafHash(Buffer.concat([leaf, Uint8Array.of(1)]));
          return (
            hexes(proof).join() === refPath(index, leaves.slice(0, size)).map((step) => hex(step.hash)).join() &&
            verifyInclusion(leaf, index, size, proof, root) &&
            !verifyInclusion(other, index, size, proof, root)
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('consistency proofs between random prefixes match the RFC proof and verify', () => {
    fc.assert(
      fc.property(leafLists, fc.nat(), fc.nat(), (leaves, a, b) => {
        const newSize = a % (leaves.length + 1);
        const oldSize = b % (newSize + 1);
        const proof = consistencyProof(leaves, oldSize, newSize);
        const expected = oldSize === 0 ? [] : refSubproof(oldSize, leaves.slice(0, newSize), true);
        const oldRoot = refMth(leaves.slice(0, oldSize));
        const newRoot = refMth(leaves.slice(0, newSize));
        return hexes(proof).join() === hexes(expected).join() && verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof);
      }),
      { numRuns: 200 },
    );
  });

  it('a frontier restored at a random point continues like the original', () => {
    fc.assert(
      fc.property(leafLists, fc.nat(), (leaves, a) => {
        const cut = a % (leaves.length + 1);
        const first = new MerkleFrontier();
        leaves.slice(0, cut).forEach((leaf) => first.append(leaf));
        const restored = MerkleFrontier.deserialize(first.size, first.serialize());
        leaves.slice(cut).forEach((leaf) => restored.append(leaf));
        return restored.size === leaves.length && hex(restored.root()) === hex(refMth(leaves));
      }),
      { numRuns: 200 },
    );
  });
});
