import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedElectronVersion, loadRunner, offline, readAllowlist, repoRoot, review, runnersGot, scan, type Allowlist, type Finding } from './electronegativity';

/** An app that gets everything wrong that the console gets right. */
const careless = `
const { app, BrowserWindow } = require('electron');
app.whenReady().then(() => {
  const window = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });
  window.loadURL('http://example.com/');
});
`;

describe('Electronegativity, offline', () => {
  let dir: string;
  let findings: Finding[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-eneg-'));
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'main.js'), careless);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'careless', devDependencies: { electron: installedElectronVersion() } }));
    findings = await scan(dir, { electronVersion: installedElectronVersion() });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs with got stubbed, so it never waits on the network', () => {
    loadRunner();
    const got = runnersGot() as () => Promise<unknown>;
    expect(typeof got).toBe('function');
    const before = offline.attempts;
    return expect(got()).rejects.toThrow(/offline/).then(() => {
      expect(offline.attempts).toBe(before + 1);
    });
  });

  it('finds what a careless app gets wrong, with the installed Electron version', () => {
    const checks = new Set(findings.map((finding) => finding.check));
    for (const check of ['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'WEB_SECURITY_JS_CHECK', 'HTTP_RESOURCES_JS_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK', 'CSP_GLOBAL_CHECK']) {
      expect(checks, check).toContain(check);
    }
    expect(findings.find((finding) => finding.check === 'CONTEXT_ISOLATION_JS_CHECK')).toMatchObject({ file: join('app', 'main.js'), severity: 'HIGH' });
  });

  it('fails the review on a finding of medium or higher that the allowlist does not explain', () => {
    const result = review(findings, { entries: [] });
    expect(result.unexplained.map((finding) => finding.check)).toContain('CONTEXT_ISOLATION_JS_CHECK');
    expect(result.unexplained.every((finding) => finding.severity === 'MEDIUM' || finding.severity === 'HIGH')).toBe(true);
  });

  it('passes an explained finding with its reason, and reports an entry that explains nothing as stale', () => {
    const allowlist: Allowlist = {
      entries: [
        { check: 'CONTEXT_ISOLATION_JS_CHECK', file: join('app', 'main.js'), reason: 'x'.repeat(40), reviewed: '2026-01-01' },
        { check: 'PRELOAD_JS_CHECK', file: 'gone.js', reason: 'y'.repeat(40), reviewed: '2026-01-01' },
      ],
    };
    const result = review(findings, allowlist);
    expect(result.unexplained.map((finding) => finding.check)).not.toContain('CONTEXT_ISOLATION_JS_CHECK');
    expect(result.explained.map((entry) => entry.finding.check)).toContain('CONTEXT_ISOLATION_JS_CHECK');
    expect(result.stale.map((entry) => entry.file)).toEqual(['gone.js']);
  });
});

describe('the reviewed allowlist', () => {
  it('parses, and every entry gives a reason and a review date', () => {
    const allowlist = readAllowlist(join(repoRoot, 'security', 'electronegativity-allowlist.json'));
    for (const entry of allowlist.entries) {
      expect(entry.reason.length).toBeGreaterThanOrEqual(40);
    }
  });
});
