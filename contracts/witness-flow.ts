import type { ConsistencyProofView, KeptHead, LedgerKeysView, SignedTreeHeadView, WitnessFailureRecorded, WitnessFailureReport, WitnessView } from './audit';
import { checkNewHead } from './ledger-witness';

/**
 * What a witness needs around the check: the control plane's answers, and where it keeps its head.
 * The console's main process (a JSON file per connection) and the tenant portal (the browser's
 * localStorage per host and ledger) each provide one; the look itself is `witnessLedger`.
 */
export interface WitnessIo {
  /** The ledger the witness watches (its heads must name it). */
  ledger: string;
  keys(): Promise<LedgerKeysView['keys']>;
  head(): Promise<SignedTreeHeadView>;
  consistency(from: number, to: number): Promise<ConsistencyProofView>;
  kept(): KeptHead | null;
  /** Keeps a head that checked, in place of the old one. */
  keep(head: SignedTreeHeadView): KeptHead;
  /** Sends a failure to the control plane to be ledgered (WITNESS_FAILED). */
  report(report: WitnessFailureReport): Promise<WitnessFailureRecorded>;
  /** Where a failure against this kept head was already ledgered, so a refresh does not append it again. */
  reported(kept: SignedTreeHeadView): WitnessFailureRecorded | null;
  remember(kept: SignedTreeHeadView, recorded: WitnessFailureRecorded): void;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * One look of a witness (#25): fetch the published keys and the signed head, check it against the
 * kept head with a consistency proof (checkNewHead), keep it only when it checks. A failure leaves
 * the kept head as evidence and is reported to the control plane once per kept head ("ledgered
 * where possible": a refusal to record is said, not thrown).
 */
export async function witnessLedger(io: WitnessIo): Promise<WitnessView> {
  const [keys, seen] = await Promise.all([io.keys(), io.head()]);
  const kept = io.kept();
  // A smaller ledger has no proof to ask for: checkNewHead names it rewritten.
  const proof = kept === null || kept.head.tree_size > seen.tree_size ? null : await io.consistency(kept.head.tree_size, seen.tree_size);
  const verdict = await checkNewHead({ stored: kept?.head ?? null, fresh: seen, keys, proof });
  const view = { ledger: io.ledger, kept, seen, recorded: null, record_error: null };
  if (verdict.ok) {
    if (seen.ledger !== io.ledger) return { ...view, state: 'refused', message: `The head is of ledger ${seen.ledger}, not of ${io.ledger}.` };
    io.keep(seen);
    return { ...view, state: kept === null ? 'first' : 'witnessed', message: null };
  }
  const state = verdict.problem === 'bad_signature' ? 'refused' : 'rewritten';
  if (kept === null) return { ...view, state, message: verdict.message, record_error: 'Nothing was kept to report against.' };
  const earlier = io.reported(kept.head);
  if (earlier !== null) return { ...view, state, message: verdict.message, recorded: earlier };
  try {
    const recorded = await io.report({ problem: verdict.problem, kept: kept.head, seen });
    io.remember(kept.head, recorded);
    return { ...view, state, message: verdict.message, recorded };
  } catch (error) {
    return { ...view, state, message: verdict.message, record_error: errorText(error) };
  }
}
