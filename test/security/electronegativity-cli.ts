// `npm run test:security`: Electronegativity over the console's source and build (run `npm run
// build` first), offline, with the installed Electron's version. Fails on any finding of medium or
// higher severity that security/electronegativity-allowlist.json does not explain, and on an
// allowlist entry that explains nothing any more. SARIF reports land in test-results/electronegativity/.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFinding, installedElectronVersion, offline, readAllowlist, repoRoot, review, scan, stageBuild, stageSource, type Finding } from './electronegativity';

const reports = join(repoRoot, 'test-results', 'electronegativity');
const allowlistPath = join(repoRoot, 'security', 'electronegativity-allowlist.json');

if (!existsSync(join(repoRoot, 'out', 'main', 'index.js')) || !existsSync(join(repoRoot, 'out', 'renderer', 'index.html'))) {
  process.stderr.write('test:security: no build in out/: run `npm run build` first (npm test does).\n');
  process.exit(1);
}

const electronVersion = installedElectronVersion();
const staging = mkdtempSync(join(tmpdir(), 'bulkhead-electronegativity-'));
mkdirSync(reports, { recursive: true });
const started = performance.now();
let findings: Finding[];
try {
  const source = await scan(stageSource(repoRoot, join(staging, 'source')), { electronVersion, sarif: join(reports, 'source.sarif') });
  const build = await scan(stageBuild(repoRoot, join(staging, 'build')), { electronVersion, sarif: join(reports, 'build.sarif') });
  findings = [...source, ...build];
} finally {
  rmSync(staging, { recursive: true, force: true });
}

const result = review(findings, readAllowlist(allowlistPath));
writeFileSync(join(reports, 'review.json'), JSON.stringify({ electron: electronVersion, ...result }, null, 2) + '\n');

const lines = [`test:security: Electronegativity on the source and the build, Electron ${electronVersion}, offline (${offline.attempts} network attempts refused), ${Math.round(performance.now() - started)} ms`];
for (const { finding, reason } of result.explained) {
  lines.push(`  allowed  ${describeFinding(finding)}\n           reason: ${reason}`);
}
for (const finding of result.minor) {
  lines.push(`  minor    ${describeFinding(finding)}`);
}
for (const finding of result.unexplained) {
  lines.push(`  FAIL     ${describeFinding(finding)}`);
}
for (const entry of result.stale) {
  lines.push(`  STALE    allowlist entry ${entry.check} ${entry.file} matches no finding: remove it (or fix its path)`);
}
const failed = result.unexplained.length + result.stale.length;
lines.push(`${result.explained.length + result.minor.length} passed, ${failed} failed`);
process.stdout.write(lines.join('\n') + '\n');
process.exit(failed === 0 ? 0 : 1);
