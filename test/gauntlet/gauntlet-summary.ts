// Vitest globalSetup of the gauntlet projects: a fresh figures directory for the run, and at the end
// the run's one-line summary (requests, leaks, 5xx, faults survived) summed over its parts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFigures } from './gauntlet-size';

// Both gauntlet projects (one per engine) share the main process but each loads this module anew, so
// the count of runs still using the directory lives in the environment: one directory, one summary,
// printed by the last teardown.
const USERS = 'BULKHEAD_GAUNTLET_SETUP_USERS';
const changeUsers = (by: number): number => {
  const users = Number(process.env[USERS] ?? '0') + by;
  process.env[USERS] = String(users);
  return users;
};

export default function setup(): () => void {
  changeUsers(1);
  const dir = (process.env.BULKHEAD_GAUNTLET_FIGURES ??= mkdtempSync(join(tmpdir(), 'bulkhead-gauntlet-')));
  return () => {
    if (changeUsers(-1) > 0) return;
    const figures = readFigures(dir);
    const sum = (field: 'requests' | 'leaks' | 'serverErrors' | 'faultsSurvived') => figures.reduce((total, part) => total + part[field], 0);
    const engines = [...new Set(figures.map((part) => part.engine))].join('+');
    const seconds = Math.round(figures.reduce((total, part) => total + part.durationMs, 0) / 1000);
    console.log(`gauntlet (${engines || 'no parts ran'}, ${process.env.BULKHEAD_GAUNTLET_SIZE ?? 'small'}): ${sum('requests')} requests, ${sum('leaks')} leaks, ${sum('serverErrors')} 5xx, ${sum('faultsSurvived')} faults survived, ${seconds}s in the parts`);
    rmSync(dir, { recursive: true, force: true });
  };
}
