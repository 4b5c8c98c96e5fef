// `npm run bench`: figures as JSON in bench-results/. Compare ratios within one run: the machine is shared.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { seal } from '../../control-plane/crypto/seal';
import { startControlPlane } from '../helpers/control-plane-harness';
import { measure } from './measure';
import { merkleFigures } from './merkle-bench';
import { ledgerFigures, listFigures, provisioningFigures } from './provider-bench';
import { rlsFigures } from './rls-bench';
import { ingestEngines, ingestThroughput, noisyNeighbourFigures } from './ingest-bench';
import { telemetryReadFigures } from './telemetry-read-bench';
import { postgresReadFigures } from './postgres-read-bench';
import { simulatorFleetFigures, simulatorNoisyNeighborFigures } from './simulator-bench';
import { consoleFirstScreenFigures } from './console-first-screen';
import { meteringOverheadFigures, usageExportFigures } from './usage-bench';
import { gauntletFigures } from './gauntlet-bench';
import { agentsFleetFigures, fleetOptionsFromEnv } from './fleet-bench';
import { refusalBodyCostFigures } from './refusal-body-cost';

const outDir = resolve(import.meta.dirname, '..', '..', 'bench-results');

async function sealing() {
  const key = randomBytes(32);
  const row = Buffer.from(JSON.stringify({ target: 'https://service.example/health', error: null, extra: 'x'.repeat(40) }));
  const batch = Buffer.concat(Array.from({ length: 500 }, () => row));
  const perRow = await measure('seal one row', () => seal(key, row, 'bench'));
  const perBatch = await measure('seal one 500-row batch', () => seal(key, batch, 'bench'));
  return {
    per_row: perRow,
    per_batch_of_500: perBatch,
    // How many rows per second each strategy can seal.
    rows_per_sec_sealing_each_row: perRow.ops_per_sec,
    rows_per_sec_sealing_per_batch: perBatch.ops_per_sec * 500,
  };
}

async function controlPlaneRoundTrips() {
  const controlPlane = await startControlPlane();
  const agent = new Agent({ connect: { ca: controlPlane.caPem }, pipelining: 1, connections: 1 });
  try {
    const injected = await measure('GET /healthz via inject()', () => controlPlane.app.inject({ method: 'GET', url: '/healthz' }));
    const https = await measure('GET /healthz over HTTPS (keep-alive)', async () => {
      const response = await request(`${controlPlane.url}/healthz`, { dispatcher: agent });
      await response.body.text();
    });
    // A new username each time: the full scrypt check runs (a repeated one would be answered by the lock-out).
    let attempt = 0;
    const login = await measure(
      'POST /provider/v1/auth/login refused (full scrypt check)',
      () => controlPlane.app.inject({ method: 'POST', url: '/provider/v1/auth/login', payload: { username: `bench-${attempt++}`, password: 'x'.repeat(16), totp: '123456' } }),
      2_000,
    );
    return { healthz_inject: injected, healthz_https: https, https_over_inject: Math.round((injected.ops_per_sec / https.ops_per_sec) * 100) / 100, login_refusal: login };
  } finally {
    await agent.close();
    await controlPlane.close();
  }
}

// `npm run bench -- --only=ledger,list` runs a subset.
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
const suites: Record<string, () => Promise<unknown>> = {
  sealing,
  control_plane: controlPlaneRoundTrips,
  provisioning: () => provisioningFigures(),
  tenant_list: () => listFigures(),
  ledger: () => ledgerFigures(),
  merkle: merkleFigures,
  postgres_rls: () => rlsFigures(),
  ingest_p1: () => ingestThroughput(),
  // #22: a test's summary over a day and a page of 500, chunk layout against row-per-result.
  telemetry_reads: () => Promise.resolve(telemetryReadFigures()),
  // The same reads on PostgreSQL's chunks, through the store as the app role.
  telemetry_reads_postgres: () => postgresReadFigures(),
  noisy_neighbour_p2: () => noisyNeighbourFigures(),
  // 1,000 agents, a token and a connection each, for 60 s on loopback, in rounds against one server (#23).
  agents_1000: () => agentsFleetFigures(fleetOptionsFromEnv(process.env)),
  // What a refused request's unread body costs the server, drained on keep-alive or closed (#23).
  refusal_body_cost: () => refusalBodyCostFigures(),
  ingest_postgres_vs_sqlite: () => ingestEngines(),
  simulator_fleet: () => simulatorFleetFigures(),
  simulator_noisy_neighbor: () => simulatorNoisyNeighborFigures(),
  console_first_screen: () => consoleFirstScreenFigures(),
  usage_export: () => usageExportFigures(),
  ingest_metering_overhead: () => Promise.resolve(meteringOverheadFigures()),
  // The security gauntlet at its large size (`npm run bench -- --only=gauntlet`).
  gauntlet: () => gauntletFigures(),
};
const started = new Date();
const figures: Record<string, unknown> = { started_at: started.toISOString(), node: process.version };
for (const [name, run] of Object.entries(suites)) {
  if (only && !only.includes(name)) {
    continue;
  }
  process.stderr.write(`bench: ${name}...\n`);
  const suiteStarted = performance.now();
  figures[name] = await run();
  process.stderr.write(`bench: ${name} done in ${Math.round((performance.now() - suiteStarted) / 1000)} s\n`);
}
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(figures, null, 2) + '\n');
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(figures, null, 2) + '\n');
process.stdout.write(JSON.stringify(figures, null, 2) + `\nwritten to ${file}\n`);
