import { useMutation, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { InclusionProofView, LedgerEntryView, LedgerVerifyView } from '../../../contracts/audit';
import type { PortalApi } from '../api';
import { verifyInclusion } from '../merkle-proof';
import { witnessTenantLedger, type HeadStorage } from '../witness';
import { WitnessVerdict } from './ledger-witness';
import { ErrorLine } from './shared';

const Page = z.object({ items: z.array(LedgerEntryView) });

/**
 * The tenant's ledger: witnessed on each visit (its signed head checked in the browser against the
 * head this browser kept, see witness.ts), its newest entries, the server's verification, and one
 * entry's inclusion proof checked here in the browser (WebCrypto) against the root the verification
 * answered.
 */
export function LedgerScreen({ api, ledger, storage = window.localStorage, host = window.location.host }: { api: PortalApi; ledger: string; storage?: HeadStorage; host?: string }) {
  const witness = useQuery({ queryKey: ['ledger', 'witness'], queryFn: () => witnessTenantLedger({ api, storage, host, ledger }), staleTime: 0, refetchOnWindowFocus: false });
  const entries = useQuery({ queryKey: ['ledger'], queryFn: async () => Page.parse(await api.get('/v1/audit?limit=50')).items });
  const verify = useMutation({ mutationFn: async () => LedgerVerifyView.parse(await api.get('/v1/audit/verify')) });
  const prove = useMutation({
    mutationFn: async (entry: LedgerEntryView) => {
      const proof = InclusionProofView.parse(await api.get(`/v1/audit/proof/${entry.seq}`));
      const verified = LedgerVerifyView.parse(await api.get('/v1/audit/verify'));
      // The leaf must be the entry listed, and the root the one the whole ledger verified to (same size).
      const sameTree = verified.ok && verified.size === proof.tree_size && verified.root === proof.root;
      const included = await verifyInclusion({ leafHash: entry.leaf_hash, leafIndex: proof.leaf_index, treeSize: proof.tree_size, auditPath: proof.audit_path, root: proof.root });
      return { seq: entry.seq, ok: included && sameTree && proof.leaf_hash === entry.leaf_hash, size: proof.tree_size };
    },
  });
  return (
    <section aria-labelledby="ledger-title">
      <h2 id="ledger-title">Ledger</h2>
      {witness.data === undefined ? null : <WitnessVerdict view={witness.data} />}
      <p>
        <button type="button" disabled={witness.isFetching} onClick={() => void witness.refetch()}>
          Check the head again
        </button>
      </p>
      <p>
        <button type="button" onClick={() => verify.mutate()}>
          Verify the ledger
        </button>{' '}
        {verify.data === undefined ? null : (
          <output className={verify.data.ok ? 'ok' : 'bad'} aria-label="Ledger verification">
            {verify.data.ok ? `Verified: ${verify.data.size} entries` : `Does not verify (${verify.data.reason ?? 'unknown'})`}
          </output>
        )}
      </p>
      {prove.data === undefined ? null : (
        <p>
          <output className={prove.data.ok ? 'ok' : 'bad'} aria-label="Inclusion proof">
            {prove.data.ok ? `Entry ${prove.data.seq} is in the ledger of ${prove.data.size} entries (checked in this browser)` : `Entry ${prove.data.seq}: the proof does not check`}
          </output>
        </p>
      )}
      <ErrorLine error={witness.error ?? entries.error ?? verify.error ?? prove.error} />
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Event</th>
            <th>Actor</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(entries.data ?? []).map((entry) => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{entry.ts}</td>
              <td>{entry.event_type}</td>
              <td>{entry.actor}</td>
              <td>
                <button type="button" onClick={() => prove.mutate(entry)}>
                  Prove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
