// RFC 6962 / RFC 9162 inclusion proof check in the browser (WebCrypto SHA-256), written apart from the
// control plane's own (control-plane/audit/merkle.ts) so that a tampered server cannot vouch for itself
// with its own code: node = SHA-256(0x01 ‖ left ‖ right).

function bytesOfHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new Error('not hex');
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function nodeHash(subtle: SubtleCrypto, left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return new Uint8Array(await subtle.digest('SHA-256', input));
}

/**
 * Whether `auditPath` proves the leaf at `leafIndex` in a tree of `treeSize` leaves has root `root`
 * (RFC 9162 §2.1.3.2). All hashes are hex.
 */
export async function verifyInclusion(proof: { leafHash: string; leafIndex: number; treeSize: number; auditPath: readonly string[]; root: string }, subtle: SubtleCrypto = crypto.subtle): Promise<boolean> {
  const { leafIndex, treeSize } = proof;
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Uint8Array;
  try {
    r = bytesOfHex(proof.leafHash);
    for (const hex of proof.auditPath) {
      const p = bytesOfHex(hex);
      if (sn === 0 || p.length !== 32) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(subtle, p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = await nodeHash(subtle, r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
  } catch {
    return false;
  }
  return sn === 0 && hexOf(r) === proof.root.toLowerCase();
}
