import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcEnvelope } from '../../contracts/ipc';
import { ConnectionStore } from '../../src-main/control-plane/connection-store';
import { createIpcRouter, type IpcRouter } from '../../src-main/ipc/router';
import { Connections } from '../../src-main/services/connections';
import { ConsoleService } from '../../src-main/services/console-service';
import { folderSaver } from '../../src-main/services/file-saver';
import { IdleLock, idleLockHandlers } from '../../src-main/services/idle-lock';
import { startControlPlane, totpCode, type HarnessOptions, type RunningControlPlane } from './control-plane-harness';
import type { SimulatorRunner } from '../../src-main/services/simulator-runner';
import { embeddedStandIn } from './embedded-stand-in';
import { WitnessStore } from '../../src-main/services/witness-store';

export interface ConsoleRouter {
  cp: RunningControlPlane;
  router: IpcRouter;
  /** Where `usage:export` and `usage:report` save their files (browser mode's --downloads). */
  downloads: string;
  /** The console's data dir (connections, witnessed heads). */
  dataDir: string;
  /** One IPC call as the console's own page would make it. */
  call(channel: string, payload?: unknown): Promise<IpcEnvelope<unknown>>;
  /** The result of a call that must succeed (throws with the error otherwise). */
  result<T = Record<string, unknown>>(channel: string, payload?: unknown): Promise<T>;
  /** Moves the control plane's clock by `seconds` (TOTP codes are accepted once per step). */
  advance(seconds: number): void;
  now(): Date;
  close(): Promise<void>;
}

/**
 * The console's main process (ConsoleService behind the real IPC router) over a real control plane
 * on HTTPS, its admin signed in through `session:login`. The control plane runs on a clock the test
 * moves, so the admin can sign in again with a fresh TOTP step.
 */
export async function consoleRouter(options: Pick<HarnessOptions, 'licenseText' | 'licenseTrust'> & { simulator?: SimulatorRunner } = {}): Promise<ConsoleRouter> {
  const { simulator, ...controlPlane } = options;
  let clock = Date.now();
  const cp = await startControlPlane({ ...controlPlane, clock: () => new Date(clock) });
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-console-router-'));
  const service = new ConsoleService({
    version: '0.0.0-test',
    mode: 'browser',
    connections: new Connections(new ConnectionStore(dataDir), embeddedStandIn(cp), () => undefined),
    firstRun: { setup: () => Promise.reject(new Error('not in this test')) },
    emit: () => undefined,
    saveFile: folderSaver(join(dataDir, 'downloads')),
    witnessStore: new WitnessStore(dataDir),
    ...(simulator === undefined ? {} : { simulator }),
  });
  const lock = new IdleLock({ settingsFile: null, onIdle: () => Promise.resolve() });
  const router = createIpcRouter({ ...service.handlers(), ...idleLockHandlers(lock) });
  const call = (channel: string, payload: unknown = {}) => router.handle(channel, payload, { trustedSender: true });
  const result = async <T>(channel: string, payload: unknown = {}): Promise<T> => {
    const envelope = await call(channel, payload);
    if (!('result' in envelope)) throw new Error(`${channel}: ${JSON.stringify(envelope.error)}`);
    return envelope.result as T;
  };
  await result('session:login', { username: cp.admin.username, password: cp.admin.password, totp: await totpCode(cp.admin.totpSecret, new Date(clock)) });
  return {
    cp,
    router,
    downloads: join(dataDir, 'downloads'),
    dataDir,
    call,
    result,
    advance: (seconds) => {
      clock += seconds * 1000;
    },
    now: () => new Date(clock),
    async close() {
      await service.close();
      await cp.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
