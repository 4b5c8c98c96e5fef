import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';

/** Compiled once per process when running from source: each worker's path. */
const compiledFromSource = new Map<string, string>();

/**
 * A worker thread's module (`name`, without extension, in the folder of `from`, the caller's
 * import.meta.url: this folder by default) as a file Node can start:
 * the bundled entry electron-vite emits beside the CLI's (out/main/<name>.js); or, running from
 * source (tsx, Vitest), the TypeScript module compiled once with esbuild (the compiler tsx itself
 * uses) into node_modules/.cache, where its imports resolve. Loading it through tsx in the thread
 * took half a second to two seconds per thread on its first use.
 */
export function workerModule(name: string, from: string = import.meta.url): URL {
  if (!import.meta.url.endsWith('.ts')) {
    return new URL(`./${name}.js`, import.meta.url);
  }
  let compiled = compiledFromSource.get(name);
  if (compiled === undefined) {
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof Esbuild;
    const entry = fileURLToPath(new URL(`./${name}.ts`, from));
    const cacheDir = join(dirname(require.resolve('better-sqlite3/package.json')), '..', '.cache', 'bulkhead');
    mkdirSync(cacheDir, { recursive: true });
    const outfile = join(cacheDir, `${name}-${process.pid}-${Date.now()}.cjs`);
    esbuild.buildSync({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', logLevel: 'silent' });
    compiled = outfile;
    compiledFromSource.set(name, outfile);
    process.once('exit', () => rmSync(outfile, { force: true }));
  }
  return pathToFileURL(compiled);
}
