import { join } from 'node:path';
import type { IpcEvent, IpcEventPayload } from '../contracts/ipc';
import type { KeySealer } from './control-plane/deployment-key';
import { EmbeddedControlPlane, type ControlPlaneCommand } from './control-plane/embedded';
import { createIpcRouter, type IpcRouter } from './ipc/router';
import { ConsoleService } from './services/console-service';
import { IdleLock, idleLockHandlers } from './services/idle-lock';

export interface ConsoleHostOptions {
  mode: 'electron' | 'browser';
  version: string;
  consoleDataDir: string;
  controlPlaneCli: ControlPlaneCommand;
  emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;
  log: (message: string, error?: unknown) => void;
  /** Electron's safeStorage, to seal the embedded control plane's deployment key; none in browser mode. */
  keySealer?: KeySealer;
  /** A fixed idle lock (browser mode's --idle-lock-seconds) instead of the console's setting. */
  idleLockSeconds?: number;
}

export interface ConsoleHost {
  router: IpcRouter;
  embedded: EmbeddedControlPlane;
  service: ConsoleService;
  stop(): Promise<void>;
}

/** Wires the console's main side once, for Electron and browser mode alike: embedded control plane, service, router. */
export function createConsoleHost(options: ConsoleHostOptions): ConsoleHost {
  const embedded = new EmbeddedControlPlane({
    consoleDataDir: options.consoleDataDir,
    cli: options.controlPlaneCli,
    onStatus: (status) => options.emit('controlplane:status', status),
    log: (line) => options.log(line),
    keySealer: options.keySealer ?? null,
  });
  // The idle lock signs the session out after a while without a call from the renderer (#18).
  const idleLock: IdleLock = new IdleLock({
    settingsFile: join(options.consoleDataDir, 'idle-lock.json'),
    overrideSeconds: options.idleLockSeconds,
    onIdle: async (seconds) => {
      await handlers['session:logout']({});
      options.emit('session:locked', { reason: 'idle', idle_lock_seconds: seconds });
    },
    log: options.log,
  });
  const service = new ConsoleService({ version: options.version, mode: options.mode, controlPlane: embedded, emit: idleLock.observe(options.emit) });
  const handlers = idleLock.watch({ ...service.handlers(), ...idleLockHandlers(idleLock) });
  const router = createIpcRouter(handlers, (message, error) => options.log(message, error));
  return {
    router,
    embedded,
    service,
    async stop() {
      idleLock.disarm();
      await service.close();
      await embedded.stop();
    },
  };
}
