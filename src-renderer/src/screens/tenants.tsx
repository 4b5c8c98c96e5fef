import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type SyntheticEvent } from 'react';
import { type IsolationModel, type Tenant } from '../../../contracts/tenants';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { usePanel, type Panel } from '../components/use-panel';
import { describeError } from '../error-text';
import { clearingError } from '../forms';

export const tenantKeys = {
  list: ['tenants', 'list'] as const,
  license: ['license'] as const,
};

type PendingAction = { slug: string; action: 'suspend' | 'resume' | 'delete' };

/** The lifecycle buttons of a row, each opening its panel; Delete is red from the start. */
const rowActions: readonly { action: PendingAction['action']; label: string; className: string; shown: (tenant: Tenant) => boolean }[] = [
  { action: 'suspend', label: 'Suspend', className: 'button', shown: (tenant) => tenant.state === 'active' },
  { action: 'resume', label: 'Resume', className: 'button', shown: (tenant) => tenant.state === 'suspended' },
  { action: 'delete', label: 'Delete', className: 'button button-danger-outline', shown: (tenant) => tenant.state !== 'deleted' },
];

const isolationLabels: Record<IsolationModel, string> = {
  pooled: 'Pooled (shared stores)',
  siloed: 'Siloed (own store for all data)',
  hybrid: 'Hybrid (own telemetry store)',
};

/** Tenants: the license band, the list, provisioning and the lifecycle (suspend, resume, delete). */
export function TenantsView() {
  const api = useApi();
  const client = useQueryClient();
  const tenants = useQuery({ queryKey: tenantKeys.list, queryFn: () => api.call('tenants:list', { limit: 1000 }) });
  const license = useQuery({ queryKey: tenantKeys.license, queryFn: () => api.call('license:get', {}) });
  // One lifecycle panel at a time, under its tenant's row; Escape or Cancel closes it.
  const panel = usePanel<PendingAction>();
  const refresh = async () => {
    await Promise.all([client.invalidateQueries({ queryKey: tenantKeys.list }), client.invalidateQueries({ queryKey: tenantKeys.license })]);
  };

  return (
    <section aria-labelledby="tenants-heading">
      <h1 id="tenants-heading">Tenants</h1>
      {license.data ? (
        <p className="lead" data-testid="license-summary">
          {license.data.tenants_used} of {license.data.tenant_band} tenants in use · {license.data.tier} tier · licensed to {license.data.licensee} until{' '}
          {new Date(license.data.expires_at).toLocaleDateString()}
        </p>
      ) : null}
      <NewTenantForm onCreated={refresh} />
      {tenants.isError ? <FormAlert title="Tenants could not be loaded" messages={[describeError(tenants.error)]} /> : null}
      {tenants.data ? (
        tenants.data.items.length === 0 ? (
          <p className="muted">No tenants yet.</p>
        ) : (
          <table className="table">
            <caption className="visually-hidden">Tenants</caption>
            <thead>
              <tr>
                <th scope="col">Slug</th>
                <th scope="col">Name</th>
                <th scope="col">Isolation</th>
                <th scope="col">Residency</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.items.map((tenant) => (
                <TenantRow key={tenant.id} tenant={tenant} panel={panel} onChanged={refresh} />
              ))}
            </tbody>
          </table>
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
    </form>
  );
}

function TenantRow({ tenant, panel, onChanged }: { tenant: Tenant; panel: Panel<PendingAction>; onChanged: () => Promise<void> }) {
  const api = useApi();
  const pending = panel.value?.slug === tenant.slug ? panel.value : null;
  const [reason, setReason] = useState('');
  const [confirmSlug, setConfirmSlug] = useState('');
  const act = useMutation({
    mutationFn: async (action: 'suspend' | 'resume' | 'delete') => {
      if (action === 'delete') {
        await api.call('tenants:delete', { tenant: tenant.id });
      } else {
        await api.call(action === 'suspend' ? 'tenants:suspend' : 'tenants:resume', { tenant: tenant.id, reason: reason.trim() });
      }
    },
    onSuccess: async () => {
      panel.close();
      await onChanged();
    },
  });
  // Closing the panel (Cancel, Escape, success) or switching it to another action abandons what
  // was typed and the last refusal: neither applies any more.
  const { reset } = act;
  const openAction = pending?.action ?? null;
  useEffect(() => {
    reset();
    setReason('');
    setConfirmSlug('');
  }, [openAction, reset]);
  const edit = <T,>(set: (value: T) => void) => clearingError(act, set);
  return (
    <>
      <tr>
        <td className="cell-wrap">
          <code>{tenant.slug}</code>
        </td>
        <td className="cell-wrap">{tenant.name}</td>
        <td>{tenant.isolation_model}</td>
        <td className="cell-wrap">{tenant.residency ?? '—'}</td>
        <td>
          <span className={`state state-${tenant.state}`}>{tenant.state}</span>
        </td>
        <td>{new Date(tenant.created_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</td>
        <td className="actions">
          <div>
            {rowActions
              .filter((item) => item.shown(tenant))
              .map((item) => (
                <button
                  key={item.action}
                  type="button"
                  className={item.className}
                  aria-label={`${item.label} ${tenant.slug}`}
                  aria-expanded={pending?.action === item.action}
                  onClick={(event) => {
                    panel.open({ slug: tenant.slug, action: item.action }, event.currentTarget);
                  }}
                >
                  {item.label}
                </button>
              ))}
          </div>
        </td>
      </tr>
      {pending ? (
        <tr className="row-detail">
          <td colSpan={7}>
            <form
              className="form-inline"
              aria-label={`${pending.action} ${tenant.slug}`}
              onSubmit={(event) => {
                event.preventDefault();
                act.mutate(pending.action);
              }}
            >
              {pending.action === 'delete' ? (
                <TextField
                  label={`Type ${tenant.slug} to delete it`}
                  name="confirm"
                  value={confirmSlug}
                  onChange={edit(setConfirmSlug)}
                  autoFocus
                  hint="Its data key is destroyed: its data can never be read again. The audit trail stays."
                />
              ) : (
                <TextField label="Reason" name="reason" value={reason} onChange={edit(setReason)} autoFocus hint="Written to the provider and tenant ledgers." maxLength={1000} />
              )}
              <button
                type="submit"
                className={pending.action === 'resume' ? 'button button-success' : 'button button-danger'}
                disabled={act.isPending || (pending.action === 'delete' ? confirmSlug !== tenant.slug : reason.trim() === '')}
              >
                {pending.action === 'delete' ? 'Delete permanently' : pending.action === 'suspend' ? 'Confirm suspend' : 'Confirm resume'}
              </button>
              <button type="button" className="button" onClick={panel.close}>
                Cancel
              </button>
              {act.isError ? <FormAlert title="The change was not made" messages={[describeError(act.error)]} /> : null}
            </form>
          </td>
        </tr>
      ) : null}
    </>
  );
}
