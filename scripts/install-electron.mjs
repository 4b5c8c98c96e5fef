// Fetches Electron's binary as a checked install step instead of Electron's own postinstall
// (denied in package.json "allowScripts"): on a machine that reaches only the npm registry the
// download fails, and `npm install` must still succeed there. Browser mode needs no binary.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);

let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  console.log('bulkhead: electron is not installed (optional here); the console runs in browser mode: npm run console:browser');
  process.exit(0);
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('bulkhead: ELECTRON_SKIP_BINARY_DOWNLOAD is set; skipping the Electron binary.');
  process.exit(0);
}

const result = spawnSync(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
const binaryPresent = existsSync(new URL('../node_modules/electron/path.txt', import.meta.url));
if (result.status === 0 && binaryPresent) {
  console.log('bulkhead: Electron binary installed.');
} else {
  const reason = (result.stderr?.toString() ?? '').split('\n').find((line) => line.trim().length > 0) ?? 'unknown error';
  console.log(`bulkhead: Electron's binary could not be downloaded (${reason.trim().slice(0, 160)}); npm install continues. Use the console in browser mode: npm run console:browser`);
}
