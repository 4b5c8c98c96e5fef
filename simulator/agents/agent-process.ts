// An AgentGroup in a process of its own: the noisy fleet runs here so its senders do not share
// the quiet agents' event loop (a real noisy neighbour's agents run on other machines). The
// parent drives it over IPC (child-agent-group.ts).
import type { ControlPlaneTarget } from '../connection/api-client';
import type { AgentCounters } from './agent';
import { AgentGroup, type AgentSpec, type TenantAgentsReport } from './agent-group';

export type AgentProcessCommand =
  | { kind: 'configure'; target: ControlPlaneTarget; specs: AgentSpec[]; seed: number }
  | { kind: 'flood'; ms: number; window: string }
  | { kind: 'drain'; timeoutMs: number }
  | { kind: 'report' }
  | { kind: 'stop' };

export type AgentProcessMessage =
  | { kind: 'ready' }
  | { kind: 'flooded'; cpuPercent: number }
  | { kind: 'drained' }
  | { kind: 'report'; report: TenantAgentsReport[] }
  | { kind: 'totals'; totals: [string, AgentCounters][] }
  | { kind: 'failed'; message: string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

if (process.send !== undefined) {
  const reply = (message: AgentProcessMessage) => process.send?.(message);
  let group: AgentGroup | null = null;
  // Live totals for the parent's progress lines.
  const ticker = setInterval(() => {
    if (group !== null) reply({ kind: 'totals', totals: [...group.totals()] });
  }, 500);
  const handle = async (command: AgentProcessCommand): Promise<void> => {
    if (command.kind === 'configure') {
      group = new AgentGroup(command.target, command.specs, command.seed);
      reply({ kind: 'ready' });
      return;
    }
    if (group === null) throw new Error('configure the agent process first');
    if (command.kind === 'flood') {
      const cpu = process.cpuUsage();
      const started = performance.now();
      group.setWindow(command.window);
      group.setMode('generating');
      await sleep(command.ms);
      group.setMode('idle');
      const used = process.cpuUsage(cpu);
      reply({ kind: 'flooded', cpuPercent: Math.round(((used.user + used.system) / 1000 / (performance.now() - started)) * 100) });
    } else if (command.kind === 'drain') {
      group.setWindow('drain');
      await group.drain(command.timeoutMs);
      reply({ kind: 'drained' });
    } else if (command.kind === 'report') {
      reply({ kind: 'report', report: group.report() });
    } else {
      clearInterval(ticker);
      await group.stop();
      reply({ kind: 'report', report: group.report() });
      process.disconnect();
    }
  };
  process.on('message', (command: AgentProcessCommand) => {
    handle(command).catch((error: unknown) => reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }));
  });
  // The parent went away (done, interrupted or crashed): these agents stop with it.
  process.on('disconnect', () => process.exit(0));
}
