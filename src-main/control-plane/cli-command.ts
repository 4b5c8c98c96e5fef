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
