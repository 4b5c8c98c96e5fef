import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          // The Electron main process.
          index: resolve(import.meta.dirname, 'src-main/app/main.ts'),
          // The control-plane CLI, started by the console as a child Node process (embedded mode).
          'control-plane': resolve(import.meta.dirname, 'control-plane/cli.ts'),
          // Its telemetry writer thread: a module of its own, started beside the CLI's bundle.
          'telemetry-writer-worker': resolve(import.meta.dirname, 'control-plane/storage/sqlite/telemetry-writer-worker.ts'),
          // Its ledger verify threads (a large ledger is verified off the event loop).
          'ledger-verify-worker': resolve(import.meta.dirname, 'control-plane/storage/sqlite/ledger-verify-worker.ts'),
          // The same on PostgreSQL: one thread reading the ledger in one snapshot.
          'postgres-ledger-verify-worker': resolve(import.meta.dirname, 'control-plane/storage/postgres/postgres-ledger-verify-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src-preload/index.ts') },
        // A sandboxed preload cannot require() local chunks: one self-contained CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
      // Bundle zod and the contracts into the one file; a sandboxed preload has no require().
      externalizeDeps: false,
      isolatedEntries: true,
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src-renderer'),
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      // electron-vite leaves the renderer unminified by default; the console ships it minified.
      minify: true,
      rolldownOptions: {
        input: { index: resolve(import.meta.dirname, 'src-renderer/index.html') },
        output: {
          // React changes less often than the console: its own chunk stays cached across console
          // builds, and the rest of node_modules (react-query, zod) is a second one. Screens past
          // the first are lazy chunks of their own (see signed-in-shell.tsx).
          codeSplitting: {
            groups: [
              { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 4 },
              // The tenants table's and the fairness chart's libraries load with those screens, not on first load.
              { name: 'table', test: /node_modules[\\/]@tanstack[\\/](react-table|table-core|react-virtual|virtual-core)[\\/]/, priority: 3 },
              { name: 'uplot', test: /node_modules[\\/]uplot[\\/]/, priority: 3 },
              { name: 'vendor', test: /node_modules[\\/]/, priority: 1 },
            ],
          },
        },
      },
    },
    plugins: [react()],
  },
});
