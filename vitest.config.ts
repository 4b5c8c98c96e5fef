import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Projects per runtime: plain Node for the control plane, simulator, main process, contracts
// and integration tests; jsdom for renderer components.
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
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['src-renderer/**/*.test.ts', 'src-renderer/**/*.test.tsx'],
        },
      },
    ],
  },
});
