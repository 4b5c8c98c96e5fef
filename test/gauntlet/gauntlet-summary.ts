// Vitest globalSetup of the gauntlet projects: a fresh figures directory for the run, and at the end
// the run's one-line summary (requests, leaks, 5xx, faults survived) summed over its parts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFigures } from './gauntlet-size';

// Both gauntlet projects (one per engine) share the main process: one directory, one summary, printed
// by the last teardown.
let users = 0;

export default function setup(): () => void {
  users++;
  const dir = (process.env.BULKHEAD_GAUNTLET_FIGURES ??= mkdtempSync(join(tmpdir(), 'bulkhead-gauntlet-')));
  return () => {
    if (--users > 0) return;
    const figures = readFigures(dir);
    const sum = (field: 'requests' | 'leaks' | 'serverErrors' | 'faultsSurvived') => figures.reduce((total, part) => total + part[field], 0);
    const engines = [...new Set(figures.map((part) => part.engine))].join('+');
    const seconds = Math.round(figures.reduce((total, part) => total + part.durationMs, 0) / 1000);
    console.log(`gauntlet (${engines || 'no parts ran'}, ${process.env.BULKHEAD_GAUNTLET_SIZE ?? 'small'}): ${sum('requests')} requests, ${sum('leaks')} leaks, ${sum('serverErrors')} 5xx, ${sum('faultsSurvived')} faults survived, ${seconds}s in the parts`);
    rmSync(dir, { recursive: true, force: true });
  };
}
