import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WorkerCommand, WorkerMessage } from '../../simulator/worker';

/** How the console's simulator panel runs a scenario: the library in a child process, progress and result as messages. */
describe('the simulator worker process', () => {
  it('runs a scenario on its own embedded control plane and reports progress, then the result', async () => {
    const child = fork(resolve(import.meta.dirname, '..', '..', 'simulator', 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const messages: WorkerMessage[] = [];
    child.on('message', (message: WorkerMessage) => messages.push(message));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const command: WorkerCommand = { kind: 'run', target: {}, request: { scenario: 'scim-sync', options: { seed: 77, tenants: 1, agentsPerTenant: 1 } } };
    child.send(command);
    expect(await exited).toBe(0);
    const steps = messages.flatMap((message) => (message.kind === 'progress' && message.event.kind === 'step' ? [message.event.message] : []));
    expect(steps.some((step) => step.includes('setting up'))).toBe(true);
    const last = messages.at(-1);
    expect(last?.kind).toBe('result');
    if (last?.kind === 'result') {
      expect(last.result.scenario).toBe('scim-sync');
      expect(last.result.ok).toBe(true);
      expect(last.result.control_plane.kind).toBe('embedded');
    }
  }, 120_000);

  it('reports a failure as a message with its exit code', async () => {
    const child = fork(resolve(import.meta.dirname, '..', '..', 'simulator', 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const messages: WorkerMessage[] = [];
    child.on('message', (message: WorkerMessage) => messages.push(message));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    // A remote control plane without its CA: refused before anything starts.
    child.send({ kind: 'run', target: { controlPlane: 'https://127.0.0.1:9' }, request: { scenario: 'scim-sync', options: { seed: 1, tenants: 1, agentsPerTenant: 1 } } } satisfies WorkerCommand);
    await exited;
    expect(messages).toEqual([{ kind: 'failed', message: expect.stringContaining('--ca <file> is required') as unknown, exit_code: 2 }]);
  });
});
