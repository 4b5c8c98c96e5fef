import { describe, expect, it } from 'vitest';
import { simulateInProcess as simulate } from './cli-in-process';

describe('simulate CLI: help and bad flags', () => {
  it('answers --help on every command with exit 0', async () => {
    for (const command of [[], ['noisy-neighbor'], ['scim-sync'], ['break-glass-drill'], ['isolation-probe'], ['demo'], ['verify-evidence'], ['probe']]) {
      const answer = await simulate(...command, '--help');
      expect(answer.code, command.join(' ')).toBe(0);
      expect(answer.stdout, command.join(' ')).toMatch(/^Usage: simulate/);
      expect(answer.stderr).toBe('');
    }
    const noisy = await simulate('noisy-neighbor', '--help');
    for (const flag of ['--control-plane', '--ca', '--operator', '--password-env', '--totp-secret-env', '--seed', '--tenants', '--agents', '--duration', '--json', '--noisy-factor', '--honour-retry-after', '--rate', '--rounds']) {
      expect(noisy.stdout).toContain(flag);
    }
    expect((await simulate('--help')).stdout).toContain('Exit codes');
    const probe = await simulate('isolation-probe', '--help');
    for (const flag of ['--evidence', '--signing-key', '--tenants', '--seed', '--json']) expect(probe.stdout).toContain(flag);
    const demo = await simulate('demo', '--help');
    expect(demo.stdout).toContain('--duration');
    expect(demo.stdout).not.toContain('--tenants');
  });

  it('refuses a bad flag with one line naming it, exit 2, before anything starts', async () => {
    const cases: [string[], RegExp][] = [
      [['noisy-neighbor', '--tenants', 'many'], /--tenants.*a whole number from 1/],
      [['noisy-neighbor', '--agents', '0'], /--agents.*a whole number from 1/],
      [['noisy-neighbor', '--duration', 'forever'], /--duration.*a duration/],
      [['noisy-neighbor', '--honour-retry-after=perhaps'], /--honour-retry-after.*true or false/],
      [['noisy-neighbor', '--noisy-factor', '0.5'], /--noisy-factor.*a number from 1/],
      [['noisy-neighbor', '--tenants', '1'], /at least 2 tenants/],
      [['noisy-neighbor', '--duration', '1s', '--rounds', '3'], /each window needs at least 500ms/],
      [['scim-sync', '--bogus'], /unknown option '--bogus'/],
      [['scim-sync', '--seed'], /--seed.*argument missing/],
      [['scim-sync', '--control-plane', 'http://127.0.0.1:1'], /--control-plane.*https/],
      [['scim-sync', '--control-plane', 'https://127.0.0.1:1'], /--ca <file> is required/],
      [['scim-sync', '--control-plane', 'https://127.0.0.1:1', '--ca', '/nonexistent/ca.crt', '--operator', 'alice', '--password-env', 'SIM_UNSET_PASSWORD', '--totp-secret-env', 'SIM_UNSET_TOTP'], /--password-env SIM_UNSET_PASSWORD: that environment variable is not set/],
      [['scim-sync', '--password-env', 'my secret password'], /NAME of an environment variable/],
      [['scim-sync', '--ca', 'ca.crt'], /--ca and --operator go with --control-plane/],
      [['break-glass-drill', '--tenants', '1'], /at least 2 tenants/],
      [['teleport'], /unknown command 'teleport'/],
      [['isolation-probe', '--tenants', '1'], /isolation-probe needs at least 2 tenants/],
      [['isolation-probe', '--signing-key', 'key.pem'], /--signing-key goes with --evidence/],
      [['isolation-probe', '--evidence', '/nonexistent-folder/evidence.json'], /--evidence \/nonexistent-folder\/evidence.json: cannot write there/],
      [['isolation-probe', '--evidence', 'e.json', '--signing-key', '/nonexistent/key.pem'], /--signing-key \/nonexistent\/key.pem: cannot read it/],
      [['isolation-probe', '--control-plane', 'https://cp.example:8443'], /loopback control planes only/],
      [['demo', '--duration', '1s'], /at least 2s of load/],
      [['demo', '--tenants', '3'], /unknown option '--tenants'/],
      [['verify-evidence', 'evidence.json'], /required option '--public-key <pem>'/],
      [['verify-evidence', '--public-key', 'key.pem'], /missing required argument 'file'/],
      [['scim-sync', '--json', '/nonexistent-folder/report.json'], /--json \/nonexistent-folder\/report.json: cannot write there/],
    ];
    for (const [args, pattern] of cases) {
      const answer = await simulate(...args);
      expect(answer.code, args.join(' ')).toBe(2);
      const lines = answer.stderr.split('\n').filter((line) => line !== '');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0], args.join(' ')).toMatch(/^simulate: /);
      expect(lines[0], args.join(' ')).toMatch(pattern);
      expect(answer.stdout, args.join(' ')).toBe('');
    }
  });
});
