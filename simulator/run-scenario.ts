import { writeFileSync } from 'node:fs';
import type { ConnectOptions } from './connection/connect';
import { ExitCode, SimulatorError } from './errors';
import { simulate, type ScenarioRequest } from './index';
import { progressView } from './report/progress';
import { renderResult } from './report/table';
import type { ScenarioResult } from './scenarios/result';

export interface RunOutput {
  /** Where the JSON report goes: a file, '-' for stdout, or nowhere. */
  json?: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/**
 * Runs one scenario for the CLI: progress on stderr, the final table on stdout (on stderr when the
 * JSON goes to stdout), the JSON report, and the exit code: 0 when every invariant holds, 1 when
 * one does not. Ctrl-C stops at once: the embedded control plane and its temporary data dir go
 * with the process (see embedded-control-plane.ts), and so does the noisy agents' process.
 */
export async function runFromCli(target: ConnectOptions, request: ScenarioRequest, output: RunOutput, onResult?: (result: ScenarioResult, out: NodeJS.WriteStream) => void): Promise<number> {
  const view = progressView(output.stderr);
  const onSignal = () => {
    view.done();
    output.stderr.write('simulate: interrupted; the embedded control plane and the agents stop with it\n');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (target.controlPlane === undefined) view.sink({ kind: 'step', message: 'starting an embedded control plane (keygen, init, serve)' });
  let result;
  try {
    result = await simulate(target, request, view.sink);
  } finally {
    view.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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
  // What the command adds (an evidence report): written whether or not every invariant held.
  onResult?.(result, output.json === '-' ? output.stderr : output.stdout);
  return result.ok ? ExitCode.ok : ExitCode.invariantFailed;
}
