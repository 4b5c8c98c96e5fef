import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../simulator/connection/api-client';
import { startEmbeddedControlPlane, type EmbeddedControlPlane } from '../../simulator/connection/embedded-control-plane';
import { signInOperator } from '../../simulator/connection/operator-session';
import { loopbackTls } from '../../simulator/idp/loopback-tls';
import type { ScenarioResult } from '../../simulator/scenarios/result';
import { exitWithParentArgs } from '../helpers/cli-process';

const repoRoot = resolve(import.meta.dirname, '..', '..');

function simulate(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BULKHEAD_') && !name.startsWith('SIM_')));
  const child = spawn(process.execPath, ['--import', 'tsx', ...exitWithParentArgs, 'simulator/cli.ts', ...args], { cwd: repoRoot, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((done, reject) => {
    child.once('error', reject);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** stderr without oidc-provider's Node-version notice (it runs fine on Node 20). */
const meaningful = (stderr: string) => stderr.split('\n').filter((line) => line.trim() !== '' && !line.includes('oidc-provider WARNING'));

/**
 * The CLI as people and scripts use it: --help everywhere, one line and exit 2 for a bad flag, a
 * remote control plane (started as a separate process) with its CA pinned, a wrong CA refused with
 * one clear line, and the same seed giving the same tenants and order of events on two control planes.
 */
describe('simulate CLI', () => {
  let remote: EmbeddedControlPlane;
  let dir: string;
  let pending: { code: number | null; stdout: string; stderr: string };
  const env = () => ({ SIM_OPERATOR_PASSWORD: remote.operator.password, SIM_OPERATOR_TOTP: remote.operator.totpSecret });
  const remoteFlags = () => ['--control-plane', remote.target.url, '--ca', join(dir, 'ca.crt'), '--operator', remote.operator.username, '--password-env', 'SIM_OPERATOR_PASSWORD', '--totp-secret-env', 'SIM_OPERATOR_TOTP'];

  beforeAll(async () => {
    // The remote case: a control plane in a process of its own, known to the CLI only by URL and CA.
    remote = await startEmbeddedControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-sim-cli-'));
    writeFileSync(join(dir, 'ca.crt'), remote.target.caPem);
    writeFileSync(join(dir, 'other-ca.crt'), (await loopbackTls('not the control plane')).caPem);
    // Its admin's enrollment is pending (init): the CLI refuses to finish a person's enrollment...
    pending = await simulate(['scim-sync', ...remoteFlags(), '--tenants', '2'], env());
    // ...which the admin then finishes, as at the console, with a first code.
    const client = new ApiClient(remote.target);
    try {
      await signInOperator(client, { ...remote.operator, mayConfirmEnrollment: true });
    } finally {
      await client.close();
    }
    // That spent this 30 s step's code; the runs below sign in with the next one.
    await new Promise((done) => setTimeout(done, 30_000 - (Date.now() % 30_000) + 100));
  }, 120_000);

  afterAll(async () => {
    await remote.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('as a process: --help exits 0, a bad flag is one line and exit 2 (every command and flag: simulator/cli-program.test.ts)', async () => {
    const [help, bad] = await Promise.all([simulate(['noisy-neighbor', '--help']), simulate(['noisy-neighbor', '--tenants', 'many'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: simulate noisy-neighbor/);
    expect(bad.code).toBe(2);
    expect(meaningful(bad.stderr)).toEqual([expect.stringMatching(/^simulate: .*--tenants.*a whole number/) as unknown]);
  });

  it("refuses a remote operator whose TOTP enrollment is pending, in one clear line (exit 3)", () => {
    expect(pending.code).toBe(3);
    const lines = meaningful(pending.stderr).filter((line) => !line.startsWith('simulate: seed') && !line.startsWith('•'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^simulate: operator simulator-admin has not finished its TOTP enrollment on https:\/\/127\.0\.0\.1:\d+: sign in once at the console/);
  });

  it('runs against a remote control plane with its CA pinned, and the same seed gives the same tenants and events as on an embedded one', async () => {
    const [onRemote, onEmbedded] = await Promise.all([
      simulate(['scim-sync', ...remoteFlags(), '--seed', '4242', '--tenants', '2', '--json', join(dir, 'remote.json')], env()),
      simulate(['scim-sync', '--seed', '4242', '--tenants', '2', '--json', '-']),
    ]);
    expect(onRemote.code, onRemote.stderr).toBe(0);
    expect(onEmbedded.code, onEmbedded.stderr).toBe(0);
    const remoteReport = JSON.parse(readFileSync(join(dir, 'remote.json'), 'utf8')) as ScenarioResult;
    // `--json -`: the report on stdout, the table on stderr.
    const embeddedReport = JSON.parse(onEmbedded.stdout) as ScenarioResult;
    expect(onEmbedded.stderr).toMatch(/OK: \d+ invariants hold\./);
    expect(remoteReport.control_plane).toEqual({ url: remote.target.url, kind: 'remote' });
    expect(embeddedReport.control_plane.kind).toBe('embedded');
    expect(remoteReport.events.length).toBeGreaterThan(20);
    expect(remoteReport.events).toEqual(embeddedReport.events);
    expect(remoteReport.table.rows.map((row) => row[0])).toEqual(embeddedReport.table.rows.map((row) => row[0]));
    // The final table on stdout; the operator's secrets nowhere in the output.
    expect(onRemote.stdout).toMatch(/tenant .*model.*people/);
    expect(onRemote.stdout).toMatch(/OK: \d+ invariants hold\./);
    for (const secret of [remote.operator.password, remote.operator.totpSecret]) {
      expect(onRemote.stdout + onRemote.stderr).not.toContain(secret);
      expect(readFileSync(join(dir, 'remote.json'), 'utf8')).not.toContain(secret);
    }
  }, 120_000);

  it('refuses a control plane whose certificate does not chain to the given CA, in one clear line', async () => {
    const flags = remoteFlags();
    flags[flags.indexOf('--ca') + 1] = join(dir, 'other-ca.crt');
    const answer = await simulate(['scim-sync', ...flags], env());
    expect(answer.code).toBe(3);
    const lines = meaningful(answer.stderr).filter((line) => !line.startsWith('simulate: seed') && !line.startsWith('•'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^simulate: refused https:\/\/127\.0\.0\.1:\d+: its TLS certificate does not chain to the pinned CA/);
  });

  it('isolation-probe on the remote control plane (CA pinned) writes signed evidence, and verify-evidence checks it as a process', async () => {
    const evidence = join(dir, 'evidence.json');
    const probe = await simulate(['isolation-probe', ...remoteFlags(), '--seed', '4343', '--tenants', '2', '--agents', '1', '--evidence', evidence, '--json', join(dir, 'probe.json')], env());
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout).toMatch(/GET \/v1\/telemetry\/results\s*│\s*tenant-or-grant/);
    expect(probe.stdout).toMatch(/Leaks: 0\./);
    expect(probe.stdout).toMatch(/^Evidence: .*evidence\.json, signed with Ed25519/m);
    expect(probe.stdout).toContain('-----BEGIN PUBLIC KEY-----');
    const report = JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8')) as ScenarioResult;
    expect(report.control_plane).toEqual({ url: remote.target.url, kind: 'remote' });
    const verified = await simulate(['verify-evidence', evidence, '--public-key', join(dir, 'evidence.pub.pem')]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^valid: .* 0 leaks/);
    writeFileSync(evidence, readFileSync(evidence, 'utf8').replace('"leaks": 0', '"leaks": 1'));
    const tampered = await simulate(['verify-evidence', evidence, '--public-key', join(dir, 'evidence.pub.pem')]);
    expect(tampered.code).toBe(1);
    expect(meaningful(tampered.stderr)).toEqual([expect.stringMatching(/is NOT valid: the signature does not match the content/) as unknown]);
    for (const secret of [remote.operator.password, remote.operator.totpSecret]) expect(probe.stdout + probe.stderr + readFileSync(evidence, 'utf8')).not.toContain(secret);
  }, 180_000);
});
