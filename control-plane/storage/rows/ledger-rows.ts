import { z } from 'zod';
import type { StoredEntry, StoredHead } from '../../audit/ledger-chain';
import { bytes, integer, optionalText, text } from './columns';

/**
 * Ledger entry and head rows, the same on both engines. An entry's tenant is a column (SQLite's
 * tenant_id, PostgreSQL's subject_tenant on the provider ledger) or, on a PostgreSQL tenant
 * ledger, the ledger's own tenant.
 */
const EntryRow = z.object({
  seq: integer,
  ts: text,
  actor: text,
  event_type: text,
  tenant_id: optionalText.optional(),
  subject_tenant: optionalText.optional(),
  details: text,
  leaf_hash: bytes,
  mac: bytes,
});

type EntryRow = z.infer<typeof EntryRow>;
const isText = (value: unknown): value is string => typeof value === 'string';
const isOptionalText = (value: unknown): value is string | null | undefined => value === undefined || value === null || typeof value === 'string';

/**
 * The row's fields when they already have their types (SQLite's rows always do): verify reads every
 * row of a ledger, and zod's parse was a third of its time. Anything else goes through the schema,
 * which coerces (PostgreSQL's bigint as text) or fails loudly as before.
 */
function entryRow(value: unknown): EntryRow {
  if (typeof value === 'object' && value !== null) {
    const row = value as Record<string, unknown>;
    if (
      Number.isSafeInteger(row.seq) &&
      isText(row.ts) &&
      isText(row.actor) &&
      isText(row.event_type) &&
      isOptionalText(row.tenant_id) &&
      isOptionalText(row.subject_tenant) &&
      isText(row.details) &&
      Buffer.isBuffer(row.leaf_hash) &&
      Buffer.isBuffer(row.mac)
    ) {
      return row as EntryRow;
    }
  }
  return EntryRow.parse(value);
}

export function storedEntryFromRow(value: unknown, ledgerTenant: string | null = null): StoredEntry {
  const row = entryRow(value);
  return {
    seq: row.seq,
    ts: row.ts,
    actor: row.actor,
    eventType: row.event_type,
    tenantId: ledgerTenant ?? row.subject_tenant ?? row.tenant_id ?? null,
    detailsJson: row.details,
    leafHash: row.leaf_hash,
    mac: row.mac,
  };
}

/** The columns every entry table has, in insert order (each engine adds its ledger and tenant columns). */
export const ENTRY_COLUMNS = ['seq', 'ts', 'actor', 'event_type', 'details', 'leaf_hash', 'mac'] as const;

export function entryColumns(entry: StoredEntry): Record<(typeof ENTRY_COLUMNS)[number], string | number | Buffer> {
  return { seq: entry.seq, ts: entry.ts, actor: entry.actor, event_type: entry.eventType, details: entry.detailsJson, leaf_hash: entry.leafHash, mac: entry.mac };
}

export const HEAD_COLUMNS = 'size, root, frontier, mac';

const HeadRow = z.object({ size: integer, root: bytes, frontier: bytes, mac: bytes });

export function storedHeadFromRow(value: unknown): StoredHead | null {
  return value === undefined ? null : HeadRow.parse(value);
}

/** A leaf_hash column, as `leafHashes` reads them. */
export const leafHashFromRow = (value: unknown): Buffer => bytes.parse(value);
