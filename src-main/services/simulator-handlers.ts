import { ConsoleError } from '../console-error';
import type { IpcHandlers } from '../ipc/router';
import type { SimulatorRunner, SimulatorTarget } from './simulator-runner';

export type SimulatorChannel = 'simulator:start' | 'simulator:stop' | 'simulator:status';

/** What the simulator's handlers need of the console service: the active connection's control plane and session. */
export interface SimulatorPort {
  /** Throws `unauthorized` when signed out, and says why a connection cannot be simulated against. */
  target(): SimulatorTarget;
}

/**
 * The simulator panel's channels (#21). Without a runner (a console built without the simulator)
 * starting says so; status and stop answer the idle view.
 */
export function simulatorHandlers(runner: SimulatorRunner | null, port: SimulatorPort): Pick<IpcHandlers, SimulatorChannel> {
  const need = (): SimulatorRunner => {
    if (runner === null) throw new ConsoleError('not_ready', 'This console was started without the simulator.');
    return runner;
  };
  return {
    'simulator:start': (request) => Promise.resolve().then(() => need().start(request, port.target())),
    'simulator:stop': () => Promise.resolve().then(() => need().stop()),
    'simulator:status': () => Promise.resolve().then(() => need().status()),
  };
}
