import { writeFileSync } from 'node:fs';
import { connect, type Connection, type ConnectOptions } from './connection/connect';
import { ExitCode, SimulatorError } from './errors';
import { progressView } from './report/progress';
import { renderResult } from './report/table';
import { RunLog, type ProgressSink } from './run-log';
import type { ScenarioResult } from './scenarios/result';

export interface RunOutput {
  /** Where the JSON report goes: a file, '-' for stdout, or nowhere. */
  json?: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Extra listener for progress events (the console's panel). */
  onProgress?: ProgressSink;
}

/**
 * Runs one scenario from the CLI: connects (starting an embedded control plane if none is given),
 * shows progress on stderr, prints the final table on stdout (stderr when the JSON goes to
 * stdout), writes the JSON report, and answers the exit code: 0 when every invariant holds, 1 when
 * one does not. The embedded control plane is removed however the run ends, Ctrl-C included.
 */
export async function runFromCli(connectOptions: ConnectOptions, scenario: (connection: Connection, log: RunLog) => Promise<ScenarioResult>, output: RunOutput): Promise<number> {
  const view = progressView(output.stderr);
  const log = new RunLog((event) => {
    view.sink(event);
    output.onProgress?.(event);
  });
  log.step(connectOptions.controlPlane === undefined ? 'starting an embedded control plane (keygen, init, serve)' : `connecting to ${connectOptions.controlPlane}`);
  const connection = await connect({ ...connectOptions, onNotice: (message) => log.step(message) });
  // Set by a signal handler (a closure TypeScript cannot follow, hence an object).
  const state = { interrupted: false };
  const onSignal = () => {
    if (state.interrupted) return;
    state.interrupted = true;
    view.done();
    output.stderr.write('simulate: interrupted; stopping the agents and the embedded control plane\n');
    void connection.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: ScenarioResult;
  try {
    result = await scenario(connection, log);
  } finally {
    view.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!state.interrupted) await connection.close();
  }
  const text = renderResult(result, { color: output.stdout.isTTY && output.json !== '-' });
  if (output.json === '-') {
    output.stderr.write(text);
    output.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    output.stdout.write(text);
    if (output.json !== undefined) {
      try {
        writeFileSync(output.json, JSON.stringify(result, null, 2) + '\n');
      } catch (error) {
        throw new SimulatorError(`--json ${output.json}: cannot write it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  return result.ok ? ExitCode.ok : ExitCode.invariantFailed;
}
