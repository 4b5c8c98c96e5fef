import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** The format's name and version: a verifier refuses a document of another. */
export const EVIDENCE_FORMAT = 'bulkhead-isolation-evidence/1';

/** The signature block: Ed25519 over the canonical JSON of every other member of the document. */
export interface EvidenceSignature {
  algorithm: 'Ed25519';
  /** SHA-256 of the public key (SubjectPublicKeyInfo, DER), hex: which key signed. */
  public_key_sha256: string;
  /** The public key, for reading; a verifier checks against the key it was given, never this one. */
  public_key_pem: string;
  /** The signature, base64. */
  value: string;
}

/** What a verifier reads besides the signature (the report holds much more; see isolation-probe.ts). */
export interface EvidenceSummary {
  format: string;
  generated_at: string;
  control_plane: { url: string; version: string };
  attempts: { total: number; leaks: number };
}

export type SignedEvidence = Record<string, unknown> & { signature: EvidenceSignature };

/** SHA-256 of a public key's DER (SPKI), hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Thrown for a key that is not an Ed25519 key of the expected kind (a usage error at the CLI). */
export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** A key from PEM through `create`, which must be an Ed25519 key; `what` names the PEM expected when it is not one. */
function ed25519Key(pem: string, create: (pem: string) => KeyObject, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = create(pem);
  } catch {
    throw new KeyError(`not a PEM ${what}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`an ${key.asymmetricKeyType ?? 'unknown'} key: evidence is signed with Ed25519`);
  return key;
}

/** An Ed25519 private key from PEM (PKCS#8). */
export function signingKeyFromPem(pem: string): KeyObject {
  return ed25519Key(pem, createPrivateKey, 'private key (PKCS#8, "-----BEGIN PRIVATE KEY-----")');
}

/** An Ed25519 public key from PEM (SPKI). A private key's PEM is refused: a verifier never needs one. */
export function publicKeyFromPem(pem: string): KeyObject {
  if (pem.includes('PRIVATE KEY')) throw new KeyError('a private key: give the public key (-----BEGIN PUBLIC KEY-----)');
  return ed25519Key(pem, createPublicKey, 'public key ("-----BEGIN PUBLIC KEY-----")');
}

/** A key pair made for one run: the private key never leaves the process. */
export function newSigningKey(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** The bytes that are signed: the document without its signature, as canonical JSON. */
function signedBytes(document: Record<string, unknown>): Buffer {
  const { signature: _signature, ...rest } = document;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** Signs an evidence document with an Ed25519 key; any `signature` it had is replaced. */
export function signEvidence(document: Record<string, unknown>, privateKey: KeyObject): SignedEvidence {
  const publicKey = createPublicKey(privateKey);
  const { signature: _old, ...unsigned } = document;
  const value = sign(null, signedBytes(unsigned), privateKey).toString('base64');
  return {
    ...unsigned,
    signature: { algorithm: 'Ed25519', public_key_sha256: keyFingerprint(publicKey), public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), value },
  };
}

export type Verification = { valid: true; summary: EvidenceSummary; keySha256: string } | { valid: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks an evidence file's text against the public key the verifier trusts: that it is an evidence
 * document of this format, signed by that key, and that no byte of what was signed changed (key
 * order and whitespace do not matter: the signature covers canonical JSON).
 */
export function verifyEvidence(text: string, publicKey: KeyObject): Verification {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { valid: false, reason: 'not JSON' };
  }
  if (!isRecord(document) || document.format !== EVIDENCE_FORMAT) {
    return { valid: false, reason: `not an isolation evidence report (format ${isRecord(document) ? JSON.stringify(document.format) : 'missing'}, expected ${EVIDENCE_FORMAT})` };
  }
  const signature = document.signature;
  if (!isRecord(signature) || signature.algorithm !== 'Ed25519' || typeof signature.value !== 'string') return { valid: false, reason: 'it carries no Ed25519 signature' };
  const expected = keyFingerprint(publicKey);
  if (signature.public_key_sha256 !== expected) {
    return { valid: false, reason: `signed by another key (sha256 ${String(signature.public_key_sha256).slice(0, 16)}…, the given key is ${expected.slice(0, 16)}…)` };
  }
  let ok: boolean;
  try {
    ok = verify(null, signedBytes(document), publicKey, Buffer.from(signature.value, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) return { valid: false, reason: 'the signature does not match the content: the report was changed after it was signed' };
  return { valid: true, summary: document as unknown as EvidenceSummary, keySha256: expected };
}
