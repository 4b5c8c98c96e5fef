import type { z } from 'zod';
import { ConsistencyProofView, LedgerKeysView, SignedTreeHeadView, WitnessFailureRecorded, type WitnessFailureReport } from '../../contracts/audit';
import type { WitnessView } from '../../contracts/ipc';
import { checkNewHead } from '../../contracts/ledger-witness';
import { ConsoleError } from '../console-error';
import type { IpcHandlers } from '../ipc/router';
import type { WitnessStore } from './witness-store';

/** The provider ledger's id, as its heads name it. */
const PROVIDER = 'provider';

/** What witnessing needs of the console service. */
export interface WitnessPort {
  asOperator<S extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: S, body?: unknown): Promise<z.output<S>>;
  /** An unauthenticated GET on the active connection (the published ledger keys). */
  anonymous<S extends z.ZodType>(method: 'GET', path: string, schema: S): Promise<z.output<S>>;
  /** The active connection, when its operator is signed in (heads are kept per connection). */
  signedInConnection(): string | null;
  store: WitnessStore;
  clock: () => Date;
}

export type WitnessChannel = 'audit:witness';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The console as a witness of the provider ledger (#25): each look fetches the published keys and
 * the signed head, and checks it against the head this console kept for the connection with a
 * consistency proof (contracts/ledger-witness.ts, the CLI's own check). A head that checks is kept
 * in place of the old one; one that does not leaves the kept head as evidence and is reported to
 * the control plane (`WITNESS_FAILED`), once per kept head and seen root so refreshing a failure
 * does not append an entry each time.
 */
export function witnessHandlers(port: WitnessPort): Pick<IpcHandlers, WitnessChannel> {
  const reported = new Map<string, WitnessFailureRecorded>();
  const record = async (connection: string, report: WitnessFailureReport): Promise<{ recorded: WitnessFailureRecorded | null; record_error: string | null }> => {
    const key = `${connection}\n${report.kept.tree_size}\n${report.kept.root_hash}`;
    const earlier = reported.get(key);
    if (earlier !== undefined) return { recorded: earlier, record_error: null };
    try {
      const recorded = await port.asOperator('POST', '/provider/v1/audit/witness-failures', WitnessFailureRecorded, report);
      reported.set(key, recorded);
      return { recorded, record_error: null };
    } catch (error) {
      return { recorded: null, record_error: error instanceof ConsoleError ? `${error.code}: ${error.message}` : errorText(error) };
    }
  };
  return {
    'audit:witness': async (): Promise<WitnessView> => {
      const connection = port.signedInConnection();
      if (connection === null) throw new ConsoleError('unauthorized', 'Sign in first.');
      const [{ keys }, seen] = await Promise.all([port.anonymous('GET', '/.well-known/bulkhead-ledger-keys', LedgerKeysView), port.asOperator('GET', '/provider/v1/audit/head', SignedTreeHeadView)]);
      const kept = port.store.get(connection, PROVIDER);
      // A smaller ledger has no proof to ask for: checkNewHead names it rewritten.
      const proof = kept === null || kept.head.tree_size > seen.tree_size ? null : await port.asOperator('GET', `/provider/v1/audit/consistency?from=${kept.head.tree_size}&to=${seen.tree_size}`, ConsistencyProofView);
      const verdict = await checkNewHead({ stored: kept?.head ?? null, fresh: seen, keys, proof });
      if (verdict.ok) {
        port.store.keep(connection, PROVIDER, seen, port.clock());
        return { ledger: PROVIDER, state: kept === null ? 'first' : 'witnessed', kept, seen, message: null, recorded: null, record_error: null };
      }
      const state = verdict.problem === 'bad_signature' ? 'refused' : 'rewritten';
      const ledgered = kept === null ? { recorded: null, record_error: 'Nothing was kept to report against.' } : await record(connection, { problem: verdict.problem, kept: kept.head, seen });
      return { ledger: PROVIDER, state, kept, seen, message: verdict.message, ...ledgered };
    },
  };
}
