import type pg from 'pg';
import type { IsolationModel } from '../../../contracts/tenants';
import { text } from '../rows/columns';
import type { Row } from './tenant-context';

/**
 * Siloed and hybrid tenants' own schemas (bh_t_<tenant id without dashes>). The app role cannot
 * create or drop schemas: it asks the owner's SECURITY DEFINER functions (see schema.ts), which
 * drop only the schema of a tenant that is deleted or was never committed.
 */
export class PostgresTenantStores {
  constructor(private readonly pool: pg.Pool) {}

  async create(tenantId: string, model: IsolationModel): Promise<() => Promise<void>> {
    if (model === 'pooled') {
      return () => Promise.resolve();
    }
    await this.pool.query<Row>('SELECT bh.create_tenant_schema($1, $2)', [tenantId, model]);
    return () => this.remove(tenantId);
  }

  async remove(tenantId: string): Promise<void> {
    await this.pool.query<Row>('SELECT bh.drop_tenant_schema($1)', [tenantId]);
  }

  async sweepOrphans(): Promise<string[]> {
    const rows = (
      await this.pool.query<Row>(
        `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bh\\_t\\_%'
         AND NOT EXISTS (SELECT 1 FROM bh.tenants t WHERE 'bh_t_' || replace(t.id::text, '-', '') = nspname AND t.state <> 'deleted')`,
      )
    ).rows;
    const removed: string[] = [];
    for (const row of rows) {
      const schema = text.parse(row.nspname);
      const hex = schema.slice('bh_t_'.length);
      const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      await this.remove(id);
      removed.push(schema);
    }
    return removed;
  }
}
