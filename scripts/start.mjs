// `npm start`: build, then run the console. Where Electron's binary is installed, the desktop
// window with its embedded control plane; where it is missing (its download failed at install),
// the same console in browser mode, after one line saying so: the launch link is printed and,
// where the system has a browser to ask, opened in it. Arguments after `--` go to browser mode
// (`--data`, `--port`, `--json`).
// `npm run dev`: electron-vite's dev server; it needs Electron's binary.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const appRoot = join(import.meta.dirname, '..');
const dev = process.argv.includes('--dev');
const passThrough = process.argv.slice(2).filter((arg) => arg !== '--dev');

function electronBinary() {
  try {
    // The electron package exports the binary's path, and throws when the binary was never fetched.
    return require('electron');
  } catch {
    return null;
  }
}

// Its bin is not among the package's exports: found through package.json, which is.
const electronVite = join(dirname(require.resolve('electron-vite/package.json')), require('electron-vite/package.json').bin['electron-vite']);
const run = (args) => spawnSync(process.execPath, [electronVite, ...args], { stdio: 'inherit', env: process.env, cwd: appRoot }).status ?? 1;
const hasElectron = electronBinary() !== null;

if (dev) {
  if (!hasElectron) {
    console.error("bulkhead: dev mode needs Electron's binary, which is not installed on this machine; `npm start` runs the console in browser mode instead.");
    process.exit(1);
  }
  process.exit(run(['dev']));
}

if (!hasElectron) {
  console.error("bulkhead: Electron's binary is not installed on this machine, so the console starts in browser mode (the same console, in your browser).");
}
const built = run(['build']);
if (built !== 0) {
  process.exit(built);
}
if (hasElectron) {
  process.exit(run(['preview', '--skipBuild']));
}

// Browser mode, as `npm run console:browser --open` would run it; Ctrl-C stops it and its control plane.
const child = spawn(process.execPath, ['--import', 'tsx', join(appRoot, 'src-main', 'browser', 'cli.ts'), '--open', ...passThrough], {
  stdio: 'inherit',
  cwd: appRoot,
  env: process.env,
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 0 : 1));
});
