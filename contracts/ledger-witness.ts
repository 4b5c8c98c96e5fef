import type { ConsistencyProofView, LedgerKeysView, SignedTreeHeadView } from './audit';

/**
 * Witnessing a ledger from outside: checking a signed tree head and that a newer head extends one
 * seen before (RFC 6962 §2.1.2 consistency, verified as RFC 9162 §2.1.4.2 says). Written on
 * WebCrypto only (SHA-256 and Ed25519 through `crypto.subtle`), so the CLI, the console's main process
 * and the tenant portal share it; it imports no code of the control plane, so a verifier need not
 * trust the code that serves the proofs.
 */

/** The bytes a head's signature covers, as UTF-8 text. */
export function treeHeadMessage(head: Pick<SignedTreeHeadView, 'ledger' | 'tree_size' | 'root_hash' | 'timestamp'>): string {
  return `bulkhead-tree-head:v1\n${head.ledger}\n${head.tree_size}\n${head.root_hash}\n${head.timestamp}`;
}

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_TREE_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** SHA-256(0x01 ‖ left ‖ right), RFC 6962's interior node. */
async function node(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array(65);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 33);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The key id of a public key: SHA-256 of its SPKI DER, hex (as the well-known route lists it). */
export async function ledgerKeyId(publicKeyPem: string): Promise<string> {
  return bytesHex(await crypto.subtle.digest('SHA-256', spki(publicKeyPem)));
}

function spki(pem: string): Uint8Array<ArrayBuffer> {
  return base64Bytes(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, ''));
}

/**
 * Whether `head` is signed by the listed key it names. The key's id is recomputed from its PEM, so
 * a list that pairs an id with another key verifies nothing. Never throws.
 */
export async function verifyHeadSignature(head: SignedTreeHeadView, keys: LedgerKeysView['keys']): Promise<boolean> {
  try {
    const key = keys.find((candidate) => candidate.key_id === head.key_id);
    if (key === undefined || (await ledgerKeyId(key.public_key_pem)) !== head.key_id) return false;
    const publicKey = await crypto.subtle.importKey('spki', spki(key.public_key_pem), { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, base64Bytes(head.signature), new TextEncoder().encode(treeHeadMessage(head)));
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.4.2: does `proof` (hex, bottom-up) show that the tree of `newSize` leaves with root
 * `newRoot` extends the tree of `oldSize` leaves with root `oldRoot`? Never throws.
 */
export async function verifyConsistencyProof(oldSize: number, newSize: number, oldRoot: string, newRoot: string, proof: readonly string[]): Promise<boolean> {
  try {
    if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
    if (![oldRoot, newRoot, ...proof].every((hash) => /^[0-9a-f]{64}$/.test(hash))) return false;
    if (oldSize === 0) return proof.length === 0 && oldRoot === EMPTY_TREE_ROOT;
    if (oldSize === newSize) return proof.length === 0 && oldRoot === newRoot;
    if (proof.length === 0) return false;
    // 1. When the old size is a power of two, the old root is the first node of the path.
    const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
    // 2-4. fn, sn: the last leaf's index in the old and new trees; drop the levels where fn is a right child.
    let fn = oldSize - 1;
    let sn = newSize - 1;
    while (fn % 2 === 1) {
      fn = (fn - 1) / 2;
      sn = Math.floor(sn / 2);
    }
    let fr = hexBytes(path[0] as string) as Uint8Array;
    let sr = fr;
    for (const hex of path.slice(1)) {
      const c = hexBytes(hex);
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await node(c, fr);
        sr = await node(c, sr);
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      } else {
        sr = await node(sr, c);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && sameBytes(fr, hexBytes(oldRoot)) && sameBytes(sr, hexBytes(newRoot));
  } catch {
    return false;
  }
}

function isPowerOfTwo(n: number): boolean {
  let value = n;
  while (value > 1 && value % 2 === 0) value /= 2;
  return value === 1;
}

export type WitnessVerdict =
  | { ok: true; head: SignedTreeHeadView }
  /** bad_signature: the new head is not signed by a listed key; history_rewritten: it does not extend the stored head. */
  | { ok: false; problem: 'bad_signature' | 'history_rewritten' | 'wrong_ledger'; message: string };

/**
 * Checks a newly fetched head against the one stored from an earlier look: its signature under the
 * published keys, then (when a head was stored) that the consistency proof from the stored size to
 * the new one holds. A head that is smaller than the stored one, or of the same size with another
 * root, or whose proof fails, is `history_rewritten`: the provider changed entries a witness saw.
 * Keep the new head only when `ok`.
 */
export async function checkNewHead(input: {
  stored: SignedTreeHeadView | null;
  fresh: SignedTreeHeadView;
  keys: LedgerKeysView['keys'];
  /** The proof from stored.tree_size to fresh.tree_size (unused without a stored head). */
  proof: ConsistencyProofView | null;
}): Promise<WitnessVerdict> {
  const { stored, fresh, keys, proof } = input;
  if (!(await verifyHeadSignature(fresh, keys))) {
    return { ok: false, problem: 'bad_signature', message: `The head of ledger ${fresh.ledger} is not signed by a published ledger key.` };
  }
  if (stored === null) return { ok: true, head: fresh };
  if (stored.ledger !== fresh.ledger) {
    return { ok: false, problem: 'wrong_ledger', message: `The stored head is of ledger ${stored.ledger}, the new one of ${fresh.ledger}.` };
  }
  const rewritten = (why: string): WitnessVerdict => ({
    ok: false,
    problem: 'history_rewritten',
    message: `History rewritten: ledger ${fresh.ledger} at ${fresh.tree_size} entries does not extend the head seen at ${stored.tree_size} entries (${why}).`,
  });
  if (fresh.tree_size < stored.tree_size) return rewritten('the ledger shrank');
  if (proof === null || proof.from !== stored.tree_size || proof.to !== fresh.tree_size) return rewritten('no consistency proof between the two sizes');
  if (!(await verifyConsistencyProof(stored.tree_size, fresh.tree_size, stored.root_hash, fresh.root_hash, proof.proof))) return rewritten('the consistency proof fails');
  return { ok: true, head: fresh };
}
