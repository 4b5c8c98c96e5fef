// `npm start`: build, then launch the Electron console with its embedded control plane.
// `npm run dev`: the same with electron-vite's dev server. Where Electron's binary is missing
// (its download failed at install), say so in one line and point to browser mode.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dev = process.argv.includes('--dev');

function electronBinary() {
  try {
    // The electron package exports the binary's path, and throws when the binary was never fetched.
    return require('electron');
  } catch {
    return null;
  }
}

if (electronBinary() === null) {
  console.error(
    "bulkhead: Electron's binary is not installed on this machine (its download failed during npm install), so the desktop console cannot start; run the same console in your browser instead: npm run console:browser",
  );
  process.exit(1);
}

const electronVite = require.resolve('electron-vite/bin/electron-vite.js');
const run = (args) => spawnSync(process.execPath, [electronVite, ...args], { stdio: 'inherit', env: process.env }).status ?? 1;

if (dev) {
  process.exit(run(['dev']));
}
const built = run(['build']);
if (built !== 0) {
  process.exit(built);
}
process.exit(run(['preview', '--skipBuild']));
