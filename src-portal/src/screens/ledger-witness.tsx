import type { SignedTreeHeadView, WitnessView } from '../../../contracts/audit';

/**
 * What the portal's witness concluded (#25): a quiet line while the ledger extends the head this
 * browser kept, a loud red banner (role=alert) with both heads when history was rewritten.
 */
export function WitnessVerdict({ view }: { view: WitnessView }) {
  if (view.state === 'first' || (view.state === 'witnessed' && view.kept !== null)) {
    return (
      <p>
        <output className="ok" aria-label="Ledger witness">
          {view.kept === null
            ? `Witnessing from now on: tree ${view.seen.tree_size} is kept in this browser, and every later head is checked against it.`
            : `Witnessed: tree ${view.seen.tree_size}, consistent with the head kept at ${new Date(view.kept.kept_at).toLocaleString()} (checked in this browser).`}
        </output>
      </p>
    );
  }
  return (
    <div className="witness-alarm" role="alert" data-testid="witness-alarm">
      <p className="title">{view.state === 'rewritten' ? 'History rewritten' : 'Ledger head refused'}</p>
      <p>{view.message ?? 'The new head does not extend the head this browser kept.'}</p>
      <p>The kept head is not replaced: it is the evidence.</p>
      {view.kept === null ? null : <Head title={`Kept head (kept ${new Date(view.kept.kept_at).toLocaleString()})`} head={view.kept.head} />}
      <Head title="New head" head={view.seen} />
      <p data-testid="witness-recorded">
        {view.recorded !== null
          ? `Reported to the control plane: WITNESS_FAILED, entry ${view.recorded.seq} of your ledger.`
          : `Not reported to the control plane${view.record_error === null ? '' : `: ${view.record_error}`}.`}
      </p>
    </div>
  );
}

function Head({ title, head }: { title: string; head: SignedTreeHeadView }) {
  return (
    <dl aria-label={title}>
      <dt>{title}</dt>
      <dd>tree size {head.tree_size}</dd>
      <dd>
        root <code>{head.root_hash}</code>
      </dd>
      <dd>signed {new Date(head.timestamp).toLocaleString()}</dd>
    </dl>
  );
}
