/** What a run tells whoever watches it (the CLI's progress lines, the console's simulator panel). */
export type ProgressEvent =
  | { kind: 'step'; message: string }
  | { kind: 'window'; scenario: string; label: string; index: number; of: number; ms: number }
  | { kind: 'load'; tenants: TenantLoadLine[] }
  /** An isolation probe's attempts so far, and the leaks among them. */
  | { kind: 'attempts'; done: number; total: number; leaks: number };

/** One tenant's load so far, for a live line. */
export interface TenantLoadLine {
  tenant: string;
  role: string;
  offered_units: number;
  acknowledged_units: number;
  shed_units: number;
  pending_units: number;
}

export type ProgressSink = (event: ProgressEvent) => void;

/**
 * A run's record: the ordered events it caused (what a seed must reproduce: same tenants, same
 * steps, same order) and the progress it reports as it goes. Events never carry tokens or secrets.
 */
export class RunLog {
  readonly events: string[] = [];

  constructor(private readonly sink: ProgressSink = () => undefined) {}

  /** Records an event of the run and reports it as a step. */
  event(text: string): void {
    this.events.push(text);
  }

  step(message: string): void {
    this.sink({ kind: 'step', message });
  }

  progress(event: ProgressEvent): void {
    this.sink(event);
  }
}
