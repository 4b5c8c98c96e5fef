import Table from 'cli-table3';
import type { ScenarioResult } from '../scenarios/result';

const cell = (value: string | number | null): string => (value === null ? '–' : typeof value === 'number' ? value.toLocaleString('en-US') : value);

/**
 * The final report as text: a header, the per-tenant table, notes, and each invariant with ✓ or ✗.
 * A run of parts (the demo) prints each part's report first, then its summary, which repeats only
 * the invariants that failed.
 */
export function renderResult(result: ScenarioResult, options: { color?: boolean } = {}): string {
  const parts = result.parts ?? [];
  return parts.map((part) => `${renderOne(part, options, true)}\n`).join('') + renderOne(result, options, parts.length === 0);
}

function renderOne(result: ScenarioResult, options: { color?: boolean }, everyInvariant: boolean): string {
  const table = new Table({
    head: result.table.columns,
    style: { compact: true, head: options.color === true ? ['cyan'] : [], border: options.color === true ? ['grey'] : [] },
    colAligns: result.table.columns.map((_, index) => (result.table.rows.some((row) => typeof row[index] === 'number') ? 'right' : 'left')),
  });
  for (const row of result.table.rows) table.push(row.map(cell));
  const invariants = result.invariants.filter((entry) => everyInvariant || !entry.ok).map((entry) => `${entry.ok ? '✓' : '✗'} ${entry.name} (${entry.detail})`);
  const failed = result.invariants.filter((entry) => !entry.ok).length;
  return [
    result.table.title,
    `control plane ${result.control_plane.url} (${result.control_plane.kind}), seed ${result.seed}, ${(result.duration_ms / 1000).toFixed(1)} s${result.handover ? ', tenants handed over to their customers' : ''}`,
    table.toString(),
    ...result.notes,
    ...invariants,
    failed === 0 ? `OK: ${result.invariants.length} invariants hold.` : `FAILED: ${failed} of ${result.invariants.length} invariants do not hold.`,
    '',
  ].join('\n');
}
