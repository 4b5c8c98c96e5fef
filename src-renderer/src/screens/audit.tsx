import { useMutation } from '@tanstack/react-query';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { LedgerWitness } from '../components/ledger-witness';
import { Notice } from '../components/notice';
import { describeError } from '../error-text';

/**
 * The provider ledger: witnessed on each visit (its signed head checked against the head this console
 * kept), and verified on demand (every leaf and the root recomputed, saying where it breaks).
 */
export function AuditView() {
  const api = useApi();
  const verify = useMutation({ mutationFn: () => api.call('audit:verify', {}) });
  const result = verify.data;
  return (
    <section aria-labelledby="audit-heading">
      <h1 id="audit-heading">Audit</h1>
      <p className="lead">The provider ledger is an append-only Merkle tree (RFC 6962). Verifying recomputes every entry and the signed root.</p>
      <LedgerWitness />
      <button type="button" className="button button-primary" disabled={verify.isPending} onClick={() => verify.mutate()}>
        Verify provider ledger
      </button>
      {verify.isError ? <FormAlert title="Verification could not run" messages={[describeError(verify.error)]} /> : null}
      {result ? (
        result.ok ? (
          <Notice tone="success" title="Ledger verified">
            <p>
              {result.size} entries; root <code className="wrap-anywhere">{result.root}</code>
            </p>
          </Notice>
        ) : (
          <FormAlert
            title="Ledger verification failed"
            messages={[`${result.reason ?? 'The ledger does not verify.'}${result.first_bad_seq ? ` (first bad entry: ${result.first_bad_seq})` : ''}`]}
          />
        )
      ) : null}
    </section>
  );
}
