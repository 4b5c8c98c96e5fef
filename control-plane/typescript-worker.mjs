// Runs a worker thread's TypeScript module when the control plane runs from source (tsx, Vitest):
// Node 20 does not load a .ts worker through the parent's tsx hooks, so the worker registers them
// itself, then imports the module named in workerData.typescriptEntry. The bundled control plane
// (electron-vite) starts its workers' compiled entries directly and never loads this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.typescriptEntry);
