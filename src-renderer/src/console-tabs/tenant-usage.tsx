import { type TabProps } from '../tenants/tenant-page';
import { UsagePanel } from './usage-panel';

/** Usage: this tenant's meters for a period as CSV or JSON (the billing export's columns), and its PDF report. */
export function TenantUsage({ tenant }: TabProps) {
  return (
    <div className="tab-panel">
      <h2>Usage</h2>
      <p className="muted form-lead">
        Counts for billing: results ingested, ingest bytes, flow events and AI calls summed over the period; agents and tests at their peak. Deleted tenants keep their usage.
      </p>
      <UsagePanel tenant={{ id: tenant.id, slug: tenant.slug }} />
    </div>
  );
}
