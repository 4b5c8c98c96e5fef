// Ingest figures. P1: end-to-end ingest (HTTPS, auth, fairness, sealing, SQLite) in results/s with
// batches of 500, against the raw better-sqlite3 insert rate of rows of the same shape, same run.
// P2: a quiet tenant's latency alone and beside a noisy tenant sending 20x its own rate, with
// fairness on and off, in alternating windows. The server is a real `serve` child process and the
// noisy agents run in a process of their own, so no two share an event loop (they do share the
// machine's cores). Wall-clock on a shared machine: compare ratios within one run.
import { fork, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'otplib';
import pg from 'pg';
import { Agent, request } from 'undici';
import { BATCH_UNITS_HEADER } from '../../contracts/telemetry';
import { batchBody, TEST_IDS } from './agent-batches';
import { diskFloor, storageFloor } from './disk-floor';
import { startTransportFloor, type FloorMode } from './transport-floor';
import { cpuPerResult, meanCpu, type CpuPerResult } from './thread-cpu';
import type { NoisyAgentsConfig, NoisyCommand, NoisyReport } from './noisy-agents';
import { deriveLedgerKey } from '../../control-plane/audit/ledger-codec';
import Database from 'better-sqlite3';
import { storePragmas } from '../../control-plane/storage/sqlite/connection';
import { SqliteStorage, sqliteLayout, telemetryCellFile } from '../../control-plane/storage/sqlite/sqlite-storage';
import { openRowPerResultStore, ROW_PER_RESULT_INSERT } from '../helpers/row-per-result';
import { exitWithParentArgs, runCli, startServe, type ServingProcess } from '../helpers/cli-process';
import { benchDatabase } from '../helpers/postgres-roles';

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/**
 * Raw better-sqlite3 inserts of rows shaped as the row-per-result layout's telemetry_results rows
 * (UUID text keys, ISO text time, batch id per row, two indexes), same pragmas as our stores.
 */
function rawInsertRate(rows: number, perTransaction: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-raw-'));
  try {
    const db = openRowPerResultStore(join(dir, 'telemetry.db'), 'telemetry');
    const insert = db.prepare(ROW_PER_RESULT_INSERT);
    const tenant = randomUUID();
    const at = Date.now();
    const started = performance.now();
    for (let done = 0; done < rows; done += perTransaction) {
      const batchId = randomUUID();
      db.transaction(() => {
        for (let i = 0; i < perTransaction; i++) {
          insert.run(tenant, TEST_IDS[i % TEST_IDS.length], new Date(at + done + i).toISOString(), 5 + (i % 90), i % 50 !== 0 ? 1 : 0, batchId, i);
        }
      })();
    }
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return Math.round(rows / seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * P1's yardstick: a lean raw insert, five integer columns in a rowid table with no index, 500 rows
 * per transaction, with the server's pragmas (WAL, synchronous=FULL: an fsync per commit).
 */
function leanInsertRate(rows: number, perTransaction: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-lean-'));
  try {
    const db = new Database(join(dir, 'lean.db'));
    for (const pragma of storePragmas()) db.pragma(pragma);
    db.exec('CREATE TABLE lean (tenant INTEGER NOT NULL, test INTEGER NOT NULL, ts INTEGER NOT NULL, latency INTEGER, ok INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO lean (tenant, test, ts, latency, ok) VALUES (?, ?, ?, ?, ?)');
    const at = Date.now();
    const started = performance.now();
    for (let done = 0; done < rows; done += perTransaction) {
      db.transaction(() => {
        for (let i = 0; i < perTransaction; i++) insert.run(1, i % TEST_IDS.length, at + done + i, 5 + (i % 90), i % 50 !== 0 ? 1 : 0);
      })();
    }
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return Math.round(rows / seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Bytes on disk per stored result in a stopped server's data dir: every telemetry file (pooled
 * cells, tenants' own telemetry stores), data and indexes, over the results their chunks hold.
 */
function diskPerResult(dataDir: string): { bytes: number; results: number; bytesPerResult: number } {
  const layout = sqliteLayout(dataDir);
  const own = existsSync(layout.tenantsDir) ? readdirSync(layout.tenantsDir).map((tenant) => join(layout.tenantsDir, tenant, 'telemetry.db')) : [];
  const files = [...Array.from({ length: 65 }, (_, cell) => telemetryCellFile(layout, cell)), ...own].filter((file) => existsSync(file));
  let bytes = 0;
  let results = 0;
  for (const file of files) {
    for (const part of [file, `${file}-wal`]) bytes += existsSync(part) ? statSync(part).size : 0;
    const db = new Database(file, { readonly: true });
    try {
      results += db.prepare('SELECT COALESCE(SUM(count), 0) FROM telemetry_chunks').pluck().get() as number;
    } finally {
      db.close();
    }
  }
  return { bytes, results, bytesPerResult: results === 0 ? 0 : round(bytes / results, 1) };
}

export interface BenchServer {
  server: ServingProcess;
  dispatcher: Agent;
  operator: string;
  dataDir: string;
  deploymentKey: string;
  api(method: 'GET' | 'POST' | 'PUT', path: string, token: string | null, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown>; text: string; ms: number }>;
  /** One batch as an agent sends it, declaring its units so a refusal needs no parse. */
  ingest(agent: string, body: string, units: number): Promise<{ status: number; json: Record<string, unknown>; text: string; ms: number }>;
  /** A tenant with an admin token and `agents` enrolled agents (default 1; `agent` is the first), at these fairness limits. */
  tenant(slug: string, limits: { ingest_rate_per_sec: number; ingest_burst?: number; query_budget: number }, isolationModel?: 'pooled' | 'siloed' | 'hybrid', agents?: number): Promise<{ admin: string; agent: string; agents: string[]; testIds: string[] }>;
  /** Stops the server cleanly (SIGTERM), keeping its data dir until close. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A `serve` child process with an initialized data dir and a signed-in operator. `agentConnections`:
 * serve --max-agent-connections, for suites whose many senders share one agent token (P1).
 */
export async function startBenchServer(options: { fairness: boolean; connections: number; database?: string; telemetryCells?: number; agentConnections?: number; nodeOptions?: string }): Promise<BenchServer> {
  const engine = options.database === undefined ? [] : ['--database', options.database];
  // serve only: init has no connection bounds.
  const bounds = options.agentConnections === undefined ? [] : ['--max-agent-connections', String(options.agentConnections)];
  const cells = options.telemetryCells === undefined ? [] : ['--telemetry-cells', String(options.telemetryCells)];
  const root = mkdtempSync(join(tmpdir(), 'bulkhead-ingest-bench-'));
  const dataDir = join(root, 'data');
  const deploymentKey = randomBytes(32).toString('base64');
  const password = 'bench-admin-password';
  const init = await runCli(['init', '--data', dataDir, '--admin', 'admin', '--json', ...engine], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey, BULKHEAD_ADMIN_PASSWORD: password });
  if (init.code !== 0) throw new Error(init.stderr);
  const { secret } = JSON.parse(init.stdout) as { secret: string };
  const server = await startServe(['--data', dataDir, '--fairness', options.fairness ? 'on' : 'off', ...engine, ...bounds, ...cells], { BULKHEAD_DEPLOYMENT_KEY: deploymentKey, ...(options.nodeOptions === undefined ? {} : { NODE_OPTIONS: options.nodeOptions }) });
  const dispatcher = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') }, connections: options.connections });
  const api: BenchServer['api'] = async (method, path, token, body, headers = {}) => {
    const started = performance.now();
    const response = await request(`${server.url}${path}`, {
      method,
      dispatcher,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.body.text();
    const json = text && response.headers['content-type']?.toString().startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : {};
    return { status: response.statusCode, json, text, ms: performance.now() - started };
  };
  let closed = false;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await dispatcher.close();
    await server.stop('SIGTERM');
  };
  // init leaves the admin pending: its first code confirms the enrollment and signs it in.
  const operator = String((await api('POST', '/provider/v1/auth/enrollment/confirm', null, { username: 'admin', password, totp: await generate({ secret }) })).json.token);
  return {
    server,
    dispatcher,
    operator,
    dataDir,
    deploymentKey,
    api,
    ingest: (agent, body, units) => api('POST', '/agent/v1/ingest', agent, body, { [BATCH_UNITS_HEADER]: String(units) }),
    async tenant(slug, limits, isolationModel = 'pooled', count = 1) {
      await api('POST', '/provider/v1/tenants', operator, { slug, name: slug, isolation_model: isolationModel });
      await api('PUT', `/provider/v1/tenants/${slug}/fairness`, operator, limits);
      const admin = String((await api('POST', `/provider/v1/tenants/${slug}/admin-tokens`, operator, { expires_in_seconds: 3600 })).json.token);
      const pool = String((await api('POST', '/v1/agent-pools', admin, { name: 'edge', ttl_seconds: 600 })).json.id);
      const bootstrap = String((await api('POST', `/v1/agent-pools/${pool}/tokens`, admin)).json.token);
      // A bootstrap token enrolls any number of agents while it is valid; a few at a time.
      const agents: string[] = [];
      for (let from = 0; from < count; from += 8) {
        const enrolled = await Promise.all(Array.from({ length: Math.min(8, count - from) }, (_, i) => api('POST', '/agent/v1/enroll', null, { bootstrap_token: bootstrap, name: `probe-${from + i}` })));
        for (const response of enrolled) {
          if (response.status !== 201) throw new Error(`enrolling an agent of ${slug}: ${response.status} ${response.text}`);
          agents.push(String(response.json.agent_token));
        }
      }
      const [agent = ''] = agents;
      // Ingest takes results for a tenant's own tests: twenty of them, as the batches cycle through.
      const testIds: string[] = [];
      for (let i = 0; i < 20; i++) testIds.push(String((await api('POST', '/v1/tests', admin, { name: `probe-${i}`, target: `https://service-${i}.example/health`, kind: 'http', interval_s: 60 })).json.id));
      return { admin, agent, agents, testIds };
    },
    stop,
    async close() {
      if (closed) return;
      closed = true;
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

type ThroughputRun = (seconds: number) => Promise<{ acked: number; refused: number; resultsPerSec: number; cpu: CpuPerResult | null }>;

/** `senders` agents sending batches of 500 back to back through `send` (which answers a status), after a warm-up. */
async function backToBack(send: (body: string) => Promise<number>, testIds: readonly string[], senders: number, serverPid: number): Promise<ThroughputRun> {
  /** Results/s acknowledged over `seconds`. */
  const run: ThroughputRun = async (seconds) => {
    let acked = 0;
    let refused = 0;
    const cpu = cpuPerResult(serverPid);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const sender = async () => {
      while (performance.now() < deadline) {
        try {
          if ((await send(batchBody(randomUUID(), 500, testIds))) === 202) acked++;
          else refused++;
        } catch (error) {
          // A keep-alive connection the server closed as idle while this process ran the raw
          // inserts, reused at that moment: not acknowledged, so not counted; the agent goes on.
          if ((error as { code?: unknown }).code !== 'UND_ERR_SOCKET') throw error;
          refused++;
        }
      }
    };
    await Promise.all(Array.from({ length: senders }, sender));
    const elapsed = (performance.now() - started) / 1000;
    return { acked, refused, resultsPerSec: Math.round((acked * 500) / elapsed), cpu: cpu(acked * 500) };
  };
  // Warm-up: JIT, connections, the store's first pages.
  await run(2);
  return run;
}

/** An agent of a tenant with no practical limit, sending batches of 500 back to back from `senders` connections. */
async function throughputAgents(bench: BenchServer, senders: number): Promise<ThroughputRun> {
  const { agent, testIds } = await bench.tenant('throughput', { ingest_rate_per_sec: 10_000_000, ingest_burst: 100_000_000, query_budget: 1000 });
  return backToBack(async (body) => (await bench.ingest(agent, body, 500)).status, testIds, senders, bench.server.child.pid ?? 0);
}

/**
 * The same agents against a server that does nothing with their batches (transport-floor.ts): what
 * HTTPS and this process's own sending leave of the machine's two cores. `close` ends it.
 */
async function floorAgents(mode: FloorMode, senders: number): Promise<{ run: ThroughputRun; close: () => Promise<void> }> {
  const floor = await startTransportFloor(mode);
  const dispatcher = new Agent({ connect: { ca: floor.ca }, connections: senders });
  const send = async (body: string): Promise<number> => {
    const response = await request(`${floor.url}/agent/v1/ingest`, { method: 'POST', dispatcher, headers: { authorization: 'Bearer bha_floor', 'content-type': 'application/json', [BATCH_UNITS_HEADER]: '500' }, body });
    await response.body.text();
    return response.statusCode;
  };
  const run = await backToBack(send, TEST_IDS, senders, floor.pid);
  return {
    run,
    close: async () => {
      await dispatcher.close();
      await floor.close();
    },
  };
}

/** Results/s acknowledged at batches of 500 from `senders` agents sending back to back, after a warm-up. */
async function measureIngest(bench: BenchServer, senders: number, seconds: number): Promise<{ acked: number; refused: number; resultsPerSec: number }> {
  return (await throughputAgents(bench, senders))(seconds);
}

/** Bytes on disk of the pooled telemetry tables (data, indexes, TOAST) and the results they hold. */
async function postgresDisk(superuserUrl: string): Promise<{ results: number; chunkBytes: number; batchBytes: number }> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE bh.telemetry_chunks');
    const { rows } = await client.query<{ results: string | null; chunks: string; batches: string }>(
      `SELECT (SELECT sum(count) FROM bh.telemetry_chunks)::text AS results,
              pg_total_relation_size('bh.telemetry_chunks')::text AS chunks, pg_total_relation_size('bh.telemetry_batches')::text AS batches`,
    );
    const row = rows[0];
    return { results: Number(row?.results ?? 0), chunkBytes: Number(row?.chunks ?? 0), batchBytes: Number(row?.batches ?? 0) };
  } finally {
    await client.end();
  }
}

/** Ingest on PostgreSQL (a durable private cluster, RLS on, the app role) against SQLite, same run, same load. */
export async function ingestEngines(options: { seconds?: number; senders?: number } = {}): Promise<Record<string, unknown>> {
  const seconds = options.seconds ?? 8;
  const senders = options.senders ?? 16;
  const sqlite = await startBenchServer({ fairness: true, connections: senders, agentConnections: senders });
  let sqliteRate: number;
  try {
    sqliteRate = (await measureIngest(sqlite, senders, seconds)).resultsPerSec;
  } finally {
    await sqlite.close();
  }
  // Durable settings (fsync on), as SQLite's synchronous=FULL: an acknowledged batch survives power loss on both.
  const bench = await benchDatabase('ingest_bench', { durable: true });
  try {
    const postgres = await startBenchServer({ fairness: true, connections: senders, agentConnections: senders, database: bench.appUrl });
    try {
      const postgresRate = (await measureIngest(postgres, senders, seconds)).resultsPerSec;
      const disk = await postgresDisk(bench.superuserUrl);
      return {
        sqlite_results_per_sec: sqliteRate,
        postgres_results_per_sec: postgresRate,
        postgres_over_sqlite: round(postgresRate / sqliteRate),
        postgres_results_stored: disk.results,
        // Chunks with their indexes (and TOAST) over results stored; with the batch rows too.
        postgres_chunk_bytes_per_result: round(disk.chunkBytes / disk.results, 1),
        postgres_bytes_per_result_with_batches: round((disk.chunkBytes + disk.batchBytes) / disk.results, 1),
        senders,
        seconds,
      };
    } finally {
      await postgres.close();
    }
  } finally {
    await bench.stop();
  }
}

/**
 * P1: end-to-end results/s at batches of 500 from `senders` concurrent agents, against raw inserts.
 * The machine is shared and its speed drifts, so raw and end-to-end windows alternate over
 * `rounds` rounds and the figure is the ratio of their sums (per-round ratios alongside).
 */
export async function ingestThroughput(options: { seconds?: number; senders?: number; rounds?: number } = {}): Promise<Record<string, unknown>> {
  const seconds = options.seconds ?? 5;
  // Enough agents in flight that the writer always has the next batches queued: with 16, each
  // waiting out its own round trip, the writer idled a third of the time.
  const senders = options.senders ?? 32;
  const rounds = options.rounds ?? 3;
  // One agent token sends from every connection: a load generator, not agents, so the per-token bound is raised to match.
  const bench = await startBenchServer({ fairness: true, connections: senders, agentConnections: senders });
  const floors: { close: () => Promise<void> }[] = [];
  try {
    const run = await throughputAgents(bench, senders);
    const readFloor = await floorAgents('read', senders);
    floors.push(readFloor);
    const jsonFloor = await floorAgents('json', senders);
    floors.push(jsonFloor);
    const perRound: {
      lean_raw_500_per_tx: number;
      raw_500_per_tx: number;
      raw_10000_per_tx: number;
      end_to_end: number;
      transport_floor: number;
      transport_json_floor: number;
      ratio_lean: number;
      ratio_500: number;
      ratio_floor: number;
      cpu_us_per_result: Record<'end_to_end' | 'transport_floor' | 'transport_json_floor', CpuPerResult | null>;
    }[] = [];
    let acked = 0;
    let refused = 0;
    for (let r = 0; r < rounds; r++) {
      // The server idles while the raw inserts run in this process, and while the floors run.
      const lean = leanInsertRate(150_000, 500);
      const raw500 = rawInsertRate(150_000, 500);
      const rawBulk = rawInsertRate(150_000, 10_000);
      const e2e = await run(seconds);
      acked += e2e.acked;
      refused += e2e.refused;
      const floorRun = await readFloor.run(seconds);
      const jsonFloorRun = await jsonFloor.run(seconds);
      const floor = floorRun.resultsPerSec;
      const jsonFloorRate = jsonFloorRun.resultsPerSec;
      perRound.push({
        lean_raw_500_per_tx: lean,
        raw_500_per_tx: raw500,
        raw_10000_per_tx: rawBulk,
        end_to_end: e2e.resultsPerSec,
        transport_floor: floor,
        transport_json_floor: jsonFloorRate,
        ratio_lean: round(e2e.resultsPerSec / lean),
        ratio_500: round(e2e.resultsPerSec / raw500),
        ratio_floor: round(e2e.resultsPerSec / floor),
        cpu_us_per_result: { end_to_end: e2e.cpu, transport_floor: floorRun.cpu, transport_json_floor: jsonFloorRun.cpu },
      });
    }
    const sum = (pick: (round: (typeof perRound)[number]) => number) => perRound.reduce((total, entry) => total + pick(entry), 0);
    const e2e = Math.round(sum((entry) => entry.end_to_end) / rounds);
    const rawPer500 = Math.round(sum((entry) => entry.raw_500_per_tx) / rounds);
    const rawBulk = Math.round(sum((entry) => entry.raw_10000_per_tx) / rounds);
    const lean = Math.round(sum((entry) => entry.lean_raw_500_per_tx) / rounds);
    const floor = Math.round(sum((entry) => entry.transport_floor) / rounds);
    const jsonFloorRate = Math.round(sum((entry) => entry.transport_json_floor) / rounds);
    // After a clean stop: the server has closed its stores (WAL checkpointed).
    await bench.stop();
    const disk = diskPerResult(bench.dataDir);
    return {
      end_to_end_results_per_sec: e2e,
      // P1: five integer columns in a rowid table, no index, 500 rows a transaction, synchronous=FULL.
      lean_raw_rows_per_sec_500_per_tx: lean,
      e2e_over_lean_raw: round(e2e / lean),
      // The same agents against a server that only reads each body (and, json, parses it) before 202:
      // what HTTPS and the senders themselves leave of this machine's two cores (transport-floor.ts).
      transport_floor_results_per_sec: floor,
      transport_json_floor_results_per_sec: jsonFloorRate,
      transport_floor_over_lean_raw: round(floor / lean),
      e2e_over_transport_floor: round(e2e / floor),
      e2e_over_transport_json_floor: round(e2e / jsonFloorRate),
      // CPU per result (the agents here, the server's main thread and its other threads), averaged
      // over the rounds: unlike results/s, it does not move with the shared machine's load.
      cpu_us_per_result: {
        end_to_end: meanCpu(perRound.map((entry) => entry.cpu_us_per_result.end_to_end)),
        transport_floor: meanCpu(perRound.map((entry) => entry.cpu_us_per_result.transport_floor)),
        transport_json_floor: meanCpu(perRound.map((entry) => entry.cpu_us_per_result.transport_json_floor)),
      },
      // Disk: every telemetry file (data and indexes) over the results stored in it.
      disk_bytes_per_result: disk.bytesPerResult,
      disk_bytes: disk.bytes,
      stored_results: disk.results,
      batches_acknowledged: acked,
      batches_refused: refused,
      // The row-per-result layout's row (before #22), one batch of 500 per transaction.
      raw_insert_rows_per_sec_500_per_tx: rawPer500,
      // 10,000 rows per transaction: the most a single writer gets from SQLite here.
      raw_insert_rows_per_sec_10000_per_tx: rawBulk,
      end_to_end_over_raw_500_per_tx: round(e2e / rawPer500),
      end_to_end_over_raw_10000_per_tx: round(e2e / rawBulk),
      per_round: perRound,
      rounds,
      senders,
      seconds_per_round: seconds,
      body_bytes: Buffer.byteLength(batchBody(randomUUID(), 500, TEST_IDS)),
    };
  } finally {
    for (const floor of floors) await floor.close();
    await bench.close();
  }
}

/**
 * After a flood the kernel is still writing the noisy tenant's rows back to disk: let that end
 * before a solo window, or the solo p99 carries part of the noisy tenant's cost.
 */
async function settleDisk(): Promise<void> {
  spawnSync('sync');
  await sleep(1000);
}

/** The noisy tenant's agents in their own process (see noisy-agents.ts), driven one command at a time. */
async function startNoisyAgents(config: NoisyAgentsConfig) {
  const child = fork(fileURLToPath(new URL('./noisy-agents.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx', ...exitWithParentArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies: ((report: NoisyReport) => void)[] = [];
  child.on('message', (report: NoisyReport) => replies.shift()?.(report));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ask = <K extends NoisyReport['kind']>(message: NoisyAgentsConfig | NoisyCommand, kind: K) =>
    new Promise<Extract<NoisyReport, { kind: K }>>((resolve, reject) => {
      replies.push((report) => (report.kind === kind ? resolve(report as Extract<NoisyReport, { kind: K }>) : reject(new Error(`noisy agents answered ${report.kind}, not ${kind}`))));
      child.send(message);
    });
  await ask(config, 'ready');
  return {
    prepare: (seconds: number) => ask({ kind: 'prepare', seconds }, 'prepared'),
    connect: () => ask({ kind: 'connect' }, 'connected'),
    flood: (seconds: number, measureAfterMs: number) => ask({ kind: 'flood', seconds, measureAfterMs }, 'flooded'),
    retry: () => ask({ kind: 'retry' }, 'retried'),
    async stop() {
      if (child.exitCode === null) child.send({ kind: 'stop' } satisfies NoisyCommand);
      await exited;
    },
  };
}

/** The server's own view of a window, from its /metrics (as the bench's operator): CPU (all its threads) and GC. */
export interface ServerWindow {
  cpu_percent: number;
  gc_ms_per_sec: number;
  /** Ingest calls the server refused (429) and results it admitted in the window, every tenant. */
  refused_calls: number;
  admitted_results: number;
  /** The window's length between the two scrapes (longer than the load's on a loaded machine). */
  seconds: number;
}

/** Starts a window on the server's metrics; the function it resolves to ends it. */
export async function serverWindow(bench: BenchServer): Promise<() => Promise<ServerWindow>> {
  const scrape = async () => {
    const text = (await bench.api('GET', '/metrics', bench.operator)).text;
    const value = (pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line)).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    return {
      cpuSeconds: value(/^bulkhead_process_cpu_seconds_total /),
      gcSeconds: value(/^bulkhead_nodejs_gc_duration_seconds_sum/),
      shedCalls: value(/^bulkhead_ingest_shed_calls\{/),
      admittedUnits: value(/^bulkhead_ingest_admitted_units\{/),
      at: performance.now(),
    };
  };
  const start = await scrape();
  return async () => {
    const end = await scrape();
    const seconds = (end.at - start.at) / 1000;
    return {
      cpu_percent: round(((end.cpuSeconds - start.cpuSeconds) * 100) / seconds, 1),
      gc_ms_per_sec: round(((end.gcSeconds - start.gcSeconds) * 1000) / seconds),
      refused_calls: end.shedCalls - start.shedCalls,
      admitted_results: end.admittedUnits - start.admittedUnits,
      seconds: round(seconds),
    };
  };
}

const meanOf = (windows: ServerWindow[]): Omit<ServerWindow, 'refused_calls' | 'admitted_results' | 'seconds'> & { refused_calls_per_window: number; admitted_results_per_window: number; seconds_per_window: number } => ({
  seconds_per_window: round(windows.reduce((sum, w) => sum + w.seconds, 0) / Math.max(1, windows.length)),
  cpu_percent: round(windows.reduce((sum, w) => sum + w.cpu_percent, 0) / Math.max(1, windows.length), 1),
  gc_ms_per_sec: round(windows.reduce((sum, w) => sum + w.gc_ms_per_sec, 0) / Math.max(1, windows.length)),
  refused_calls_per_window: Math.round(windows.reduce((sum, w) => sum + w.refused_calls, 0) / Math.max(1, windows.length)),
  admitted_results_per_window: Math.round(windows.reduce((sum, w) => sum + w.admitted_results, 0) / Math.max(1, windows.length)),
});

/**
 * What the flood cost the server per unit of work in the windows with it: its CPU over the results it
 * admitted (an upper bound: refusals are in it too), and how many refusals it had to answer a second.
 * Ignoring Retry-After on a connection holds that connection (refused-connections.ts), so the
 * refusals stay near one per connection per window instead of one per request.
 */
function serverCosts(together: ServerWindow[], seconds: number) {
  const sum = (pick: (w: ServerWindow) => number) => together.reduce((total, w) => total + pick(w), 0);
  const cpuMs = sum((w) => w.cpu_percent * 10 * seconds);
  const admitted = sum((w) => w.admitted_results);
  return {
    cpu_us_per_admitted_result_together: admitted > 0 ? round((cpuMs * 1000) / admitted) : null,
    refused_calls_per_sec: round(sum((w) => w.refused_calls) / (seconds * Math.max(1, together.length))),
  };
}

/** Latency figures of one set of quiet requests. */
function quietFigures(latencies: number[], refused: number) {
  return { quiet_p50_ms: round(percentile(latencies, 50)), quiet_p99_ms: round(percentile(latencies, 99)), quiet_sent: latencies.length, quiet_refused: refused };
}

/**
 * P2: the noisy-neighbour scenario on one server (fairness on or off). Solo and together windows
 * alternate for `rounds` rounds, so a slow spell of the shared machine lands on both.
 */
async function noisyNeighbour(
  fairness: boolean,
  seconds: number,
  rounds: number,
  options: { quietModel?: 'pooled' | 'hybrid'; noisyAgents?: 'ignore-retry-after' | 'honour-retry-after'; telemetryCells?: number } = {},
): Promise<Record<string, unknown>> {
  const quietModel = options.quietModel ?? 'pooled';
  const noisyAgents = options.noisyAgents ?? 'ignore-retry-after';
  const QUIET_RATE = 1000;
  const NOISY_RATE = 5000;
  const NOISY_BATCH = 500;
  const WARM_UP_SECONDS = 3;
  const bench = await startBenchServer({ fairness, connections: 4, ...(options.telemetryCells === undefined ? {} : { telemetryCells: options.telemetryCells }) });
  try {
    // Two quiet tenants with the same limits and agents, one per kind of window, so the server's
    // own latency counters (a window per tenant) hold one kind each.
    const quietSolo = await bench.tenant('quiet-solo', { ingest_rate_per_sec: QUIET_RATE, query_budget: 1000 }, quietModel);
    const quietTogether = await bench.tenant('quiet', { ingest_rate_per_sec: QUIET_RATE, query_budget: 1000 }, quietModel);
    // Twenty agents, a token each, as twenty real agents are (one token over 20 connections would pass the per-token bound).
    const noisyTenant = await bench.tenant('noisy', { ingest_rate_per_sec: NOISY_RATE, ingest_burst: NOISY_RATE, query_budget: 1000 }, 'pooled', 20);
    // 20x its own rate: 100,000 units/s offered as 200 batches of 500 a second from 20 agents.
    const noisy = await startNoisyAgents({
      url: bench.server.url,
      ca: readFileSync(join(bench.dataDir, 'tls', 'ca.crt'), 'utf8'),
      agentTokens: noisyTenant.agents,
      testIds: noisyTenant.testIds,
      senders: 20,
      batchesPerSecPerSender: 10,
      batchUnits: NOISY_BATCH,
      honourRetryAfter: noisyAgents === 'honour-retry-after',
    });
    try {
      // 10% of its rate, as 1 result every 10 ms: 800 requests a window, 2,400 a kind, so the p99 is
      // the 24th slowest (with 2 results every 20 ms it was the 12th, and moved with every hiccup).
      const QUIET_BATCH = 1;
      const QUIET_EVERY_MS = 10;
      const runQuiet = async (quiet: { agent: string; testIds: string[] }, latencies: number[], deadline: number): Promise<number> => {
        let refused = 0;
        let next = performance.now();
        while (performance.now() < deadline) {
          const response = await bench.ingest(quiet.agent, batchBody(randomUUID(), QUIET_BATCH, quiet.testIds), QUIET_BATCH);
          latencies.push(response.ms);
          if (response.status !== 202) refused++;
          next += QUIET_EVERY_MS;
          await sleep(Math.max(0, next - performance.now()));
        }
        return refused;
      };

      const solo: number[] = [];
      const together: number[] = [];
      const perRound: { solo_p99_ms: number; together_p99_ms: number; ratio: number }[] = [];
      let soloRefused = 0;
      let togetherRefused = 0;
      let attemptedBatches = 0;
      let admittedRateSum = 0;
      /** The noisy agents' own CPU (their process, every thread) in each together window. */
      const noisyCpu: number[] = [];
      const serverSolo: ServerWindow[] = [];
      const serverTogether: ServerWindow[] = [];
      // Warm-up, not measured: the server's code paths for both kinds of batch are compiled and both
      // quiet tenants' caches filled (as in any server that has run a while) before a window counts.
      await runQuiet(quietSolo, [], performance.now() + WARM_UP_SECONDS * 1000);
      await noisy.prepare(WARM_UP_SECONDS);
      await noisy.connect();
      const [, warmUp] = await Promise.all([runQuiet(quietTogether, [], performance.now() + WARM_UP_SECONDS * 1000), noisy.flood(WARM_UP_SECONDS, 0)]);
      attemptedBatches += warmUp.attemptedBatches;
      await settleDisk();
      for (let r = 0; r < rounds; r++) {
        const soloFrom = solo.length;
        const togetherFrom = together.length;
        await noisy.prepare(seconds);
        const soloWindow = await serverWindow(bench);
        soloRefused += await runQuiet(quietSolo, solo, performance.now() + seconds * 1000);
        serverSolo.push(await soloWindow());
        await noisy.connect();
        // The noisy tenant's burst is spent in its first second: its rate is measured after that.
        const togetherWindow = await serverWindow(bench);
        const [refused, flooded] = await Promise.all([runQuiet(quietTogether, together, performance.now() + seconds * 1000), noisy.flood(seconds, 1000)]);
        serverTogether.push(await togetherWindow());
        await settleDisk();
        togetherRefused += refused;
        attemptedBatches += flooded.attemptedBatches;
        noisyCpu.push(flooded.cpuPercent);
        admittedRateSum += flooded.admittedUnitsPerSec;
        const soloP99 = percentile(solo.slice(soloFrom), 99);
        const togetherP99 = percentile(together.slice(togetherFrom), 99);
        perRound.push({ solo_p99_ms: round(soloP99), together_p99_ms: round(togetherP99), ratio: round(togetherP99 / soloP99) });
      }
      const noisyOffered = ((attemptedBatches - warmUp.attemptedBatches) * NOISY_BATCH) / (seconds * rounds);
      const noisyAdmittedRate = admittedRateSum / rounds;

      // The noisy agents kept every refused batch: once the provider lifts the limit (live), they retry and nothing is lost.
      await bench.api('PUT', '/provider/v1/tenants/noisy/fairness', bench.operator, { ingest_rate_per_sec: 10_000_000, ingest_burst: 100_000_000, query_budget: 1000 });
      const retried = await noisy.retry();
      const counters = (await bench.api('GET', '/provider/v1/fairness', bench.operator)).json.items as { slug: string; latency_p99_ms: number | null }[];
      const serverP99 = (slug: string) => counters.find((item) => item.slug === slug)?.latency_p99_ms ?? Number.NaN;
      await bench.server.stop('SIGTERM');
      // Stored rows, counted by the results_ingested meter in the same transactions as the rows.
      const storage = SqliteStorage.open(sqliteLayout(bench.dataDir), deriveLedgerKey(Buffer.from(bench.deploymentKey, 'base64')));
      const record = await storage.tenants.bySlug('noisy');
      const meters = record === null ? [] : await storage.telemetry.usage(record, '2000-01-01', '2999-12-31');
      await storage.close();
      const storedRows = meters.filter((meter) => meter.meter === 'results_ingested').reduce((sum, meter) => sum + meter.value, 0);
      const soloFigures = quietFigures(solo, soloRefused);
      const togetherFigures = quietFigures(together, togetherRefused);
      return {
        fairness,
        quiet_isolation_model: quietModel,
        // Created in this order, quiet-solo, quiet and noisy are placed in cells 0, 1 and 2 of the default 4.
        telemetry_cells: options.telemetryCells ?? 'default',
        noisy_agents: noisyAgents,
        quiet_configured_units_per_sec: QUIET_RATE,
        noisy_configured_units_per_sec: NOISY_RATE,
        rounds,
        seconds_per_window: seconds,
        solo: soloFigures,
        together: {
          ...togetherFigures,
          noisy_offered_units_per_sec: Math.round(noisyOffered),
          noisy_admitted_units_per_sec: Math.round(noisyAdmittedRate),
          noisy_requests_per_sec: Math.round((attemptedBatches - warmUp.attemptedBatches) / (seconds * rounds)),
        },
        quiet_p99_together_over_solo: round(togetherFigures.quiet_p99_ms / soloFigures.quiet_p99_ms),
        // To compare with disk_floor.quiet_p99_added_ms: what sharing the disk alone adds.
        quiet_p99_added_ms: round(togetherFigures.quiet_p99_ms - soloFigures.quiet_p99_ms),
        quiet_p99_per_round: perRound,
        // The same, as the server measures it (admission to acknowledgement), without the load generator's own delays.
        quiet_server_p99_ms: { solo: round(serverP99('quiet-solo')), together: round(serverP99('quiet')) },
        quiet_server_p99_together_over_solo: round(serverP99('quiet') / serverP99('quiet-solo')),
        // What the noisy tenant costs the server beyond the writer: CPU and GC in each kind of window.
        server_main_thread: { solo: meanOf(serverSolo), together: meanOf(serverTogether), ...serverCosts(serverTogether, seconds) },
        // The load generator shares the machine's 2 cores: what it took of them.
        noisy_agents_cpu_percent: round(noisyCpu.reduce((sum, value) => sum + value, 0) / Math.max(1, noisyCpu.length), 1),
        noisy_admitted_over_configured: round(noisyAdmittedRate / NOISY_RATE),
        // The same from the server's counters over its whole together windows, less each window's
        // burst and the quiet tenant's results. The agents' own figure counts acknowledgements after
        // the first second, and held requests are acknowledged after the window's end: it reads high.
        noisy_admitted_over_configured_by_server: round(
          serverTogether.reduce((sum, w) => sum + (w.admitted_results - NOISY_RATE - together.length / Math.max(1, rounds)) / w.seconds, 0) / Math.max(1, serverTogether.length) / NOISY_RATE,
        ),
        noisy_results_attempted: attemptedBatches * NOISY_BATCH,
        noisy_results_stored_after_retry: storedRows,
        noisy_results_lost: attemptedBatches * NOISY_BATCH - storedRows,
        noisy_retry_requests: retried.requests,
        counters,
      };
    } finally {
      await noisy.stop();
    }
  } finally {
    await bench.close();
  }
}

/**
 * Six rounds of 4 s each way (2,400 quiet requests per kind). With three rounds of 8 s, the first
 * solo window and the last together window were the slowest in run after run (the machine's own
 * drift, seen with the noisy agents idle too); shorter alternating windows spread such drift over
 * both kinds. Each together window starts with the noisy tenant's full burst, six times instead of three.
 */
export async function noisyNeighbourFigures(seconds = 4, rounds = 6): Promise<Record<string, unknown>> {
  return {
    // What the same disk adds to a quiet writer's p99 beside a noisy one with no server at all.
    disk_floor: await diskFloor(seconds, rounds),
    // The same with the server's writer threads and row shapes, two tenants in two cells, no server.
    storage_floor: await storageFloor(seconds, rounds),
    // The noisy tenant's agents ignore Retry-After and keep sending 200 batches a second.
    with_fairness: await noisyNeighbour(true, seconds, rounds),
    without_fairness: await noisyNeighbour(false, seconds, rounds),
    // Both pooled tenants in one telemetry file (one cell): the quiet tenant's commit waits for the
    // noisy one's in flight, fsync included. With the default cells they are in different files.
    with_fairness_quiet_same_cell: await noisyNeighbour(true, seconds, rounds, { telemetryCells: 1 }),
    // The quiet tenant with its own telemetry store (hybrid): its commits never wait for the pool's.
    with_fairness_quiet_hybrid: await noisyNeighbour(true, seconds, rounds, { quietModel: 'hybrid' }),
    // The noisy tenant's agents wait out Retry-After, as well-behaved agents do: refused agents are
    // given successive turns, so they come back one after another instead of all at once.
    with_fairness_agents_honour_retry_after: await noisyNeighbour(true, seconds, rounds, { noisyAgents: 'honour-retry-after' }),
  };
}
