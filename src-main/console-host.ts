import type { IpcEvent, IpcEventPayload } from '../contracts/ipc';
import type { KeySealer } from './control-plane/deployment-key';
import { EmbeddedControlPlane, type ControlPlaneCommand } from './control-plane/embedded';
import { createIpcRouter, type IpcRouter } from './ipc/router';
import { ConsoleService } from './services/console-service';

export interface ConsoleHostOptions {
  mode: 'electron' | 'browser';
  version: string;
  consoleDataDir: string;
  controlPlaneCli: ControlPlaneCommand;
  emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;
  log: (message: string, error?: unknown) => void;
  /** Electron's safeStorage, to seal the embedded control plane's deployment key; none in browser mode. */
  keySealer?: KeySealer;
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
  const service = new ConsoleService({ version: options.version, mode: options.mode, controlPlane: embedded, emit: options.emit });
  const router = createIpcRouter(service.handlers(), (message, error) => options.log(message, error));
  return {
    router,
    embedded,
    service,
    async stop() {
      await service.close();
      await embedded.stop();
    },
  };
}
