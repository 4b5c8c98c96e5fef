// The simulator as a library: what the CLI runs, and what the console's simulator panel will run
// from a child process of its own, listening to the progress events.
import { connect, type Connection, type ConnectOptions } from './connection/connect';
import { RunLog, type ProgressSink } from './run-log';
import { runBreakGlassDrill, type BreakGlassDrillOptions } from './scenarios/break-glass-drill';
import { runDemo, type DemoOptions } from './scenarios/demo';
import { runIsolationProbe, type IsolationProbeOptions } from './scenarios/isolation-probe';
import { runNoisyNeighbor, type NoisyNeighborOptions } from './scenarios/noisy-neighbor';
import type { ScenarioResult } from './scenarios/result';
import { runScimSync, type ScimSyncOptions } from './scenarios/scim-sync';

export type { ConnectOptions } from './connection/connect';
export type { ProgressEvent, ProgressSink } from './run-log';
export type { Invariant, ScenarioResult } from './scenarios/result';
export { noisyNeighborDefaults, type NoisyNeighborOptions } from './scenarios/noisy-neighbor';
export { scimSyncDefaults, type ScimSyncOptions } from './scenarios/scim-sync';
export { breakGlassDrillDefaults, type BreakGlassDrillOptions } from './scenarios/break-glass-drill';
export { isolationProbeDefaults, type IsolationProbeOptions } from './scenarios/isolation-probe';
export { demoDefaults, type DemoOptions } from './scenarios/demo';
export { signEvidence, verifyEvidence, newSigningKey, signingKeyFromPem, publicKeyFromPem, EVIDENCE_FORMAT } from './evidence/evidence';

export type ScenarioRequest =
  | { scenario: 'noisy-neighbor'; options: NoisyNeighborOptions }
  | { scenario: 'scim-sync'; options: ScimSyncOptions }
  | { scenario: 'break-glass-drill'; options: BreakGlassDrillOptions }
  | { scenario: 'isolation-probe'; options: IsolationProbeOptions }
  | { scenario: 'demo'; options: DemoOptions };

function run(request: ScenarioRequest, connection: Connection, log: RunLog): Promise<ScenarioResult> {
  switch (request.scenario) {
    case 'noisy-neighbor':
      return runNoisyNeighbor(connection, request.options, log);
    case 'scim-sync':
      return runScimSync(connection, request.options, log);
    case 'break-glass-drill':
      return runBreakGlassDrill(connection, request.options, log);
    case 'isolation-probe':
      return runIsolationProbe(connection, request.options, log);
    case 'demo':
      return runDemo(connection, request.options, log);
  }
}

/**
 * Runs one scenario against the control plane `target` chooses (an embedded one when it names
 * none), reporting progress as it goes; the embedded control plane is removed afterwards.
 */
export async function simulate(target: ConnectOptions, request: ScenarioRequest, onProgress: ProgressSink = () => undefined): Promise<ScenarioResult> {
  const log = new RunLog(onProgress);
  const connection = await connect({ ...target, onNotice: (message) => log.step(message) });
  try {
    return await run(request, connection, log);
  } finally {
    await connection.close();
  }
}
