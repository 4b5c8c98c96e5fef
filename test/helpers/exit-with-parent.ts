// Test support, preloaded into the processes tests and benches start (`node --import`, see
// exitWithParentArgs in cli-process.ts): a child whose parent died (a killed test run, a bench
// piped into `head`) exits too, instead of serving on the shared machine forever. Once orphaned,
// a process is handed to another parent (init or a subreaper), so its ppid changes. The product
// CLI knows nothing of it.
import { isMainThread } from 'node:worker_threads';

/** How often the parent is looked for. */
const WATCH_MS = 1000;

// Worker threads load the preloads too: the main thread's watch is enough for the process.
if (isMainThread) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    process.stderr.write(`exit-with-parent: parent process ${String(parent)} is gone; exiting\n`);
    process.exit(1);
  }, WATCH_MS).unref(); // unref'd: the watch alone never keeps a process alive
}
