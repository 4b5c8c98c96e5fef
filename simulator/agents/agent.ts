import type { Dispatcher, Pool } from 'undici';
import type { SeededRandom } from '../random';
import { BATCH_UNITS_HEADER, type BatchFactory, type BatchSeed, unitsOf } from './batches';
import { latencyHistogram, type Histogram } from './latency';

/** What one agent did, in requests and units. Nothing is dropped: `pending_units` are still to send. */
export interface AgentCounters {
  offered_batches: number;
  offered_units: number;
  /** Requests sent, first tries and resends. */
  sent_requests: number;
  acknowledged_batches: number;
  acknowledged_units: number;
  /** 429 answers, and the units they refused (a batch refused twice counts twice). */
  shed_requests: number;
  shed_units: number;
  /** Requests that resent a batch sent before (after a 429, a 5xx or a closed connection). */
  retried_requests: number;
  /**
   * Batches sent again at once because their connection closed before any answer (a keep-alive
   * connection the server closed as the request went out): not failures, unless RESENDS_AFTER_CLOSE ran out.
   */
  resent_after_close: number;
  /** 5xx answers and failed connections, each followed by a back-off and a resend. */
  failed_requests: number;
  /** Answers that no resend can fix (400, 401, 403, 413): the batch is kept, counted and reported. */
  refused_batches: number;
  pending_units: number;
}

export const emptyCounters = (): AgentCounters => ({
  offered_batches: 0,
  offered_units: 0,
  sent_requests: 0,
  acknowledged_batches: 0,
  acknowledged_units: 0,
  shed_requests: 0,
  shed_units: 0,
  retried_requests: 0,
  resent_after_close: 0,
  failed_requests: 0,
  refused_batches: 0,
  pending_units: 0,
});

export function addCounters(into: AgentCounters, from: AgentCounters): AgentCounters {
  for (const key of Object.keys(into) as (keyof AgentCounters)[]) into[key] += from[key];
  return into;
}

export interface AgentBehaviour {
  /** New batches per second while generating. */
  batchesPerSec: number;
  /** A well-behaved agent waits out Retry-After; a hostile one resends at its own pace regardless. */
  honourRetryAfter: boolean;
}

export type AgentMode = 'idle' | 'generating' | 'draining';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const MAX_BACKOFF_MS = 5_000;
/** Immediate resends of one batch whose connection closed before any answer; then it backs off as a failure. */
export const RESENDS_AFTER_CLOSE = 3;
/** undici's errors for a connection that closed or broke under a request before any answer came. */
const CLOSED_BEFORE_ANSWER = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

/** The wait a 429 asks for: the body's retry_after_ms, else the Retry-After header (seconds). */
function retryAfterMs(status: number, headers: Dispatcher.ResponseData['headers'], text: string): number {
  if (status !== 429) return 0;
  try {
    const ms = (JSON.parse(text) as { error?: { details?: { retry_after_ms?: unknown } } }).error?.details?.retry_after_ms;
    if (typeof ms === 'number' && ms > 0) return ms;
  } catch {
    // fall back to the header
  }
  const seconds = Number(headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000;
}

/**
 * One probe agent: it makes a batch at its pace while generating (its probes keep running whatever
 * the control plane says), and sends its batches oldest first, one request at a time over the
 * shared keep-alive pool. A 429 keeps the batch and resends the same batch_id after Retry-After
 * (with jitter, so refused agents do not come back in step); a connection that closed before any
 * answer is resent at once (up to RESENDS_AFTER_CLOSE times); a 5xx or a failure past that backs
 * off exponentially and resends; nothing is ever dropped.
 */
export class SimAgent {
  readonly counters = emptyCounters();
  readonly latency: Histogram = latencyHistogram();
  private readonly backlog: BatchSeed[] = [];
  /** Batches the control plane refused for good (400, 401, 403, 413): never resent, never forgotten. */
  readonly setAside: BatchSeed[] = [];
  /** Batch ids sent at least once (a resend is a retry). */
  private readonly tried = new Set<string>();
  private mode: AgentMode = 'idle';
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  /** Closes before any answer for the batch at the head, in a row. */
  private closesInARow = 0;
  /** When the next batch is due while generating. */
  private nextBatchAt = 0;
  /** The last refusal that no resend fixes, e.g. "401 unauthorized". */
  lastRefusal: string | null = null;

  constructor(
    readonly name: string,
    private readonly pool: Pool,
    private readonly token: string,
    private readonly factory: BatchFactory,
    private readonly behaviour: AgentBehaviour,
    private readonly random: SeededRandom,
    /** Told of each acknowledged request: its latency and units (e.g. for the scenario's current window). */
    private readonly onAcknowledged: (micros: number, units: number) => void = () => undefined,
  ) {}

  /** Units not acknowledged yet: the backlog and the batches set aside. */
  get pendingUnits(): number {
    return [...this.backlog, ...this.setAside].reduce((sum, seed) => sum + unitsOf(seed), 0);
  }

  setMode(mode: AgentMode): void {
    // Probes start (again) out of step with each other; nothing is made up for the idle time.
    if (mode === 'generating' && this.mode !== 'generating') this.nextBatchAt = performance.now() + this.random.float() * this.period;
    this.mode = mode;
    this.loop ??= this.run();
    this.wake?.();
  }

  /** Stops generating and sending; resolves when the request in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** The counters now, with what is still to send. */
  snapshot(): AgentCounters {
    return { ...this.counters, pending_units: this.pendingUnits };
  }

  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = null;
  }

  private get period(): number {
    return 1000 / this.behaviour.batchesPerSec;
  }

  private async run(): Promise<void> {
    const period = this.period;
    let notBefore = 0;
    while (!this.stopped) {
      const now = performance.now();
      if (this.mode === 'generating') {
        while (this.nextBatchAt <= now) {
          const seed = this.factory.create();
          this.backlog.push(seed);
          this.counters.offered_batches += 1;
          this.counters.offered_units += unitsOf(seed);
          this.nextBatchAt += period;
        }
      }
      const head = this.backlog[0];
      if (this.mode === 'idle' || head === undefined || now < notBefore) {
        const until = Math.min(this.mode === 'generating' ? this.nextBatchAt : Infinity, head === undefined || this.mode === 'idle' ? Infinity : notBefore);
        await this.pause(until === Infinity ? 60_000 : until - now);
        continue;
      }
      const wait = await this.send(head);
      const sentAt = performance.now();
      // A hostile agent keeps its pace whatever it was told; a well-behaved one waits as asked.
      const hostile = !this.behaviour.honourRetryAfter && this.mode === 'generating';
      notBefore = hostile && wait > 0 ? sentAt + period : sentAt + wait;
    }
  }

  /** Sends one batch; answers how long to wait before the next send (0: go on). */
  private async send(seed: BatchSeed): Promise<number> {
    const units = unitsOf(seed);
    if (this.tried.has(seed.batchId)) this.counters.retried_requests += 1;
    this.tried.add(seed.batchId);
    this.counters.sent_requests += 1;
    const started = performance.now();
    let status: number;
    let text: string;
    let headers: Dispatcher.ResponseData['headers'];
    let answered = false;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: '/agent/v1/ingest',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', [BATCH_UNITS_HEADER]: String(units) },
        body: this.factory.body(seed),
      });
      answered = true;
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      // No answer at all: nothing was refused, and batch_id makes a repeat harmless, so again at once.
      if (!answered && CLOSED_BEFORE_ANSWER.has((error as { code?: string }).code ?? '') && this.closesInARow < RESENDS_AFTER_CLOSE) {
        this.closesInARow += 1;
        this.counters.resent_after_close += 1;
        return 0;
      }
      this.closesInARow = 0;
      return this.failed();
    }
    this.closesInARow = 0;
    if (status === 202) {
      const micros = Math.max(1, Math.round((performance.now() - started) * 1000));
      this.latency.recordValue(micros);
      this.onAcknowledged(micros, units);
      this.backlog.shift();
      this.tried.delete(seed.batchId);
      this.counters.acknowledged_batches += 1;
      this.counters.acknowledged_units += units;
      this.failures = 0;
      return 0;
    }
    if (status === 429) {
      this.counters.shed_requests += 1;
      this.counters.shed_units += units;
      return this.random.jitter(retryAfterMs(status, headers, text), 0.2);
    }
    if (status >= 500) return this.failed();
    // 400/401/403/413: resending the same bytes cannot succeed. The batch is set aside (still
    // counted as pending, so the run reports it as not stored) and the agent goes on.
    this.counters.refused_batches += 1;
    this.lastRefusal = `${status} ${/"code":"([a-z_]+)"/.exec(text)?.[1] ?? ''}`.trim();
    const refused = this.backlog.shift();
    if (refused !== undefined) this.setAside.push(refused);
    return 0;
  }

  private failed(): number {
    this.counters.failed_requests += 1;
    this.failures += 1;
    return this.random.jitter(Math.min(MAX_BACKOFF_MS, 100 * 2 ** (this.failures - 1)), 0.5);
  }

  /** Sends what is left (waiting out every Retry-After), generating nothing new; resolves when the backlog is empty. */
  async drain(deadlineMs: number): Promise<void> {
    this.setMode('draining');
    while (this.backlog.length > 0 && performance.now() < deadlineMs && !this.stopped) await sleep(20);
    this.setMode('idle');
  }
}
