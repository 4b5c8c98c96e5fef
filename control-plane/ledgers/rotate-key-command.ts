import { loadDeploymentKey } from '../crypto/deployment-key';
import { checkDataDir, dataDirEngineConfig } from '../data-dir';
import { DATABASE_URL_ENV, openStorage } from '../storage/open-storage';
import { LedgerSigner } from './ledger-signer';

/**
 * `control-plane audit rotate-key`: retires the active ledger signing key and makes a new one, from
 * the data dir's storage (running replicas sign with the new key from their next head). The retired
 * public key stays at /.well-known/bulkhead-ledger-keys, so heads it signed still verify.
 */
export async function runRotateKeyCommand(options: { data: string; keyFile?: string | undefined; database?: string | undefined }, env: NodeJS.ProcessEnv, clock: () => Date = () => new Date()): Promise<{ retired: string[]; active: string }> {
  const deploymentKey = loadDeploymentKey({ env, keyFile: options.keyFile });
  const paths = checkDataDir(options.data, deploymentKey);
  const storage = await openStorage(dataDirEngineConfig(paths, options.database ?? env[DATABASE_URL_ENV]), paths.root, deploymentKey);
  try {
    const before = (await storage.ledgerSigningKeys.list()).filter((key) => key.retiredAt === null).map((key) => key.keyId);
    const active = await new LedgerSigner({ storage, deploymentKey, clock }).rotate();
    return { retired: before, active };
  } finally {
    await storage.close();
  }
}
