// Electronegativity (Doyensec's static review of Electron apps) over the console's source and its
// build, offline. Its CLI does not run here (it needs commander 2; the tree hoists 14), so its
// programmatic runner, the package's main, is called directly. Two things keep it off the network:
// the Electron version is given (the CLI's `-e`), and `got`, through which it fetches translations
// and Electron's release list, is replaced in require's cache by a stub that refuses at once.
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import { z } from 'zod';

const require = createRequire(import.meta.url);

export type Severity = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH';
const severityRank: Record<Severity, number> = { INFORMATIONAL: 0, LOW: 1, MEDIUM: 2, HIGH: 3 };

/** One finding, with its file relative to the scanned root (`src-main/app/main.ts`, `out/main/index.js`). */
export type Finding = { check: string; file: string; line: number; severity: Severity; confidence: string; manualReview: boolean; description: string };

type RawIssue = {
  id: string;
  file: string;
  location: { line: number };
  severity: { name: Severity };
  confidence: { name: string };
  manualReview?: boolean;
  description: string;
};
type RunnerResult = { issues: RawIssue[]; errors: { file: string; message: string; tolerable: boolean }[]; atomicChecks: number; globalChecks: number };
type Runner = (options: Record<string, unknown>) => Promise<RunnerResult>;

/** Every network attempt the runner made (each refused by the stub). */
export const offline = { attempts: 0 };

let runner: Runner | null = null;

/** Loads the runner with `got` stubbed out; idempotent. */
export function loadRunner(): Runner {
  if (runner) {
    return runner;
  }
  const runnerPath = require.resolve('@doyensec/electronegativity');
  const gotPath = createRequire(runnerPath).resolve('got');
  const refuse = (): Promise<never> => {
    offline.attempts += 1;
    return Promise.reject(new Error('Electronegativity runs offline here.'));
  };
  const stub = Object.assign(refuse, { head: refuse, get: refuse });
  const module = new Module(gotPath);
  module.filename = gotPath;
  module.loaded = true;
  module.exports = stub;
  require.cache[gotPath] = module;
  runner = require(runnerPath) as Runner;
  return runner;
}

/** The `got` the runner's modules get when they require it: the stub, once loadRunner has run. */
export function runnersGot(): unknown {
  const fromRunner = createRequire(require.resolve('@doyensec/electronegativity'));
  return fromRunner(fromRunner.resolve('got'));
}

/** The installed Electron's version (41.x): what the app ships with, passed as the CLI's `-e`. */
export function installedElectronVersion(): string {
  return (require('electron/package.json') as { version: string }).version;
}

/**
 * Scans `input` (a directory). A file the parser cannot read is an error, not a pass: a scan that
 * skipped the renderer bundle would say nothing about it.
 */
export async function scan(input: string, options: { electronVersion: string; sarif?: string }): Promise<Finding[]> {
  const run = loadRunner();
  const quiet = console.log;
  // The runner prints a line when its translation fetch is refused; nothing else it logs matters here.
  console.log = () => undefined;
  let result: RunnerResult;
  try {
    result = await run({
      input,
      electronVersionOverride: options.electronVersion,
      // The one check that needs the network (Electron's release list); the version is pinned by package-lock instead.
      excludeFromScan: ['availablesecurityfixesglobalcheck'],
      isRelative: true,
      ...(options.sarif ? { output: options.sarif, isSarif: true } : {}),
    });
  } finally {
    console.log = quiet;
  }
  const unreadable = result.errors.filter((error) => !error.tolerable);
  if (unreadable.length > 0) {
    throw new Error(`Electronegativity could not parse: ${unreadable.map((error) => `${relative(input, error.file)} (${error.message})`).join('; ')}`);
  }
  return result.issues.map((issue) => ({
    check: issue.id,
    file: issue.file,
    line: issue.location.line,
    severity: issue.severity.name,
    confidence: issue.confidence.name,
    manualReview: issue.manualReview === true,
    description: issue.description,
  }));
}

/** The console's source in one tree (its global checks, navigation and CSP, look across files). */
export function stageSource(repoRoot: string, into: string): string {
  mkdirSync(into, { recursive: true });
  for (const entry of ['src-main', 'src-preload', 'src-renderer', 'package.json']) {
    cpSync(join(repoRoot, entry), join(into, entry), { recursive: true, filter: (path) => !/\.test\.tsx?$/.test(path) && !path.includes(join('src', 'testing')) });
  }
  return into;
}

/**
 * The build (out/) as shipped, with its syntax lowered to ES2020 by esbuild: the runner's scope
 * analysis predates class private fields (react-query's bundle has them) and would skip the file.
 * Lowering changes syntax only; every call and option the checks look for stays as built.
 */
export function stageBuild(repoRoot: string, into: string): string {
  mkdirSync(into, { recursive: true });
  cpSync(join(repoRoot, 'out'), join(into, 'out'), { recursive: true, filter: (path) => !path.endsWith('.map') });
  cpSync(join(repoRoot, 'package.json'), join(into, 'package.json'));
  for (const file of walk(join(into, 'out'))) {
    if (/\.(c?js|mjs)$/.test(file)) {
      const code = readFileSync(file, 'utf8');
      writeFileSync(file, transformSync(code, { target: 'es2020', loader: 'js', format: file.endsWith('.cjs') ? 'cjs' : 'esm' }).code);
    }
  }
  return into;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      yield* walk(path);
    } else {
      yield path;
    }
  }
}

export const AllowlistEntry = z.strictObject({
  check: z.string().regex(/^[A-Z_]+$/),
  file: z.string().min(1),
  reason: z.string().min(40, 'a reason a reviewer can check, not a shrug'),
  reviewed: z.iso.date(),
});
export const Allowlist = z.strictObject({ $comment: z.string().optional(), entries: z.array(AllowlistEntry) });
export type Allowlist = z.infer<typeof Allowlist>;

export function readAllowlist(path: string): Allowlist {
  return Allowlist.parse(JSON.parse(readFileSync(path, 'utf8')));
}

export type Review = {
  /** Medium or higher, not explained by the allowlist: each fails the review. */
  unexplained: Finding[];
  /** Medium or higher, explained by an entry. */
  explained: { finding: Finding; reason: string }[];
  /** Below medium: reported, never failing. */
  minor: Finding[];
  /** Entries that matched nothing: the allowlist must not outlive what it explains. */
  stale: Allowlist['entries'];
};

/** Sorts findings against the allowlist; the review passes when `unexplained` and `stale` are empty. */
export function review(findings: readonly Finding[], allowlist: Allowlist): Review {
  const used = new Set<number>();
  const result: Review = { unexplained: [], explained: [], minor: [], stale: [] };
  for (const finding of findings) {
    if (severityRank[finding.severity] < severityRank.MEDIUM) {
      result.minor.push(finding);
      continue;
    }
    const index = allowlist.entries.findIndex((entry) => entry.check === finding.check && entry.file === finding.file);
    const entry = allowlist.entries[index];
    if (entry) {
      used.add(index);
      result.explained.push({ finding, reason: entry.reason });
    } else {
      result.unexplained.push(finding);
    }
  }
  result.stale = allowlist.entries.filter((_entry, index) => !used.has(index));
  return result;
}

export function describeFinding(finding: Finding): string {
  return `${finding.severity} ${finding.check} ${finding.file}:${finding.line}${finding.manualReview ? ' (manual review)' : ''}: ${finding.description}`;
}

export const repoRoot = resolve(import.meta.dirname, '..', '..');
