import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, useState, type SyntheticEvent } from 'react';
import { type IsolationModel } from '../../../contracts/tenants';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { clearingError } from '../forms';
import { hrefFor, navigate, useRoute } from '../router/hash-router';
import { queryFromView, viewFromQuery, type StateFilter, type TableView } from '../tenants/table-view';
import { tenantKeys, useTenantSummaries } from '../tenants/tenant-queries';
import { TenantTable } from '../tenants/tenant-table';
import { RunDemo } from '../simulation/run-demo';
import '../tenants/tenants.css';

const TenantPage = lazy(() => import('../tenants/tenant-page').then((module) => ({ default: module.TenantPage })));

export const isolationLabels: Record<IsolationModel, string> = {
  pooled: 'Pooled (shared stores)',
  siloed: 'Siloed (own store for all data)',
  hybrid: 'Hybrid (own telemetry store)',
};

const stateLabels: Record<StateFilter, string> = { live: 'Active and suspended', all: 'All, deleted included', active: 'Active', suspended: 'Suspended', deleted: 'Deleted' };

/** Tenants: `#/tenants` (with its view in the query) is the table, `#/tenants/<slug>[/<tab>]` a tenant's page. */
export function TenantsView() {
  const route = useRoute();
  const slug = route?.segments[1];
  if (slug !== undefined) {
    return <TenantPage slug={slug} tab={route?.segments[2] ?? 'overview'} query={route?.query ?? {}} />;
  }
  return <TenantList query={route?.query ?? {}} />;
}

function TenantList({ query }: { query: Readonly<Record<string, string>> }) {
  const api = useApi();
  const client = useQueryClient();
  const { query: summaries, tenants, loadingMore } = useTenantSummaries();
  const license = useQuery({ queryKey: tenantKeys.license, queryFn: () => api.call('license:get', {}) });
  const view = viewFromQuery(query);
  // Every change of the view is a URL: replaced while typing a search (Back skips keystrokes), a new entry otherwise.
  const show = (next: TableView, replace = false) => {
    navigate('/tenants', { query: queryFromView(next), replace });
  };
  const refresh = async () => {
    await Promise.all([client.invalidateQueries({ queryKey: tenantKeys.summaries }), client.invalidateQueries({ queryKey: tenantKeys.license })]);
  };

  return (
    <section aria-labelledby="tenants-heading" className="tenants-screen">
      <h1 id="tenants-heading">Tenants</h1>
      {license.data ? (
        <p className="lead" data-testid="license-summary">
          {license.data.tenants_used} of {license.data.tenant_band} tenants in use · {license.data.tier} tier · licensed to {license.data.licensee} until{' '}
          {new Date(license.data.expires_at).toLocaleDateString()}
        </p>
      ) : null}
      <NewTenantForm onCreated={refresh} />
      <div className="table-toolbar" role="search" aria-label="Filter tenants">
        <div className="field">
          <label htmlFor="tenant-search">Search tenants</label>
          <input
            id="tenant-search"
            type="search"
            value={view.search}
            placeholder="Slug, name, plan or residency"
            maxLength={200}
            onChange={(event) => {
              show({ ...view, search: event.target.value }, true);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="tenant-state">State</label>
          <select id="tenant-state" value={view.state} onChange={(event) => show({ ...view, state: event.target.value as StateFilter })}>
            {(Object.keys(stateLabels) as StateFilter[]).map((state) => (
              <option key={state} value={state}>
                {stateLabels[state]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="tenant-isolation">Isolation model</label>
          <select id="tenant-isolation" value={view.isolation ?? ''} onChange={(event) => show({ ...view, isolation: (event.target.value || null) as IsolationModel | null })}>
            <option value="">Any</option>
            {(Object.keys(isolationLabels) as IsolationModel[]).map((model) => (
              <option key={model} value={model}>
                {model}
              </option>
            ))}
          </select>
        </div>
        {loadingMore ? (
          <p className="muted loading-more" role="status">
            Loading more tenants… {tenants.length.toLocaleString()} so far
          </p>
        ) : null}
      </div>
      {summaries.isError ? (
        <FormAlert title="Tenants could not be loaded" messages={[describeError(summaries.error)]} onDismiss={() => void summaries.refetch()} />
      ) : null}
      {summaries.isPending ? (
        <p className="muted" role="status">
          Loading tenants…
        </p>
      ) : null}
      {summaries.isSuccess ? (
        tenants.length === 0 ? (
          <RunDemo />
        ) : (
          <TenantTable tenants={tenants} view={view} onSort={(sort) => show({ ...view, sort })} />
        )
      ) : null}
    </section>
  );
}

function NewTenantForm({ onCreated }: { onCreated: () => Promise<void> }) {
  const api = useApi();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [isolation, setIsolation] = useState<IsolationModel>('pooled');
  const [residency, setResidency] = useState('');
  const create = useMutation({
    mutationFn: () => api.call('tenants:create', { slug: slug.trim(), name: name.trim(), isolation_model: isolation, ...(residency.trim() ? { residency: residency.trim() } : {}) }),
    onSuccess: async () => {
      setSlug('');
      setName('');
      setResidency('');
      await onCreated();
    },
  });
  // A refusal (a taken slug, say) is about the values sent: editing any of them clears it.
  const edit = <T,>(set: (value: T) => void) => clearingError(create, set);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="form-inline" onSubmit={submit} aria-label="New tenant" aria-busy={create.isPending}>
      <TextField label="Slug" name="slug" value={slug} onChange={edit(setSlug)} hint="A lowercase DNS label, 3-63 characters; it never changes." maxLength={63} />
      <TextField label="Name" name="name" value={name} onChange={edit(setName)} maxLength={200} />
      <div className="field">
        <label htmlFor="new-tenant-isolation">Isolation</label>
        <select
          id="new-tenant-isolation"
          value={isolation}
          onChange={(event) => {
            edit(setIsolation)(event.target.value as IsolationModel);
          }}
        >
          {(Object.keys(isolationLabels) as IsolationModel[]).map((model) => (
            <option key={model} value={model}>
              {isolationLabels[model]}
            </option>
          ))}
        </select>
      </div>
      <TextField label="Residency" name="residency" value={residency} onChange={edit(setResidency)} hint="Optional region code, e.g. eu." maxLength={32} required={false} />
      <button type="submit" className="button button-primary" disabled={create.isPending || slug.trim() === '' || name.trim() === ''}>
        Create tenant
      </button>
      {create.isError ? <FormAlert title="The tenant was not created" messages={[describeError(create.error)]} /> : null}
      {create.isSuccess ? (
        <Notice tone="success" title={`Tenant ${create.data.slug} created`}>
          <p>
            <a href={hrefFor(`/tenants/${create.data.slug}`)}>Continue onboarding {create.data.slug}</a>: plan, quotas, identity and an admin token.
          </p>
        </Notice>
      ) : null}
    </form>
  );
}
