import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ControlPlaneTarget } from '../connection/api-client';
import { SimulatorError } from '../errors';
import type { AgentCounters } from './agent';
import type { AgentSpec, TenantAgentsReport } from './agent-group';
import type { AgentProcessCommand, AgentProcessMessage } from './agent-process';

/**
 * Agents in a child process (agent-process.ts), driven over IPC: `flood` for a window, `drain`
 * to send everything they still hold, `stop` for their final report.
 */
export class ChildAgentGroup {
  private latestTotals = new Map<string, AgentCounters>();
  private waiting: { kind: AgentProcessMessage['kind']; resolve: (message: AgentProcessMessage) => void; reject: (error: Error) => void } | null = null;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: AgentProcessMessage) => {
      if (message.kind === 'totals') {
        this.latestTotals = new Map(message.totals);
        return;
      }
      const waiting = this.waiting;
      if (waiting === null) return;
      this.waiting = null;
      if (message.kind === 'failed') waiting.reject(new SimulatorError(`the noisy agents' process failed: ${message.message}`));
      else waiting.resolve(message);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.waiting?.reject(new SimulatorError(`the noisy agents' process exited (${signal ?? `code ${String(code)}`})`));
        this.waiting = null;
        resolve();
      });
    });
  }

  static async start(target: ControlPlaneTarget, specs: AgentSpec[], seed: number): Promise<ChildAgentGroup> {
    const entry = fileURLToPath(new URL('./agent-process.ts', import.meta.url));
    const child = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const group = new ChildAgentGroup(child);
    await group.ask({ kind: 'configure', target, specs, seed }, 'ready');
    return group;
  }

  private ask(command: AgentProcessCommand, expected: AgentProcessMessage['kind']): Promise<AgentProcessMessage> {
    if (this.waiting !== null) throw new Error('one command at a time');
    return new Promise((resolve, reject) => {
      this.waiting = { kind: expected, resolve, reject };
      this.child.send(command);
    });
  }

  /** The agents generate and send for `ms`, latencies labelled `window`; answers the process's CPU use. */
  async flood(ms: number, window: string): Promise<number> {
    const answer = await this.ask({ kind: 'flood', ms, window }, 'flooded');
    return answer.kind === 'flooded' ? answer.cpuPercent : 0;
  }

  async drain(timeoutMs: number): Promise<void> {
    await this.ask({ kind: 'drain', timeoutMs }, 'drained');
  }

  /** The last totals the process reported (every 500 ms). */
  totals(): Map<string, AgentCounters> {
    return this.latestTotals;
  }

  async report(): Promise<TenantAgentsReport[]> {
    const answer = await this.ask({ kind: 'report' }, 'report');
    return answer.kind === 'report' ? answer.report : [];
  }

  /** Stops the agents and the process; answers their final report. */
  async stop(): Promise<TenantAgentsReport[]> {
    const answer = await this.ask({ kind: 'stop' }, 'report');
    await this.exited;
    return answer.kind === 'report' ? answer.report : [];
  }

  /** Ends the process at once (after a failure elsewhere). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
