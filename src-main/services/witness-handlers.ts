import type { z } from 'zod';
import { ConsistencyProofView, LedgerKeysView, SignedTreeHeadView, WitnessFailureRecorded } from '../../contracts/audit';
import { witnessLedger } from '../../contracts/witness-flow';
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

/**
 * The console as a witness of the provider ledger (#25), in the main process: each look checks the
 * signed head against the head kept for the connection (contracts/witness-flow.ts, the portal's and
 * the CLI's check), keeps it when it checks, and reports a failure to the control plane once per
 * kept head (remembered while the console runs, so refreshing a failure appends nothing more).
 */
export function witnessHandlers(port: WitnessPort): Pick<IpcHandlers, WitnessChannel> {
  const reported = new Map<string, WitnessFailureRecorded>();
  const reportKey = (connection: string, kept: SignedTreeHeadView) => `${connection}\n${kept.tree_size}\n${kept.root_hash}`;
  return {
    'audit:witness': async () => {
      const connection = port.signedInConnection();
      if (connection === null) throw new ConsoleError('unauthorized', 'Sign in first.');
      return witnessLedger({
        ledger: PROVIDER,
        keys: async () => (await port.anonymous('GET', '/.well-known/bulkhead-ledger-keys', LedgerKeysView)).keys,
        head: () => port.asOperator('GET', '/provider/v1/audit/head', SignedTreeHeadView),
        consistency: (from, to) => port.asOperator('GET', `/provider/v1/audit/consistency?from=${from}&to=${to}`, ConsistencyProofView),
        kept: () => port.store.get(connection, PROVIDER),
        keep: (head) => port.store.keep(connection, PROVIDER, head, port.clock()),
        report: (report) => port.asOperator('POST', '/provider/v1/audit/witness-failures', WitnessFailureRecorded, report),
        reported: (kept) => reported.get(reportKey(connection, kept)) ?? null,
        remember: (kept, recorded) => reported.set(reportKey(connection, kept), recorded),
      });
    },
  };
}
