// The simulator in a child process, for the console's simulator panel: the parent sends one
// `run` message, and receives each progress event, then the result (or the failure) as messages.
// The console keeps its own event loop free, and a run it no longer wants ends with the child.
// The console's panel sends `run-sized` (a scenario by name, size and seed) with `target.session`:
// the operator's session reaches the child over this channel only, never on argv or in its env.
import type { ConnectOptions } from './connection/connect';
import { SimulatorError } from './errors';
import { simulate, type ProgressEvent, type ScenarioRequest, type ScenarioResult } from './index';
import { scenarioRequest, type SizedRequest } from './sized-request';

export type WorkerCommand = { kind: 'run'; target: ConnectOptions; request: ScenarioRequest } | { kind: 'run-sized'; target: ConnectOptions; sized: SizedRequest };

export type WorkerMessage = { kind: 'progress'; event: ProgressEvent } | { kind: 'result'; result: ScenarioResult } | { kind: 'failed'; message: string; exit_code: number };

if (process.send !== undefined) {
  const reply = (message: WorkerMessage) => process.send?.(message);
  process.once('message', (command: WorkerCommand) => {
    Promise.resolve()
      .then(() => simulate(command.target, command.kind === 'run' ? command.request : scenarioRequest(command.sized), (event) => reply({ kind: 'progress', event })))
      .then((result) => reply({ kind: 'result', result }))
      .catch((error: unknown) => reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error), exit_code: error instanceof SimulatorError ? error.exitCode : 3 }))
      .finally(() => process.disconnect());
  });
  // The console went away: stop (the embedded control plane and its data dir go with this process).
  process.on('disconnect', () => process.exit(0));
}
