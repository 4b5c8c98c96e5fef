import { useQuery } from '@tanstack/react-query';
import { type ComponentType } from 'react';
import { type Tenant } from '../../../contracts/tenants';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { describeError } from '../error-text';
import { hrefFor } from '../router/hash-router';
import { TenantBranding } from '../console-tabs/tenant-branding';
import { TenantUsage } from '../console-tabs/tenant-usage';
import { TenantAudit } from './tenant-audit';
import { TenantBreakGlass } from './tenant-break-glass';
import { TenantIdentity } from './tenant-identity';
import { TenantOverview } from './tenant-overview';
import { TenantQuotas } from './tenant-quotas';
import { tenantKeys } from './tenant-queries';

export type TabProps = { tenant: Tenant; query: Readonly<Record<string, string>> };

/** A tenant's tabs, each a URL: `#/tenants/<slug>` is the first, `#/tenants/<slug>/<id>` the others. */
const tabs: readonly { id: string; label: string; View: ComponentType<TabProps> }[] = [
  { id: 'overview', label: 'Overview', View: TenantOverview },
  { id: 'quotas', label: 'Quotas & Fairness', View: TenantQuotas },
  { id: 'identity', label: 'Identity', View: TenantIdentity },
  { id: 'branding', label: 'Branding', View: TenantBranding },
  { id: 'usage', label: 'Usage', View: TenantUsage },
  { id: 'break-glass', label: 'Break-glass', View: TenantBreakGlass },
  { id: 'audit', label: 'Audit', View: TenantAudit },
];

export const tabHref = (slug: string, tab: string) => hrefFor(tab === 'overview' ? `/tenants/${slug}` : `/tenants/${slug}/${tab}`);

export function TenantPage({ slug, tab, query }: { slug: string; tab: string; query: Readonly<Record<string, string>> }) {
  const api = useApi();
  const tenant = useQuery({ queryKey: tenantKeys.one(slug), queryFn: () => api.call('tenants:get', { tenant: slug }) });
  const current = tabs.find((item) => item.id === tab);
  return (
    <section aria-labelledby="tenant-heading" className="tenant-page">
      <p className="breadcrumb">
        <a href={hrefFor('/tenants')}>Tenants</a> / <code>{slug}</code>
      </p>
      <h1 id="tenant-heading">
        {tenant.data?.name ?? slug}{' '}
        {tenant.data ? <span className={`state state-${tenant.data.state}`}>{tenant.data.state}</span> : null}
      </h1>
      <nav className="tabs" aria-label="Tenant sections">
        {tabs.map((item) => (
          <a key={item.id} className="tab" href={tabHref(slug, item.id)} aria-current={item.id === current?.id ? 'page' : undefined}>
            {item.label}
          </a>
        ))}
      </nav>
      {tenant.isPending ? (
        <p className="muted" role="status">
          Loading {slug}…
        </p>
      ) : null}
      {tenant.isError ? (
        isConsoleError(tenant.error) && tenant.error.code === 'not_found' ? (
          <div>
            <p className="lead">There is no tenant {slug}.</p>
            <a className="button" href={hrefFor('/tenants')}>
              Back to tenants
            </a>
          </div>
        ) : (
          <FormAlert title={`${slug} could not be loaded`} messages={[describeError(tenant.error)]} onDismiss={() => void tenant.refetch()} />
        )
      ) : null}
      {tenant.data ? current ? <current.View tenant={tenant.data} query={query} /> : <p className="lead">This tenant has no tab {tab}.</p> : null}
    </section>
  );
}
