import { createHash, createPublicKey, verify } from 'node:crypto';

/**
 * An outside verifier for tests, written from RFC 6962 §2.1 itself and importing nothing of the
 * product (neither control-plane/audit/merkle.ts nor contracts/ledger-witness.ts): it checks proofs
 * by replaying the RFC's recursive definitions of PATH and SUBPROOF, where the product verifies them
 * with RFC 9162's iterative algorithm. If both agree on served proofs, neither is fooling itself.
 */

const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

/** MTH over leaf hashes, by the definition (recursive split at the largest power of two below n). */
export function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = largestPowerOfTwoBelow(leaves.length);
  return sha256(Buffer.from([1]), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** The leaf hash of raw entry bytes: SHA-256(0x00 ‖ entry). */
export function referenceLeaf(entry: Buffer): Buffer {
  return sha256(Buffer.from([0]), entry);
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const node = (left: Buffer, right: Buffer): Buffer => sha256(Buffer.from([1]), left, right);

/**
 * PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) when m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]);
 * PATH(0, {d0}) = {}. So the last element of the path is the top sibling: unwinding from the end
 * rebuilds the root.
 */
export function rootFromInclusion(leaf: Buffer, index: number, size: number, path: readonly Buffer[]): Buffer | null {
  if (size === 1) return path.length === 0 && index === 0 ? leaf : null;
  if (path.length === 0 || index < 0 || index >= size) return null;
  const k = largestPowerOfTwoBelow(size);
  const top = path[path.length - 1] as Buffer;
  const rest = path.slice(0, -1);
  if (index < k) {
    const left = rootFromInclusion(leaf, index, k, rest);
    return left === null ? null : node(left, top);
  }
  const right = rootFromInclusion(leaf, index - k, size - k, rest);
  return right === null ? null : node(top, right);
}

export function checkInclusion(leaf: Buffer, index: number, size: number, path: readonly Buffer[], root: Buffer): boolean {
  return rootFromInclusion(leaf, index, size, path)?.equals(root) ?? false;
}

/**
 * SUBPROOF(m, D[n], b): {} when m = n and b; {MTH(D[m])} when m = n and not b; for m < n,
 * SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) when m ≤ k, else SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
 * Replaying it consumes the proof front to back and yields the old and new subtree roots.
 */
export function checkConsistency(oldSize: number, newSize: number, oldRoot: Buffer, newRoot: Buffer, proof: readonly Buffer[]): boolean {
  if (oldSize < 0 || oldSize > newSize) return false;
  if (oldSize === 0) return proof.length === 0;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  let next = 0;
  const take = (): Buffer => {
    const hash = proof[next++];
    if (hash === undefined) throw new RangeError('proof too short');
    return hash;
  };
  const sub = (m: number, n: number, complete: boolean): [Buffer, Buffer] => {
    if (m === n) {
      const root = complete ? oldRoot : take();
      return [root, root];
    }
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      const [old, fresh] = sub(m, k, complete);
      return [old, node(fresh, take())];
    }
    const [old, fresh] = sub(m - k, n - k, false);
    const left = take();
    return [node(left, old), node(left, fresh)];
  };
  try {
    const [old, fresh] = sub(oldSize, newSize, true);
    return next === proof.length && old.equals(oldRoot) && fresh.equals(newRoot);
  } catch {
    return false;
  }
}

/** A served head's signature under the served keys, checked with node:crypto (key id: SHA-256 of the SPKI DER). */
export function checkHeadSignature(
  head: { ledger: string; tree_size: number; root_hash: string; timestamp: number; key_id: string; signature: string },
  keys: readonly { key_id: string; public_key_pem: string }[],
): boolean {
  const key = keys.find((candidate) => candidate.key_id === head.key_id);
  if (key === undefined) return false;
  const publicKey = createPublicKey(key.public_key_pem);
  if (createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex') !== head.key_id) return false;
  const message = Buffer.from(`bulkhead-tree-head:v1\n${head.ledger}\n${head.tree_size}\n${head.root_hash}\n${head.timestamp}`, 'utf8');
  return verify(null, message, publicKey, Buffer.from(head.signature, 'base64'));
}
