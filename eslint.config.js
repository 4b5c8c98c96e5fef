// Flat config: type-aware typescript-eslint rules plus the layering of ARCHITECTURE.md,
// enforced per folder with no-restricted-imports (see test/lint/layering.test.ts).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
const ours = (...folders) => folders.flatMap((folder) => [`**/${folder}`, `**/${folder}/**`, `${folder}/**`]);

/**
 * One layering rule: `message` explains which layer may import what. Flat config gives a file the
 * last matching setting of a rule, so every layer states its whole rule; tests (`*.test.ts`) get the
 * folder's rule without the test-import ban, from a second entry.
 */
const TESTS = ['**/*.test.ts', '**/*.test.tsx'];
const layer = (files, { paths = [], patterns = [], testPatterns = patterns }) => [
  {
    files,
    ignores: TESTS,
    rules: { 'no-restricted-imports': ['error', { paths, patterns: [...patterns, onlyTestsImportTest] }] },
  },
  {
    files: files.filter((glob) => glob.endsWith('/**')).flatMap((glob) => TESTS.map((test) => `${glob}/${test.slice(3)}`)),
    rules: { 'no-restricted-imports': ['error', { paths, patterns: testPatterns }] },
  },
];

/** Fixtures and helpers are for tests: nothing else imports test/. */
const onlyTestsImportTest = { group: ['**/test/**', 'test/**'], message: 'Only tests import test/ (fixtures and helpers live there).' };

const electronOnlyInApp = { name: 'electron', message: 'Only src-main/app/ and src-preload/ import electron (ARCHITECTURE.md layering).' };

const controlPlaneOutside = { group: ours('src-main', 'src-preload', 'src-renderer', 'src-portal', 'simulator'), message: 'control-plane/ imports contracts/ and Node only.' };
const onlyHttpImportsHttp = {
  group: ['**/http', '**/http/**'],
  message: 'Only control-plane/http/ and app.ts import http/: services throw the errors of control-plane/errors.ts, and http/ turns them into the envelope.',
};
/** Storage is the house's foundation: the services, the CLI and the server stand on it, never the other way. */
const storageBelowServices = {
  // The branding service's folder only by what is inside it: storage has a branding aggregate of its own (storage/branding.ts).
  group: ['**/cli', '**/server', '**/prompt', '**/app', '**/data-dir', '**/branding/**', ...ours('auth', 'breakglass', 'identity', 'ingest', 'ledgers', 'replicas', 'telemetry', 'tenancy', 'licensing', 'tls')],
  message: 'control-plane/storage/ stands below the services, the CLI and the server: it imports contracts/, audit/, crypto/, errors.ts and itself.',
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['src-renderer/**', 'src-portal/**'], languageOptions: { globals: { ...globals.browser } } },
  ...layer(['contracts/**'], {
    paths: [electronOnlyInApp, ...nodeBuiltins.map((name) => ({ name, message: 'contracts/ imports nothing of Node.' }))],
    patterns: [{ group: ours('control-plane', 'simulator', 'src-main', 'src-preload', 'src-renderer', 'test'), message: 'contracts/ imports no code of ours.' }],
  }),
  // Tests may drive the routes they test.
  ...layer(['control-plane/**'], { paths: [electronOnlyInApp], patterns: [controlPlaneOutside, onlyHttpImportsHttp], testPatterns: [controlPlaneOutside] }),
  // http/ turns errors into the envelope and routes into services; app.ts composes them.
  ...layer(['control-plane/http/**', 'control-plane/app.ts'], { paths: [electronOnlyInApp], patterns: [controlPlaneOutside] }),
  // Its tests may use a service to make what they store.
  ...layer(['control-plane/storage/**'], { paths: [electronOnlyInApp], patterns: [controlPlaneOutside, onlyHttpImportsHttp, storageBelowServices], testPatterns: [controlPlaneOutside] }),
  ...layer(['simulator/**'], {
    paths: [electronOnlyInApp],
    patterns: [{ group: ours('src-main', 'src-preload', 'src-renderer', 'control-plane'), message: 'simulator/ talks to the control plane through its public API only.' }],
  }),
  ...layer(['src-renderer/**'], {
    paths: [electronOnlyInApp, ...nodeBuiltins.map((name) => ({ name, message: 'src-renderer/ is browser code: no Node built-ins.' }))],
    patterns: [{ group: ours('control-plane', 'simulator', 'src-main', 'src-preload'), message: 'src-renderer/ imports contracts/ and browser code only.' }],
  }),
  ...layer(['src-portal/**'], {
    paths: [electronOnlyInApp, ...nodeBuiltins.map((name) => ({ name, message: 'src-portal/ is browser code served to tenants: no Node built-ins.' }))],
    patterns: [{ group: ours('control-plane', 'simulator', 'src-main', 'src-preload', 'src-renderer'), message: "src-portal/ imports contracts/ and browser code only (not the console's renderer)." }],
  }),
  ...layer(['src-preload/**'], {
    paths: nodeBuiltins.map((name) => ({ name, message: 'src-preload/ is a sandboxed preload: electron and contracts/ only.' })),
    patterns: [{ group: ours('control-plane', 'simulator', 'src-main', 'src-renderer'), message: 'src-preload/ imports electron and contracts/ only.' }],
  }),
  ...layer(['src-main/**'], {
    paths: [electronOnlyInApp],
    patterns: [{ group: ours('src-renderer', 'src-preload'), message: 'src-main/ never imports renderer or preload code.' }],
  }),
  ...layer(['src-main/app/**'], {
    patterns: [{ group: ours('src-renderer', 'src-preload'), message: 'src-main/ never imports renderer or preload code.' }],
  }),
);
