import { useMutation } from '@tanstack/react-query';
import { type LedgerEntryView } from '../../../contracts/audit';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { describeError } from '../error-text';

/**
 * "Prove this entry": the console fetches the entry's RFC 6962 inclusion proof from the provider
 * ledger and checks it itself (in the main process, with its own implementation), against the leaf
 * hash the list showed. Returns the button for a row and the verdict panel.
 */
export function useEntryProof() {
  const api = useApi();
  const prove = useMutation({ mutationFn: (entry: LedgerEntryView) => api.call('audit:prove', { seq: entry.seq, leaf_hash: entry.leaf_hash }) });
  const button = (entry: LedgerEntryView) => (
    <button type="button" className="button" disabled={prove.isPending} aria-label={`Prove entry ${entry.seq}`} onClick={() => prove.mutate(entry)}>
      Prove
    </button>
  );
  const verdict = prove.isError ? (
    <FormAlert title="The proof could not be fetched" messages={[describeError(prove.error)]} onDismiss={prove.reset} />
  ) : prove.data ? (
    prove.data.included ? (
      <Notice tone="success" title={`Entry ${prove.data.seq} is in the ledger`}>
        <div className="proof-result" data-testid="proof-result">
          <p>
            Checked in this console: its leaf hash <code>{prove.data.leaf_hash}</code> and {prove.data.audit_path_length} audit-path hashes lead to the root <code>{prove.data.root}</code> of the
            ledger&apos;s first {prove.data.tree_size} entries (RFC 6962).
          </p>
        </div>
      </Notice>
    ) : (
      <FormAlert title={`Entry ${prove.data.seq} is NOT proven`} messages={[prove.data.reason ?? 'The proof does not check.']} onDismiss={prove.reset} />
    )
  ) : null;
  return { button, verdict };
}
