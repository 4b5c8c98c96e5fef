/**
 * Ed25519 keys that sign the ledgers' tree heads (see ledgers/ledger-signer.ts). A provider table:
 * one key is active at a time, retired ones stay listed so heads they signed still verify. The
 * private key is stored sealed under the deployment key, never in clear.
 */
export interface LedgerSigningKeyRecord {
  keyId: string;
  publicKeyPem: string;
  sealedPrivateKey: Buffer;
  createdAt: string;
  /** null while the key signs new heads. */
  retiredAt: string | null;
}

export interface LedgerSigningKeyStore {
  /** Every key, oldest first. */
  list(): Promise<LedgerSigningKeyRecord[]>;
  /** Stores `key` as the active key unless one already is (replicas starting together); true when stored. */
  addFirst(key: LedgerSigningKeyRecord): Promise<boolean>;
  /** Retires the active key (if any) and makes `key` the active one, in one transaction. */
  rotate(key: LedgerSigningKeyRecord): Promise<void>;
}
