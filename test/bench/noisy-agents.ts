// The noisy tenant's agents in a process of their own (P2). The quiet agent's latencies are timed
// on the benchmark's event loop; twenty senders of 55 KB bodies sharing it would add their own
// delays to every quiet request. A real noisy neighbour's agents run on other machines.
// Commands arrive over IPC: `flood` for a timed window, `retry` to resend every refused batch.
import { Agent, request } from 'undici';
import { BATCH_UNITS_HEADER } from '../../contracts/telemetry';
import { bodyOf, nextBatch, type BatchSeed } from './agent-batches';

export interface NoisyAgentsConfig {
  url: string;
  ca: string;
  /** One per sender, as each real agent has its own (sender i sends with token i mod their number). */
  agentTokens: string[];
  /** The noisy tenant's own tests (ingest takes results for a tenant's own tests only). */
  testIds: string[];
  senders: number;
  batchesPerSecPerSender: number;
  batchUnits: number;
  /** Well-behaved agents wait out Retry-After after a refusal; the others keep their pace regardless. */
  honourRetryAfter: boolean;
}

export type NoisyCommand = { kind: 'prepare'; seconds: number } | { kind: 'connect' } | { kind: 'flood'; seconds: number; measureAfterMs: number } | { kind: 'retry' } | { kind: 'stop' };

export type NoisyReport =
  | { kind: 'ready' }
  | { kind: 'prepared' }
  | { kind: 'connected' }
  | { kind: 'flooded'; cpuPercent: number; attemptedBatches: number; admittedUnitsPerSec: number; acknowledgedUnits: number }
  | { kind: 'retried'; requests: number; acknowledgedUnits: number };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function agents(config: NoisyAgentsConfig) {
  const dispatcher = new Agent({ connect: { ca: config.ca }, connections: config.senders });
  // Refused batches, kept by their agents to send again unchanged. Kept as seeds, rebuilt byte for
  // byte when sent: a million refused 55 KB bodies held here would grow this process's heap (and its
  // garbage collector's share of the machine's 2 cores) round after round.
  const shed: BatchSeed[] = [];
  const tokenOf = (index: number) => config.agentTokens[index % config.agentTokens.length] ?? '';
  const send = async (body: string, token: string) => {
    const response = await request(`${config.url}/agent/v1/ingest`, {
      method: 'POST',
      dispatcher,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', [BATCH_UNITS_HEADER]: String(config.batchUnits) },
      body,
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: JSON.parse(text) as { error?: { details?: { retry_after_ms?: number } } } };
  };

  let bodies: { seed: BatchSeed; body: string }[] = [];
  return {
    /** Builds the next window's bodies ahead of its clock, so building them does not pace the senders. */
    prepare(seconds: number): NoisyReport {
      const total = Math.ceil(seconds * config.senders * config.batchesPerSecPerSender) + config.senders;
      bodies = Array.from({ length: total }, () => {
        const seed = nextBatch(config.batchUnits);
        return { seed, body: bodyOf(seed, config.batchUnits, config.testIds) };
      });
      return { kind: 'prepared' };
    },
    /**
     * Opens every sender's connection (a real agent sending ten batches a second keeps one open).
     * Idle through a solo window, they were closed; reopening them is not what a window measures.
     */
    async connect(): Promise<NoisyReport> {
      await Promise.all(Array.from({ length: config.senders }, async () => (await request(`${config.url}/healthz`, { dispatcher })).body.text()));
      return { kind: 'connected' };
    },
    /** Each sender keeps its pace (unless it honours Retry-After and was refused); the senders' sends are spread evenly (agents are not phase-locked). */
    async flood(seconds: number, measureAfterMs: number): Promise<NoisyReport> {
      const started = performance.now();
      const cpuFrom = process.cpuUsage();
      const deadline = started + seconds * 1000;
      const period = 1000 / config.batchesPerSecPerSender;
      let attemptedBatches = 0;
      let acknowledgedUnits = 0;
      let admittedInWindow = 0;
      const sender = async (_: unknown, index: number) => {
        let next = started + (index * period) / config.senders;
        await sleep(next - performance.now());
        while (performance.now() < deadline) {
          const prepared = bodies.pop();
          const seed = prepared?.seed ?? nextBatch(config.batchUnits);
          attemptedBatches++;
          const response = await send(prepared?.body ?? bodyOf(seed, config.batchUnits, config.testIds), tokenOf(index));
          if (response.status === 202) {
            acknowledgedUnits += config.batchUnits;
            if (performance.now() >= started + measureAfterMs) admittedInWindow += config.batchUnits;
          } else {
            shed.push(seed);
            const retryAfterMs = response.json.error?.details?.retry_after_ms;
            if (config.honourRetryAfter && retryAfterMs !== undefined) {
              await sleep(retryAfterMs);
              next = performance.now();
              continue;
            }
          }
          next += period;
          await sleep(Math.max(0, next - performance.now()));
        }
      };
      await Promise.all(Array.from({ length: config.senders }, sender));
      const cpu = process.cpuUsage(cpuFrom);
      return { kind: 'flooded', cpuPercent: ((cpu.user + cpu.system) / 1000 / (performance.now() - started)) * 100, attemptedBatches, acknowledgedUnits, admittedUnitsPerSec: admittedInWindow / ((deadline - started - measureAfterMs) / 1000) };
    },
    /** Sends every refused batch again, honouring Retry-After, until each is acknowledged. */
    async retry(): Promise<NoisyReport> {
      let requests = 0;
      let acknowledgedUnits = 0;
      while (shed.length > 0) {
        const seed = shed.shift();
        if (seed === undefined) break;
        const response = await send(bodyOf(seed, config.batchUnits, config.testIds), tokenOf(requests));
        requests++;
        if (response.status === 202) acknowledgedUnits += config.batchUnits;
        else {
          shed.push(seed);
          await sleep(response.json.error?.details?.retry_after_ms ?? 50);
        }
      }
      return { kind: 'retried', requests, acknowledgedUnits };
    },
    close: () => dispatcher.close(),
  };
}

// Run as a forked process: the configuration comes in the first message.
if (process.send !== undefined) {
  const reply = (report: NoisyReport) => process.send?.(report);
  let running: ReturnType<typeof agents> | null = null;
  process.on('message', (message: NoisyAgentsConfig | NoisyCommand) => {
    void (async () => {
      if (!('kind' in message)) {
        running = agents(message);
        reply({ kind: 'ready' });
        return;
      }
      if (running === null) throw new Error('configure the noisy agents first');
      if (message.kind === 'prepare') reply(running.prepare(message.seconds));
      else if (message.kind === 'connect') reply(await running.connect());
      else if (message.kind === 'flood') reply(await running.flood(message.seconds, message.measureAfterMs));
      else if (message.kind === 'retry') reply(await running.retry());
      else {
        await running.close();
        process.disconnect();
      }
    })();
  });
}
