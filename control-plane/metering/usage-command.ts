import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadDeploymentKey } from '../crypto/deployment-key';
import { checkDataDir, dataDirEngineConfig } from '../data-dir';
import { ApiError } from '../errors';
import { DATABASE_URL_ENV, openStorage } from '../storage/open-storage';
import { usagePeriod } from './usage-period';
import { UsageService } from './usage-service';

export interface UsageCommandOptions {
  data: string;
  from?: string | undefined;
  to?: string | undefined;
  format: 'csv' | 'json';
  /** A file to write (replaced whole, only once complete); default: `stdout`. */
  out?: string | undefined;
  keyFile?: string | undefined;
  database?: string | undefined;
}

/** Bad usage: a period the command cannot export (the API's 400s), or an --out it cannot write. The CLI exits 2. */
export class UsageCommandError extends Error {}

/**
 * `control-plane usage`: the export of GET /provider/v1/usage/export for a period, read from the
 * data dir's storage (for cron jobs; no server needed). With --out the file appears only when the
 * export is complete, so a job never ships half a file.
 */
export async function runUsageCommand(options: UsageCommandOptions, env: NodeJS.ProcessEnv, stdout: Writable, clock: () => Date = () => new Date()): Promise<void> {
  // The period first: a bad one is bad usage, whatever the state of the data dir.
  try {
    usagePeriod(options, clock());
  } catch (error) {
    if (error instanceof ApiError) throw new UsageCommandError(`${error.message} (${error.code})`);
    throw error;
  }
  const deploymentKey = loadDeploymentKey({ env, keyFile: options.keyFile });
  const paths = checkDataDir(options.data, deploymentKey);
  const storage = await openStorage(dataDirEngineConfig(paths, options.database ?? env[DATABASE_URL_ENV]), paths.root, deploymentKey);
  try {
    const exported = new UsageService({ storage, clock }).export({ format: options.format, from: options.from, to: options.to });
    if (options.out === undefined) {
      await pipeline(exported.body, stdout, { end: false });
      return;
    }
    const partial = `${options.out}.partial`;
    try {
      await pipeline(exported.body, createWriteStream(partial, { mode: 0o640 }));
      await rename(partial, options.out);
    } catch (error) {
      await rm(partial, { force: true });
      // A file system refusal (no such folder, no permission) names the file, not a stack.
      const { syscall, code } = error as NodeJS.ErrnoException;
      throw syscall === undefined ? error : new UsageCommandError(`--out ${options.out}: cannot write there (${code ?? syscall})`);
    }
  } finally {
    await storage.close();
  }
}
