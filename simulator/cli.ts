#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { probeControlPlane } from './control-plane-probe';

const program = new Command()
  .name('simulate')
  .description('Bulkhead simulator: fake tenants, agents, IdPs and noisy ingest against any control plane, through its public API.')
  .showHelpAfterError();

program
  .command('probe')
  .description('Check that a control plane answers (health and readiness) over HTTPS, trusting only its CA.')
  .requiredOption('--url <url>', 'control plane URL, e.g. https://127.0.0.1:8443')
  .requiredOption('--ca <file>', "the control plane's CA certificate, e.g. <data>/tls/ca.crt")
  .action(async (options: { url: string; ca: string }) => {
    const result = await probeControlPlane(options.url, readFileSync(options.ca, 'utf8'));
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    const ok = !('error' in result.healthz) && result.healthz.status === 200 && !('error' in result.readyz) && result.readyz.status === 200;
    process.exitCode = ok ? 0 : 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`simulate: ${error instanceof Error ? error.message : 'failed'}\n`);
  process.exit(1);
});
