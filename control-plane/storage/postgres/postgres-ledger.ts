import type pg from 'pg';
import type { StoredEntry } from '../../audit/ledger-chain';
import { PROVIDER_LEDGER } from '../../audit/ledger-ids';
import type { SubtreeRef } from '../../audit/merkle';
import type { LedgerRowReader, LedgerRowWriter } from '../ledger';
import { integer } from '../rows/columns';
import { ENTRY_COLUMNS, HEAD_COLUMNS, entryColumns, leafHashFromRow, storedEntryFromRow, storedHeadFromRow } from '../rows/ledger-rows';
import { nodeBeyond, verifyPostgresOffThread } from './postgres-ledger-verify';
import { enterTenant, insertSql, readAs, valuesOf, type Queryable, type Row } from './tenant-context';

/**
 * Ledger rows in schema bh: the provider ledger (provider_ledger, provider_ledger_head: one row)
 * and every tenant's (tenant_ledger, tenant_ledger_heads, keyed by tenant: tenant-owned, read and
 * written in the tenant's context). Hashing, signing and verifying: see ../ledger.ts.
 */

/** Where a ledger's rows are. */
function tables(ledgerId: string) {
  const provider = ledgerId === PROVIDER_LEDGER;
  return {
    /** The tenant context its statements need (none for the provider ledger). */
    tenant: provider ? null : ledgerId,
    entries: provider ? 'bh.provider_ledger' : 'bh.tenant_ledger',
    nodes: provider ? 'bh.provider_ledger_nodes' : 'bh.tenant_ledger_nodes',
    /** WHERE clauses picking this ledger's rows (`$1` binds the tenant on a tenant ledger). */
    own: provider ? [] : ['tenant_id = $1'],
    ownValues: provider ? [] : [ledgerId],
    head: provider ? `SELECT ${HEAD_COLUMNS} FROM bh.provider_ledger_head` : `SELECT ${HEAD_COLUMNS} FROM bh.tenant_ledger_heads WHERE tenant_id = $1`,
  };
}

/** The rows' entries; a tenant ledger's entries are of the ledger's own tenant. */
const entriesOf = (ledgerId: string, rows: Row[]): StoredEntry[] => rows.map((row) => storedEntryFromRow(row, ledgerId === PROVIDER_LEDGER ? null : ledgerId));

async function readHead(client: Queryable, ledgerId: string) {
  const at = tables(ledgerId);
  return storedHeadFromRow((await client.query<Row>(at.head, at.ownValues)).rows[0]);
}

/** Entries newest first, with conditions after the ledger's own (bound from `$n` on). */
async function selectEntries(client: Queryable, ledgerId: string, conditions: [clause: string, value: unknown][], limit: number): Promise<StoredEntry[]> {
  const at = tables(ledgerId);
  const clauses = [...at.own];
  const values: unknown[] = [...at.ownValues];
  for (const [clause, value] of conditions) {
    values.push(value);
    clauses.push(clause.replace('?', `$${values.length}`));
  }
  values.push(limit);
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return entriesOf(ledgerId, (await client.query<Row>(`SELECT * FROM ${at.entries} ${where} ORDER BY seq DESC LIMIT $${values.length}`, values)).rows);
}

/** The stored nodes asked for, in order; null for one not stored. */
async function readNodes(client: Queryable, ledgerId: string, refs: readonly SubtreeRef[]): Promise<(Buffer | null)[]> {
  if (refs.length === 0) return [];
  const at = tables(ledgerId);
  const n = at.ownValues.length;
  // One statement for every node a proof needs: (level, idx) pairs as two arrays.
  const sql = `SELECT level, idx, hash FROM ${at.nodes} WHERE ${[...at.own, `(level, idx) IN (SELECT * FROM unnest($${n + 1}::smallint[], $${n + 2}::bigint[]))`].join(' AND ')}`;
  const rows = (await client.query<Row>(sql, [...at.ownValues, refs.map((ref) => ref.level), refs.map((ref) => ref.index)])).rows;
  const found = new Map(rows.map((row) => [`${integer.parse(row.level)}/${integer.parse(row.idx)}`, leafHashFromRow(row.hash)]));
  return refs.map((ref) => found.get(`${ref.level}/${ref.index}`) ?? null);
}

/** Ledgers of this many entries or more are verified on a thread (as on SQLite, sqlite-ledger.ts). */
const OFF_THREAD_FROM = 4_096;

/** `connectionString` (the pool's) lets a large ledger's verify run on a thread with a connection of its own. */
export function postgresLedgerReader(pool: pg.Pool, connectionString?: string): LedgerRowReader {
  const read = <T>(ledgerId: string, fn: (client: Queryable) => Promise<T>) => readAs(pool, tables(ledgerId).tenant, fn);
  return {
    entries: (ledgerId, query) =>
      read(ledgerId, (client) => {
        const conditions: [string, unknown][] = [];
        if (ledgerId === PROVIDER_LEDGER && query.tenantId !== undefined) conditions.push(['subject_tenant = ?', query.tenantId]);
        if (query.eventType !== undefined) conditions.push(['event_type = ?', query.eventType]);
        if (query.beforeSeq !== undefined) conditions.push(['seq < ?', query.beforeSeq]);
        return selectEntries(client, ledgerId, conditions, query.limit);
      }),
    entry: (ledgerId, seq) => read(ledgerId, async (client) => (await selectEntries(client, ledgerId, [['seq = ?', seq]], 1))[0] ?? null),
    head: (ledgerId) => read(ledgerId, (client) => readHead(client, ledgerId)),
    leafHashes: (ledgerId, size) =>
      read(ledgerId, async (client) => {
        const at = tables(ledgerId);
        const rows = (await client.query<Row>(`SELECT leaf_hash FROM ${at.entries} WHERE ${[...at.own, `seq <= $${at.ownValues.length + 1}`].join(' AND ')} ORDER BY seq`, [...at.ownValues, size])).rows;
        return rows.map((row) => leafHashFromRow(row.leaf_hash));
      }),
    leafRange: (ledgerId, start, end) =>
      read(ledgerId, async (client) => {
        const at = tables(ledgerId);
        const n = at.ownValues.length;
        const rows = (await client.query<Row>(`SELECT leaf_hash FROM ${at.entries} WHERE ${[...at.own, `seq > $${n + 1}`, `seq <= $${n + 2}`].join(' AND ')} ORDER BY seq`, [...at.ownValues, start, end])).rows;
        return rows.map((row) => leafHashFromRow(row.leaf_hash));
      }),
    nodes: (ledgerId, refs) => read(ledgerId, (client) => readNodes(client, ledgerId, refs)),
    verifyOffThread: async (ledgerId, key, signedHead) => {
      if (connectionString === undefined) return null;
      const head = await read(ledgerId, (client) => readHead(client, ledgerId));
      if ((head?.size ?? 0) < OFF_THREAD_FROM) return null;
      const at = tables(ledgerId);
      return verifyPostgresOffThread(connectionString, key, ledgerId, { tenant: at.tenant, entries: at.entries, nodes: at.nodes, head: at.head, own: at.own[0] ?? null }, signedHead);
    },
    // One REPEATABLE READ transaction: the pages, the head and the nodes are read as of one moment.
    scan: (ledgerId, check) =>
      readAs(pool, tables(ledgerId).tenant, (client) => {
        const at = tables(ledgerId);
        const page = 10_000;
        const entries = async function* (): AsyncGenerator<StoredEntry> {
          for (let after = 0; ; after += page) {
            const range = [...at.own, `seq > $${at.ownValues.length + 1}`, `seq <= $${at.ownValues.length + 2}`];
            yield* entriesOf(ledgerId, (await client.query<Row>(`SELECT * FROM ${at.entries} WHERE ${range.join(' AND ')} ORDER BY seq`, [...at.ownValues, after, after + page])).rows);
            const where = at.own.length > 0 ? `WHERE ${at.own.join(' AND ')}` : '';
            const max = (await client.query<Row>(`SELECT COALESCE(MAX(seq), 0) AS m FROM ${at.entries} ${where}`, at.ownValues)).rows[0];
            if (after + page >= integer.parse(max?.m)) {
              return;
            }
          }
        };
        return check(entries(), () => readHead(client, ledgerId), {
          read: (refs) => readNodes(client, ledgerId, refs),
          beyond: (size) => nodeBeyond(client, { tenant: at.tenant, nodes: at.nodes, own: at.own[0] ?? null }, size),
        });
      }, 'repeatable read'),
  };
}

/** Appends under a row lock on the ledger's head, so appends from several replicas stay in one order. */
export function postgresLedgerWriter(client: pg.PoolClient): LedgerRowWriter {
  return {
    headForAppend: async (ledgerId) => {
      const at = tables(ledgerId);
      if (at.tenant !== null) {
        await enterTenant(client, at.tenant);
      }
      const lock = `${at.head} FOR UPDATE`;
      let head = storedHeadFromRow((await client.query<Row>(lock, at.ownValues)).rows[0]);
      if (head === null) {
        // First entry: create the head row (size 0) once; a concurrent first append waits on it.
        if (at.tenant === null) {
          await client.query<Row>("INSERT INTO bh.provider_ledger_head (only_row, size, root, frontier, mac) VALUES (true, 0, '\\x', '\\x', '\\x') ON CONFLICT DO NOTHING");
        } else {
          await client.query<Row>("INSERT INTO bh.tenant_ledger_heads (tenant_id, size, root, frontier, mac) VALUES ($1, 0, '\\x', '\\x', '\\x') ON CONFLICT DO NOTHING", [ledgerId]);
        }
        head = storedHeadFromRow((await client.query<Row>(lock, at.ownValues)).rows[0]);
      }
      return head;
    },
    insert: async (ledgerId, entry) => {
      const values = valuesOf(entryColumns(entry), ENTRY_COLUMNS);
      if (ledgerId === PROVIDER_LEDGER) {
        await client.query<Row>(insertSql('bh.provider_ledger', ['subject_tenant', ...ENTRY_COLUMNS]), [entry.tenantId, ...values]);
      } else {
        await client.query<Row>(insertSql('bh.tenant_ledger', ['tenant_id', ...ENTRY_COLUMNS]), [ledgerId, ...values]);
      }
    },
    saveHead: async (ledgerId, head, nodes) => {
      const levels = nodes.map((node) => node.level);
      const indexes = nodes.map((node) => node.index);
      const hashes = nodes.map((node) => node.hash);
      if (ledgerId === PROVIDER_LEDGER) {
        await client.query<Row>('UPDATE bh.provider_ledger_head SET size = $1, root = $2, frontier = $3, mac = $4', [head.size, head.root, head.frontier, head.mac]);
        if (nodes.length > 0) {
          await client.query<Row>('INSERT INTO bh.provider_ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])', [levels, indexes, hashes]);
        }
      } else {
        // Another tenant's ledger may have been appended to since: the context is the one this head's.
        await enterTenant(client, ledgerId);
        await client.query<Row>('UPDATE bh.tenant_ledger_heads SET size = $2, root = $3, frontier = $4, mac = $5 WHERE tenant_id = $1', [ledgerId, head.size, head.root, head.frontier, head.mac]);
        if (nodes.length > 0) {
          await client.query<Row>('INSERT INTO bh.tenant_ledger_nodes (tenant_id, level, idx, hash) SELECT $1::uuid, * FROM unnest($2::smallint[], $3::bigint[], $4::bytea[])', [ledgerId, levels, indexes, hashes]);
        }
      }
    },
  };
}
