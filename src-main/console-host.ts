import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { IpcEvent, IpcEventPayload } from '../contracts/ipc';
import { ConnectionStore } from './control-plane/connection-store';
import type { SimulatorWorkerCommand } from './control-plane/cli-command';
import type { KeySealer } from './control-plane/deployment-key';
import { EmbeddedControlPlane, type ControlPlaneCommand, type RestartPolicy } from './control-plane/embedded';
import { createIpcRouter, type IpcRouter } from './ipc/router';
import { Connections } from './services/connections';
import { ConsoleService } from './services/console-service';
import { IdleLock, idleLockHandlers } from './services/idle-lock';
import type { FileSaver } from './services/file-saver';
import { SimulatorRunner } from './services/simulator-runner';
import { WitnessStore } from './services/witness-store';

export interface ConsoleHostOptions {
  mode: 'electron' | 'browser';
  version: string;
  consoleDataDir: string;
  controlPlaneCli: ControlPlaneCommand;
  /** The simulator's worker, for the simulator panel (#21); null or absent: the panel says it is not there. */
  simulatorWorker?: SimulatorWorkerCommand | null;
  emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;
  log: (message: string, error?: unknown) => void;
  /** Electron's safeStorage, to seal the embedded control plane's deployment key; none in browser mode. */
  keySealer?: KeySealer;
  restartPolicy?: RestartPolicy;
  /** A fixed idle lock (browser mode's --idle-lock-seconds) instead of the console's setting. */
  idleLockSeconds?: number;
  /** Saves exports and reports: Electron's save dialog, or browser mode's downloads folder. */
  saveFile?: FileSaver;
}

export interface ConsoleHost {
  router: IpcRouter;
  embedded: EmbeddedControlPlane;
  connections: Connections;
  service: ConsoleService;
  /** Starts the embedded control plane and checks the active connection if it is a remote one. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Wires the console's main side once, for Electron and browser mode alike: connections, embedded control plane, service, router. */
export function createConsoleHost(options: ConsoleHostOptions): ConsoleHost {
  const emitStatus = (status: IpcEventPayload<'controlplane:status'>) => options.emit('controlplane:status', status);
  const embedded = new EmbeddedControlPlane({
    consoleDataDir: options.consoleDataDir,
    cli: options.controlPlaneCli,
    onStatus: emitStatus,
    log: (line) => options.log(line),
    keySealer: options.keySealer ?? null,
    ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
  });
  const connections = new Connections(new ConnectionStore(options.consoleDataDir, (message) => options.log(message)), embedded, emitStatus);
  // The idle lock signs out after a while without a call from the renderer (#18): of every
  // connection, so an unattended console holds no session to any region.
  const idleLock: IdleLock = new IdleLock({
    settingsFile: join(options.consoleDataDir, 'idle-lock.json'),
    overrideSeconds: options.idleLockSeconds,
    onIdle: async (seconds) => {
      await service.signOutEverywhere();
      options.emit('session:locked', { reason: 'idle', idle_lock_seconds: seconds });
    },
    log: options.log,
  });
  const worker = options.simulatorWorker ?? null;
  // The session goes to the child over the fork's IPC channel (see SimulatorRunner), never argv or env.
  const simulator = worker === null ? undefined : new SimulatorRunner(() => fork(worker.module, [], { execPath: worker.nodePath, execArgv: worker.execArgv, cwd: worker.cwd, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
  const service: ConsoleService = new ConsoleService({
    ...(simulator === undefined ? {} : { simulator }),
    version: options.version,
    mode: options.mode,
    connections,
    firstRun: embedded,
    emit: idleLock.observe(options.emit, () => service.signedInAnywhere()),
    ...(options.saveFile ? { saveFile: options.saveFile } : {}),
    witnessStore: new WitnessStore(options.consoleDataDir, (message) => options.log(message)),
  });
  const handlers = idleLock.watch({ ...service.handlers(), ...idleLockHandlers(idleLock) });
  const router = createIpcRouter(handlers, (message, error) => options.log(message, error));
  return {
    router,
    embedded,
    connections,
    service,
    async start() {
      // The embedded control plane runs whichever connection is active: switching back is instant.
      await Promise.all([embedded.start(), connections.checkActive()]);
    },
    async stop() {
      idleLock.disarm();
      await service.close();
      await embedded.stop();
    },
  };
}
