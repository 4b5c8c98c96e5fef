/** One promise a scenario keeps (lost = 0, leaks = 0, a ledger that verifies...): a failed one fails the run. */
export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

/** A finished scenario, for the final table, `--json` and the exit code. */
export interface ScenarioResult {
  scenario: string;
  seed: number;
  ok: boolean;
  control_plane: { url: string; kind: 'embedded' | 'remote' };
  /** Whether tenants were handed over to their customers (a control plane with issue 26's handover). */
  handover: boolean;
  started_at: string;
  duration_ms: number;
  table: { title: string; columns: string[]; rows: (string | number | null)[][] };
  notes: string[];
  invariants: Invariant[];
  /** The run's ordered events (what a seed reproduces). */
  events: string[];
  details: Record<string, unknown>;
  /** A run of several scenarios (the demo): each part's own result, printed before the summary. */
  parts?: ScenarioResult[];
}

export function invariant(name: string, ok: boolean, detail: string): Invariant {
  return { name, ok, detail };
}

/** A scenario's result from its run's common facts and its own table, notes, invariants and details. */
export function scenarioResult(
  run: { scenario: string; seed: number; target: { url: string; kind: 'embedded' | 'remote' }; handover: boolean; startedAt: Date; events: string[] },
  parts: Pick<ScenarioResult, 'table' | 'notes' | 'invariants' | 'details'>,
): ScenarioResult {
  return {
    scenario: run.scenario,
    seed: run.seed,
    ok: parts.invariants.every((entry) => entry.ok),
    control_plane: run.target,
    handover: run.handover,
    started_at: run.startedAt.toISOString(),
    duration_ms: Date.now() - run.startedAt.getTime(),
    ...parts,
    events: run.events,
  };
}
