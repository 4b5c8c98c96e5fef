import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

/** The provider-plane suite: run once per storage engine (SQLite in `node`, PostgreSQL in `postgres`). */
const providerPlaneSuite = [
  'control-plane/http/**/*.test.ts',
  'control-plane/tenancy/**/*.test.ts',
  'control-plane/storage/postgres/**/*.test.ts',
  'control-plane/storage/break-glass-storage.test.ts',
  'control-plane/storage/ledger-proofs.test.ts',
  'test/integration/provider-journey.test.ts',
  'test/integration/bad-input-fuzz.test.ts',
  'test/integration/identity-journey.test.ts',
  'test/integration/telemetry-isolation.test.ts',
  'test/integration/break-glass-drill.test.ts',
  'test/integration/operator-blindness.test.ts',
  'test/integration/postgres-*.test.ts',
];

// Projects per runtime: plain Node for the control plane, simulator, main process, contracts
// and integration tests; the provider-plane suite again on PostgreSQL; jsdom for renderer components.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'contracts/**/*.test.ts',
            'control-plane/**/*.test.ts',
            'simulator/**/*.test.ts',
            'src-main/**/*.test.ts',
            'test/integration/**/*.test.ts',
            'test/lint/**/*.test.ts',
            'test/helpers/**/*.test.ts',
            'test/bench/**/*.test.ts',
            'test/security/**/*.test.ts',
          ],
          // PostgreSQL-only tests run in the postgres project.
          exclude: ['control-plane/storage/postgres/**', 'test/integration/postgres-*.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'postgres',
          environment: 'node',
          include: providerPlaneSuite,
          env: { BULKHEAD_TEST_ENGINE: 'postgres' },
          globalSetup: ['test/helpers/postgres-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // The security gauntlet (test/gauntlet/, `npm run gauntlet`): once per engine, small here, large in `npm run bench`.
      {
        test: {
          name: 'gauntlet',
          environment: 'node',
          include: ['test/gauntlet/**/*.test.ts'],
          globalSetup: ['test/gauntlet/gauntlet-summary.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'gauntlet-postgres',
          environment: 'node',
          include: ['test/gauntlet/**/*.test.ts'],
          env: { BULKHEAD_TEST_ENGINE: 'postgres' },
          globalSetup: ['test/helpers/postgres-global-setup.ts', 'test/gauntlet/gauntlet-summary.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['src-renderer/**/*.test.ts', 'src-renderer/**/*.test.tsx', 'src-portal/**/*.test.ts', 'src-portal/**/*.test.tsx'],
          setupFiles: ['src-renderer/src/testing/setup.ts'],
          // jsdom renders slowly while the other projects load both cores (CI runs them together).
          testTimeout: 30_000,
        },
      },
    ],
  },
});
