import { useQuery } from '@tanstack/react-query';
import type { SignedTreeHeadView, WitnessView } from '../../../contracts/audit';
import { useApi } from '../api-context';
import { describeError } from '../error-text';
import { Notice } from './notice';

export const witnessKey = ['audit', 'witness'] as const;

/**
 * The console as a witness of the provider ledger (#25): on each visit (and on "Check again") the
 * main process fetches the signed head and checks it against the head this console kept for the
 * connection. A consistent head is a quiet green line; a rewritten history is a loud red banner with
 * both heads as evidence, and the kept head is not replaced.
 */
export function LedgerWitness() {
  const api = useApi();
  const witness = useQuery({ queryKey: witnessKey, queryFn: () => api.call('audit:witness', {}), staleTime: 0, refetchOnMount: 'always', refetchOnWindowFocus: false });
  const again = (
    <button type="button" className="button" disabled={witness.isFetching} onClick={() => void witness.refetch()}>
      Check the head again
    </button>
  );
  if (witness.isError) {
    // Not the loud state: nothing was shown to be rewritten, the check could not run.
    return (
      <div className="witness" data-testid="ledger-witness">
        <Notice tone="warning" title="The ledger head could not be witnessed">
          <p>{describeError(witness.error)}</p>
        </Notice>
        {again}
      </div>
    );
  }
  if (witness.data === undefined) {
    return (
      <p className="muted" data-testid="ledger-witness">
        Witnessing the ledger head…
      </p>
    );
  }
  return (
    <div className="witness" data-testid="ledger-witness">
      <WitnessVerdict view={witness.data} />
      {again}
    </div>
  );
}

/** What the witness concluded; exported for its tests. */
export function WitnessVerdict({ view }: { view: WitnessView }) {
  if (view.state === 'first') {
    return (
      <Notice tone="info" title={`Witnessing from now on: tree ${view.seen.tree_size}`}>
        <p>
          This console kept no head of the {view.ledger} ledger on this connection before. It keeps this one (root <code className="wrap-anywhere">{view.seen.root_hash}</code>) and checks every later head
          against it.
        </p>
      </Notice>
    );
  }
  if (view.state === 'witnessed' && view.kept !== null) {
    return (
      <Notice tone="success" title={`Witnessed: tree ${view.seen.tree_size}, consistent with the head kept at ${new Date(view.kept.kept_at).toLocaleString()}`}>
        <p>
          The consistency proof from the kept tree of {view.kept.head.tree_size} entries to this one checks (RFC 6962), and the head is signed by a published ledger key. It is kept in place of the old one.
        </p>
      </Notice>
    );
  }
  const rewritten = view.state === 'rewritten';
  return (
    <div className="witness-alarm" role="alert" data-testid="witness-alarm">
      <p className="witness-alarm-title">{rewritten ? 'History rewritten' : 'Ledger head refused'}</p>
      <p>{view.message ?? 'The new head does not extend the head this console kept.'}</p>
      <p>The kept head is not replaced: it is the evidence.</p>
      <div className="witness-evidence">
        {view.kept === null ? null : <HeadFacts title={`Kept head (kept ${new Date(view.kept.kept_at).toLocaleString()})`} head={view.kept.head} />}
        <HeadFacts title="New head" head={view.seen} />
      </div>
      <p data-testid="witness-recorded">
        {view.recorded !== null
          ? `Recorded by the control plane as WITNESS_FAILED, entry ${view.recorded.seq} of the ${view.recorded.ledger} ledger.`
          : `Not recorded by the control plane${view.record_error === null ? '' : `: ${view.record_error}`}.`}
      </p>
    </div>
  );
}

function HeadFacts({ title, head }: { title: string; head: SignedTreeHeadView }) {
  return (
    <dl className="witness-head" aria-label={title}>
      <dt className="witness-head-title">{title}</dt>
      <dd>
        tree size <strong>{head.tree_size}</strong>
      </dd>
      <dd>
        root <code className="wrap-anywhere">{head.root_hash}</code>
      </dd>
      <dd>signed {new Date(head.timestamp).toLocaleString()}</dd>
      <dd>
        key <code className="wrap-anywhere">{head.key_id}</code>
      </dd>
    </dl>
  );
}
