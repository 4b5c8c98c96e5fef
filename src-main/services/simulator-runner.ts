import type { ChildProcess } from 'node:child_process';
import type { SimulatorReport, SimulatorRunView, SimulatorStartRequest } from '../../contracts/simulation';
import type { ScenarioResult } from '../../simulator/scenarios/result';
import type { WorkerCommand, WorkerMessage } from '../../simulator/worker';
import { ConsoleError } from '../console-error';
import { LoadSeries } from './simulator-series';

/** The control plane and session a run uses: the active connection's, handed to the child over IPC only. */
export interface SimulatorTarget {
  url: string;
  caPem: string;
  username: string;
  token: string;
}

/** Starts the simulator's worker (simulator/worker.ts) as a child process with an IPC channel. */
export type ForkWorker = () => ChildProcess;

const MAX_STEPS = 40;

const idle: SimulatorRunView = { state: 'idle', scenario: null, seed: null, started_at: null, finished_at: null, steps: [], window: null, attempts: null, tenants: [], report: null, error: null };

function reportPart(result: ScenarioResult): Omit<SimulatorReport, 'seed' | 'duration_ms' | 'parts'> {
  return { scenario: result.scenario, ok: result.ok, table: result.table, invariants: result.invariants, notes: result.notes };
}

/** What the panel shows of a result: tables, invariants and notes (no events or details: they stay in the JSON a CLI run writes). */
export function reportOf(result: ScenarioResult): SimulatorReport {
  return { ...reportPart(result), seed: result.seed, duration_ms: Math.round(result.duration_ms), parts: (result.parts ?? []).map(reportPart) };
}

/**
 * The console's simulator: one run at a time, in a child process, so the main process (and the
 * renderer behind it) never waits on it. The child gets its command, the operator's session
 * included, over the fork's IPC channel; its progress comes back as messages and is kept here as
 * the view the panel polls. Stopping ends the child (its noisy agents' process ends with it).
 */
export class SimulatorRunner {
  private view: SimulatorRunView = idle;
  private child: ChildProcess | null = null;
  private series: LoadSeries | null = null;

  constructor(
    private readonly forkWorker: ForkWorker,
    private readonly clock: () => Date = () => new Date(),
    private readonly randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 31),
  ) {}

  status(): SimulatorRunView {
    return { ...this.view, steps: [...this.view.steps], tenants: this.series?.view() ?? this.view.tenants };
  }

  start(request: SimulatorStartRequest, target: SimulatorTarget): SimulatorRunView {
    if (this.child !== null) throw new ConsoleError('conflict', 'A simulation is running already: stop it first.');
    const startedAt = this.clock();
    const seed = request.seed ?? this.randomSeed();
    this.series = new LoadSeries(startedAt.getTime());
    this.view = { ...idle, state: 'running', scenario: request.scenario, seed, started_at: startedAt.toISOString(), steps: ['starting the simulator process'] };
    const child = this.forkWorker();
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('message', (message: WorkerMessage) => this.onMessage(child, message));
    child.once('error', (error) => this.finish(child, { state: 'failed', error: `The simulator process could not run: ${error.message}` }));
    child.once('exit', (code, signal) => {
      const lastLine = stderr.trim().split('\n').at(-1) ?? '';
      this.finish(child, { state: 'failed', error: `The simulator process ended (${signal ?? `exit ${code ?? '?'}`}) before its report${lastLine === '' ? '' : `: ${lastLine}`}` });
    });
    const command: WorkerCommand = {
      kind: 'run-sized',
      target: { session: target },
      sized: {
        scenario: request.scenario,
        seed,
        ...(request.tenants === undefined ? {} : { tenants: request.tenants }),
        ...(request.duration_seconds === undefined ? {} : { durationMs: request.duration_seconds * 1000 }),
        ...(request.keep_tenants === undefined ? {} : { keepTenants: request.keep_tenants }),
      },
    };
    child.send(command);
    return this.status();
  }

  stop(): SimulatorRunView {
    const child = this.child;
    if (child === null) return this.status();
    this.finish(child, { state: 'stopped', error: null });
    child.kill('SIGTERM');
    return this.status();
  }

  /** The console closes: a run does not outlive it. */
  close(): void {
    this.stop();
  }

  private onMessage(child: ChildProcess, message: WorkerMessage): void {
    if (child !== this.child) return;
    const now = this.clock();
    switch (message.kind) {
      case 'progress': {
        const event = message.event;
        if (event.kind === 'step') this.view = { ...this.view, steps: [...this.view.steps, event.message].slice(-MAX_STEPS) };
        else if (event.kind === 'window') this.view = { ...this.view, window: { label: event.label, index: event.index, of: event.of } };
        else if (event.kind === 'attempts') this.view = { ...this.view, attempts: { done: event.done, total: event.total, leaks: event.leaks } };
        else this.series?.add(event.tenants, now.getTime());
        return;
      }
      case 'result':
        this.finish(child, { state: 'finished', report: reportOf(message.result), error: null });
        return;
      case 'failed':
        this.finish(child, { state: 'failed', error: message.message });
        return;
    }
  }

  /** The run's end, whichever comes first (its report, a failure, a stop, the process's exit). */
  private finish(child: ChildProcess, end: Pick<SimulatorRunView, 'state' | 'error'> & { report?: SimulatorReport }): void {
    if (child !== this.child) return;
    this.child = null;
    this.view = { ...this.view, ...end, window: null, finished_at: this.clock().toISOString(), tenants: this.series?.view() ?? [] };
    this.series = null;
  }
}
