import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import type Database from 'better-sqlite3';
import type { IsolationModel } from '../../../contracts/tenants';
import type { TenantRef } from '../tenants';
import { openStore, type Mutex } from './connection';
import { TelemetryWriterThread } from './telemetry-writer-thread';

export interface SqliteLayout {
  /** The shared control store. */
  controlFile: string;
  /** The pooled telemetry store's cell 0 (the only one before cells). */
  telemetryFile: string;
  /** Siloed and hybrid tenants' own stores: `<dir>/<tenant id>/`. */
  tenantsDir: string;
}

export function sqliteLayout(dataDir: string): SqliteLayout {
  return { controlFile: join(dataDir, 'control-plane.db'), telemetryFile: join(dataDir, 'telemetry.db'), tenantsDir: join(dataDir, 'tenants') };
}

/** The file of a pooled telemetry cell: cell 0 is the original telemetry.db. */
export function telemetryCellFile(layout: SqliteLayout, cell: number): string {
  return cell === 0 ? layout.telemetryFile : layout.telemetryFile.replace(/(\.db)?$/, `-cell-${cell}.db`);
}

/**
 * Pooled tenants' telemetry is spread over this many cells by default: files of the same schema,
 * each with its own writer thread. One SQLite file commits one transaction at a time, fsync
 * included, so in one shared file a quiet tenant's commit waits for a busy neighbour's; in
 * different cells they commit side by side. A new pooled tenant goes to the cell with the fewest.
 */
export const DEFAULT_TELEMETRY_CELLS = 4;

/**
 * Where each tenant's data lives on SQLite, by isolation model: the shared control store, a
 * siloed tenant's own store, a hybrid tenant's own telemetry store, and the pooled telemetry cells
 * with their writer threads. Opens stores on first use; creates, removes and sweeps tenants' own.
 */
export class SqliteTenantStores {
  private readonly ownStores = new Map<string, Database.Database>();
  /** The pooled telemetry cells opened so far: their store and writer thread. */
  private readonly cells = new Map<number, { db: Database.Database; writer: TelemetryWriterThread }>();
  /** Pooled tenants' cells, as placed (a tenant never moves). */
  private readonly cellOfTenant = new Map<string, number>();
  /** Deleted pooled tenants whose telemetry is being removed (or was): their late batches are dropped. */
  private readonly purged = new Set<string>();
  /** The writer of every tenant's own telemetry store (hybrid and siloed). */
  readonly ownWriter = new TelemetryWriterThread();

  constructor(
    private readonly db: Database.Database,
    private readonly layout: SqliteLayout,
    private readonly telemetryCells: number,
    /** The control store's transactions (see SqliteStorage.transaction). */
    private readonly mutex: Mutex,
  ) {}

  private tenantDir(tenantId: string): string {
    return join(this.layout.tenantsDir, tenantId);
  }

  async create(tenantId: string, model: IsolationModel): Promise<() => Promise<void>> {
    if (model === 'pooled') {
      this.placeInCell(tenantId);
      return () => {
        this.db.prepare('DELETE FROM telemetry_cells WHERE tenant_id = ?').run(tenantId);
        this.cellOfTenant.delete(tenantId);
        return Promise.resolve();
      };
    }
    const dir = this.tenantDir(tenantId);
    const staging = `${dir}.creating`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    try {
      const file = model === 'siloed' ? 'tenant.db' : 'telemetry.db';
      openStore(join(staging, file), model === 'siloed' ? 'silo' : 'telemetry').close();
      // Migrated completely, then moved into place in one rename: no half-made silo is ever visible.
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw error;
    }
    await Promise.resolve();
    return () => this.remove(tenantId);
  }

  async remove(tenantId: string): Promise<void> {
    // The writer thread's connections first: an unlinked file stays on disk while any is open.
    // Its queue is in order, so every write posted before is committed once this answers.
    await this.ownWriter.forget(this.tenantDir(tenantId) + sep);
    const model = this.deletedModel(tenantId);
    if (model !== null && model !== 'pooled' && existsSync(this.tenantDir(tenantId))) {
      await this.retainLateCounters(tenantId, this.telemetryStore({ id: tenantId, isolationModel: model }));
    }
    for (const key of [tenantId, `telemetry:${tenantId}`]) {
      this.ownStores.get(key)?.close();
      this.ownStores.delete(key);
    }
    rmSync(this.tenantDir(tenantId), { recursive: true, force: true });
    await this.purgePooledTelemetry(tenantId);
  }

  /**
   * Removes a deleted pooled tenant's telemetry from its cell, a chunk per transaction on the
   * cell's writer thread, so other tenants' writes to the cell go on between chunks. Its batches
   * still on their way to the writer are dropped (they would be removed with the rest). Then its
   * placement goes: until that commits, a restart resumes the removal (sweepOrphans).
   */
  private async purgePooledTelemetry(tenantId: string): Promise<number> {
    const cell = this.db
      .prepare("SELECT c.cell FROM telemetry_cells c JOIN tenants t ON t.id = c.tenant_id WHERE c.tenant_id = ? AND t.state = 'deleted'")
      .pluck()
      .get(tenantId) as number | undefined;
    if (cell === undefined) return 0;
    this.purged.add(tenantId);
    const { db, writer } = this.cell(cell);
    const removed = await writer.purge(db.name, tenantId);
    // The purge went through the cell's writer queue in order: every batch written before it is committed now.
    await this.retainLateCounters(tenantId, db);
    await this.mutex.run(() => Promise.resolve(this.db.prepare('DELETE FROM telemetry_cells WHERE tenant_id = ?').run(tenantId)));
    this.cellOfTenant.delete(tenantId);
    return removed;
  }

  /** A deleted tenant's isolation model, or null if the tenant is not (or no longer) a deleted one. */
  private deletedModel(tenantId: string): IsolationModel | null {
    const row = this.db.prepare("SELECT isolation_model FROM tenants WHERE id = ? AND state = 'deleted'").get(tenantId) as { isolation_model: IsolationModel } | undefined;
    return row?.isolation_model ?? null;
  }

  /**
   * Billing's last look at a deleted tenant's counters before its telemetry goes. The delete copied
   * them into usage_retained in its transaction, but a batch admitted before the delete may have
   * been committed (and acknowledged) by a writer thread after that read. Counters only grow, so
   * the larger of the two values is the true one.
   */
  private async retainLateCounters(tenantId: string, telemetry: Database.Database): Promise<void> {
    const counters = telemetry.prepare('SELECT meter, day, value FROM usage_counters WHERE tenant_id = ?').all(tenantId) as { meter: string; day: string; value: number }[];
    if (counters.length === 0) return;
    const upsert = this.db.prepare(
      `INSERT INTO usage_retained (tenant_id, meter, day, value, level) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (tenant_id, meter, day) DO UPDATE SET value = MAX(usage_retained.value, excluded.value)`,
    );
    const raise = this.db.transaction(() => {
      for (const row of counters) upsert.run(tenantId, row.meter, row.day, row.value);
    });
    await this.mutex.run(() => {
      raise.immediate();
      return Promise.resolve();
    });
  }

  async sweepOrphans(): Promise<string[]> {
    // A crash between placing a pooled tenant and committing its row: the placement counts for nothing.
    this.db.prepare('DELETE FROM telemetry_cells WHERE tenant_id NOT IN (SELECT id FROM tenants)').run();
    const removed: string[] = [];
    // A crash while a deleted pooled tenant's telemetry was being removed: finish it. (Tenants
    // deleted before removal moved here kept their placement with no rows left: it just goes.)
    const deleted = this.db.prepare("SELECT c.tenant_id FROM telemetry_cells c JOIN tenants t ON t.id = c.tenant_id WHERE t.state = 'deleted'").pluck().all() as string[];
    for (const tenantId of deleted) {
      if ((await this.purgePooledTelemetry(tenantId)) > 0) removed.push(`telemetry of ${tenantId}`);
    }
    if (!existsSync(this.layout.tenantsDir)) {
      return removed;
    }
    const known = this.db.prepare("SELECT 1 FROM tenants WHERE id = ? AND state != 'deleted'").pluck();
    for (const entry of readdirSync(this.layout.tenantsDir)) {
      const id = entry.replace(/\.creating$/, '');
      if (entry.endsWith('.creating') || known.get(id) === undefined) {
        rmSync(join(this.layout.tenantsDir, entry), { recursive: true, force: true });
        removed.push(entry);
      }
    }
    return removed;
  }

  /** An own store of a tenant (`key`: its id for a silo, `telemetry:<id>` for a hybrid tenant's telemetry), opened on first use. */
  private ownStore(key: string, file: string, kind: 'silo' | 'telemetry', missing: string): Database.Database {
    let db = this.ownStores.get(key);
    if (db === undefined) {
      if (!existsSync(file)) {
        throw new Error(missing);
      }
      db = openStore(file, kind);
      this.ownStores.set(key, db);
    }
    return db;
  }

  /** The siloed tenant's own control store, opened on first use. */
  private silo(tenantId: string): Database.Database {
    return this.ownStore(tenantId, join(this.tenantDir(tenantId), 'tenant.db'), 'silo', `the silo of tenant ${tenantId} is missing`);
  }

  /**
   * Places a new pooled tenant in the cell with the fewest pooled tenants (the lowest such cell on
   * a tie). Counted: placed tenants that are live or still being created (placed before their row
   * is committed, so two creations at once are spread too), and tenants from before cells, which
   * have no placement and live in cell 0. Deleted tenants do not count.
   */
  private placeInCell(tenantId: string): number {
    const counts = new Array<number>(this.telemetryCells).fill(0);
    const placed = this.db
      .prepare(
        `SELECT c.cell AS cell, COUNT(*) AS tenants FROM telemetry_cells c LEFT JOIN tenants t ON t.id = c.tenant_id
         WHERE t.id IS NULL OR t.state != 'deleted' GROUP BY c.cell`,
      )
      .all() as { cell: number; tenants: number }[];
    for (const { cell, tenants } of placed) {
      if (cell < counts.length) counts[cell] = tenants;
    }
    const unplaced = this.db
      .prepare("SELECT COUNT(*) FROM tenants t WHERE t.isolation_model = 'pooled' AND t.state != 'deleted' AND NOT EXISTS (SELECT 1 FROM telemetry_cells c WHERE c.tenant_id = t.id)")
      .pluck()
      .get() as number;
    counts[0] = (counts[0] ?? 0) + unplaced;
    const cell = counts.indexOf(Math.min(...counts));
    this.db.prepare('INSERT INTO telemetry_cells (tenant_id, cell) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET cell = excluded.cell').run(tenantId, cell);
    this.cellOfTenant.set(tenantId, cell);
    return cell;
  }

  /** The cell holding a pooled tenant's telemetry. */
  private cellOf(tenantId: string): number {
    let cell = this.cellOfTenant.get(tenantId);
    if (cell === undefined) {
      cell = (this.db.prepare('SELECT cell FROM telemetry_cells WHERE tenant_id = ?').pluck().get(tenantId) as number | undefined) ?? 0;
      this.cellOfTenant.set(tenantId, cell);
    }
    return cell;
  }

  /** A pooled telemetry cell, opened (and migrated) on first use, with its own writer thread. */
  private cell(cell: number): { db: Database.Database; writer: TelemetryWriterThread } {
    let open = this.cells.get(cell);
    if (open === undefined) {
      open = { db: openStore(telemetryCellFile(this.layout, cell), 'telemetry'), writer: new TelemetryWriterThread() };
      this.cells.set(cell, open);
    }
    return open;
  }

  /** Whether a deleted pooled tenant's telemetry is being removed (its late batches are dropped). */
  isPurged(tenant: TenantRef): boolean {
    return this.purged.has(tenant.id);
  }

  /** The writer thread of a tenant's telemetry and its write lane: its cell's, or the one of all own stores. */
  telemetryWriter(tenant: TenantRef): { lane: string; writer: TelemetryWriterThread } {
    if (tenant.isolationModel !== 'pooled') {
      return { lane: `own:${tenant.id}`, writer: this.ownWriter };
    }
    const cell = this.cellOf(tenant.id);
    return { lane: `cell:${cell}`, writer: this.cell(cell).writer };
  }

  /** The store holding a tenant's telemetry: its pooled telemetry cell, a hybrid tenant's own file, or its silo. */
  telemetryStore(tenant: TenantRef): Database.Database {
    if (tenant.isolationModel === 'siloed') {
      return this.silo(tenant.id);
    }
    if (tenant.isolationModel === 'hybrid') {
      return this.ownStore(`telemetry:${tenant.id}`, join(this.tenantDir(tenant.id), 'telemetry.db'), 'telemetry', `the telemetry store of tenant ${tenant.id} is missing`);
    }
    return this.cell(this.cellOf(tenant.id)).db;
  }

  /** The store holding a tenant's control data: its silo, or the shared control store. */
  control(tenant: TenantRef): Database.Database {
    return tenant.isolationModel === 'siloed' ? this.silo(tenant.id) : this.db;
  }

  /** Stops the writer threads, then closes every store opened here (not the shared control store). */
  async close(): Promise<void> {
    await Promise.all([this.ownWriter.close(), ...[...this.cells.values()].map((cell) => cell.writer.close())]);
    for (const db of this.ownStores.values()) {
      db.close();
    }
    this.ownStores.clear();
    for (const cell of this.cells.values()) {
      cell.db.close();
    }
    this.cells.clear();
  }
}
