// The simulator in a child process, for the console's simulator panel: the parent sends one
// `run` message, and receives each progress event, then the result (or the failure) as messages.
// The console keeps its own event loop free, and a run it no longer wants ends with the child.
import type { ConnectOptions } from './connection/connect';
import { SimulatorError } from './errors';
import { simulate, type ProgressEvent, type ScenarioRequest, type ScenarioResult } from './index';

export type WorkerCommand = { kind: 'run'; target: ConnectOptions; request: ScenarioRequest };

export type WorkerMessage = { kind: 'progress'; event: ProgressEvent } | { kind: 'result'; result: ScenarioResult } | { kind: 'failed'; message: string; exit_code: number };

if (process.send !== undefined) {
  const reply = (message: WorkerMessage) => process.send?.(message);
  process.once('message', (command: WorkerCommand) => {
    simulate(command.target, command.request, (event) => reply({ kind: 'progress', event }))
      .then((result) => reply({ kind: 'result', result }))
      .catch((error: unknown) => reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error), exit_code: error instanceof SimulatorError ? error.exitCode : 3 }))
      .finally(() => process.disconnect());
  });
  // The console went away: stop (the embedded control plane and its data dir go with this process).
  process.on('disconnect', () => process.exit(0));
}
