import { z } from 'zod';
import { ConsistencyProofView, KeptHead, LedgerKeysView, SignedTreeHeadView, WitnessFailureRecorded, type WitnessView } from '../../contracts/audit';
import { witnessLedger } from '../../contracts/witness-flow';
import type { PortalApi } from './api';

/** What the portal keeps heads in: the browser's localStorage (or a stand-in in tests). */
export type HeadStorage = Pick<Storage, 'getItem' | 'setItem'>;

const Reported = z.strictObject({ kept_root: z.string(), kept_size: z.number(), recorded: WitnessFailureRecorded });

/** The storage key of a ledger's kept head on a host: a portal on another host (another tenant's domain) keeps its own. */
export function keptHeadKey(host: string, ledger: string): string {
  return `bulkhead:witness:${host}:${ledger}`;
}

function read<T>(storage: HeadStorage, key: string, schema: z.ZodType<T>): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(storage.getItem(key) ?? 'null'));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The tenant portal as a witness of its tenant's ledger (#25), in the browser: the last head seen
 * is kept in localStorage per host and ledger (a head is a public signed statement, no secret), each
 * look checks the new head against it with a consistency proof (the console's and the CLI's check,
 * contracts/witness-flow.ts, on WebCrypto), and a failure is reported to the control plane
 * (`POST /v1/audit/witness-failures`, with the portal's CSRF header as every portal POST) once per
 * kept head.
 */
export function witnessTenantLedger(input: { api: PortalApi; storage: HeadStorage; host: string; ledger: string; now?: () => Date }): Promise<WitnessView> {
  const { api, storage, host, ledger } = input;
  const now = input.now ?? (() => new Date());
  const key = keptHeadKey(host, ledger);
  return witnessLedger({
    ledger,
    keys: async () => LedgerKeysView.parse(await api.get('/.well-known/bulkhead-ledger-keys')).keys,
    head: async () => SignedTreeHeadView.parse(await api.get('/v1/audit/head')),
    consistency: async (from, to) => ConsistencyProofView.parse(await api.get(`/v1/audit/consistency?from=${from}&to=${to}`)),
    kept: () => read(storage, key, KeptHead),
    keep: (head) => {
      const kept: KeptHead = { head, kept_at: now().toISOString() };
      storage.setItem(key, JSON.stringify(kept));
      return kept;
    },
    report: async (report) => WitnessFailureRecorded.parse(await api.send('POST', '/v1/audit/witness-failures', report)),
    reported: (kept) => {
      const earlier = read(storage, `${key}:reported`, Reported);
      return earlier !== null && earlier.kept_root === kept.root_hash && earlier.kept_size === kept.tree_size ? earlier.recorded : null;
    },
    remember: (kept, recorded) => storage.setItem(`${key}:reported`, JSON.stringify({ kept_root: kept.root_hash, kept_size: kept.tree_size, recorded })),
  });
}
