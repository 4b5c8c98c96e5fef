import { createHash } from 'node:crypto';
import type { InclusionProofView } from '../../contracts/audit';
import type { InclusionCheck } from '../../contracts/ipc';

// An RFC 6962 inclusion proof checked by the console itself, written from the RFC (RFC 9162 §2.1.3.2
// gives the same algorithm step by step) rather than taken from control-plane/audit/merkle.ts: a
// console that used the control plane's own code to check the control plane would prove little.

const HEX32 = /^[0-9a-f]{64}$/;

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([0x01])).update(left).update(right).digest();
}

/**
 * Whether `auditPath` leads from `leafHash` at `leafIndex` to `root` in a tree of `treeSize` leaves.
 * null: it does; otherwise the reason it does not.
 */
export function inclusionFailure(leafIndex: number, treeSize: number, leafHash: string, auditPath: readonly string[], root: string): string | null {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) {
    return `leaf ${leafIndex} is not in a tree of ${treeSize} entries`;
  }
  if (![leafHash, root, ...auditPath].every((hash) => HEX32.test(hash))) return 'a hash is not 64 hex digits';
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHash, 'hex');
  for (const hex of auditPath) {
    if (sn === 0) return 'the audit path is longer than the tree is deep';
    const p = Buffer.from(hex, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      // A right-most node with no sibling at this level moves up without hashing.
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return 'the audit path is shorter than the tree is deep';
  return r.toString('hex') === root ? null : 'the audit path does not lead to the root';
}

/** The console's verdict on a proof of the entry whose leaf hash the ledger list showed as `expectedLeaf`. */
export function checkInclusion(proof: InclusionProofView, expectedLeaf: string): InclusionCheck {
  const common = { seq: proof.seq, leaf_hash: proof.leaf_hash, tree_size: proof.tree_size, root: proof.root, audit_path_length: proof.audit_path.length };
  if (proof.leaf_index !== proof.seq - 1) return { ...common, included: false, reason: `the proof is for leaf ${proof.leaf_index}, not entry ${proof.seq}` };
  if (proof.leaf_hash !== expectedLeaf) return { ...common, included: false, reason: 'the proof is for another leaf hash than the entry listed' };
  const reason = inclusionFailure(proof.leaf_index, proof.tree_size, proof.leaf_hash, proof.audit_path, proof.root);
  return { ...common, included: reason === null, reason };
}
