import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlaneCommand } from './embedded';

/**
 * How to run the control-plane CLI from an app root: the built bundle (`out/main/control-plane.js`)
 * when it exists, else the TypeScript source through tsx. `nodePath` must be a real Node binary:
 * inside Electron, `process.execPath` is Electron itself.
 */
export function resolveControlPlaneCommand(appRoot: string, nodePath: string): ControlPlaneCommand {
  const built = join(appRoot, 'out', 'main', 'control-plane.js');
  if (existsSync(built)) {
    return { command: nodePath, args: [built], cwd: appRoot };
  }
  return { command: nodePath, args: ['--import', 'tsx', join(appRoot, 'control-plane', 'cli.ts')], cwd: appRoot };
}

/** A module to fork with an IPC channel: `nodePath` runs `module` with `execArgv`. */
export interface SimulatorWorkerCommand {
  nodePath: string;
  execArgv: string[];
  module: string;
  cwd: string;
}

/**
 * How to run the simulator's worker (simulator/worker.ts) for the console's simulator panel: from
 * source through tsx, as the simulator forks its own agent processes that way too. Null when the
 * app root has no simulator (a console installed without the repository).
 */
export function resolveSimulatorWorker(appRoot: string, nodePath: string): SimulatorWorkerCommand | null {
  const source = join(appRoot, 'simulator', 'worker.ts');
  if (!existsSync(source)) return null;
  return { nodePath, execArgv: ['--import', 'tsx'], module: source, cwd: appRoot };
}
