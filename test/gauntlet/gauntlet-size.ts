import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How hard the gauntlet pushes: `small` inside `npm test` (a few minutes on a loaded 2-core machine),
 * `large` from `npm run bench -- --only=gauntlet` or `BULKHEAD_GAUNTLET_SIZE=large npm run gauntlet`.
 * Seeded (BULKHEAD_GAUNTLET_SEED), so a failure replays.
 */
export const gauntletSize = process.env.BULKHEAD_GAUNTLET_SIZE === 'large' ? 'large' : 'small';
export const gauntletSeed = Number(process.env.BULKHEAD_GAUNTLET_SEED ?? 24);
export const engineName = process.env.BULKHEAD_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** Cross-tenant requests per engine (both engines run: the small run makes ≥ 10,000 in all). */
export const leakRequests = gauntletSize === 'large' ? 60_000 : 10_000;
/** Hostile bodies per route. */
export const badInputPerRoute = gauntletSize === 'large' ? 80 : 17;

/** A small seeded generator (mulberry32): the same seed makes the same requests. */
export function seededRandom(seed: number): { next(): number; int(max: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return { next, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

/** What one part of the gauntlet measured, summed into the run's one-line summary. */
export interface GauntletFigures {
  part: string;
  engine: string;
  requests: number;
  leaks: number;
  serverErrors: number;
  faultsSurvived: number;
  durationMs: number;
}

/** Where the parts leave their figures for the summary (one directory per vitest run, see gauntlet-summary.ts). */
export const figuresDir = process.env.BULKHEAD_GAUNTLET_FIGURES ?? join(tmpdir(), 'bulkhead-gauntlet-figures');

export function recordFigures(figures: GauntletFigures): void {
  mkdirSync(figuresDir, { recursive: true });
  writeFileSync(join(figuresDir, `${figures.part}-${figures.engine}.json`), JSON.stringify(figures));
  console.log(`gauntlet ${figures.part} (${figures.engine}, ${gauntletSize}): ${JSON.stringify(figures)}`);
}

export function readFigures(dir: string): GauntletFigures[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as GauntletFigures);
}
