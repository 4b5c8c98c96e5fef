import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type SyntheticEvent } from 'react';
import { type Tenant } from '../../../contracts/tenants';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { TextField } from '../components/text-field';
import { usePanel } from '../components/use-panel';
import { describeError } from '../error-text';
import { clearingError } from '../forms';
import { navigate } from '../router/hash-router';
import { fieldErrors } from './field-errors';
import { type TabProps } from './tenant-page';
import { tenantKeys } from './tenant-queries';

type Action = 'suspend' | 'resume' | 'delete';

/** The lifecycle buttons, each opening its confirmation; Delete is red from the start. */
const actions: readonly { action: Action; label: string; className: string; shown: (tenant: Tenant) => boolean }[] = [
  { action: 'suspend', label: 'Suspend', className: 'button', shown: (tenant) => tenant.state === 'active' },
  { action: 'resume', label: 'Resume', className: 'button', shown: (tenant) => tenant.state === 'suspended' },
  { action: 'delete', label: 'Delete', className: 'button button-danger-outline', shown: (tenant) => tenant.state !== 'deleted' },
];

/** Overview: what the tenant is, its plan and contact (editable), and its lifecycle. */
export function TenantOverview({ tenant }: TabProps) {
  return (
    <div className="tab-panel">
      <dl className="facts">
        <div>
          <dt>Slug</dt>
          <dd>
            <code>{tenant.slug}</code>
          </dd>
        </div>
        <div>
          <dt>Isolation</dt>
          <dd>{tenant.isolation_model}</dd>
        </div>
        <div>
          <dt>Residency</dt>
          <dd>{tenant.residency ?? 'Not set'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{new Date(tenant.created_at).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Ownership</dt>
          <dd>{tenant.handed_over_at ? `Handed over ${new Date(tenant.handed_over_at).toLocaleString()}` : 'Onboarding (held by the provider)'}</dd>
        </div>
        <div>
          <dt>In use</dt>
          <dd>
            {tenant.counts.agents} of {tenant.quotas.max_agents} agents · {tenant.counts.users} of {tenant.quotas.max_users} users · {tenant.counts.tests} of {tenant.quotas.max_tests} tests
          </dd>
        </div>
      </dl>
      {tenant.state === 'deleted' ? null : <ProfileForm key={tenant.id} tenant={tenant} />}
      <Lifecycle tenant={tenant} />
    </div>
  );
}

const profileFields = ['name', 'plan', 'contact_email'] as const;

function ProfileForm({ tenant }: { tenant: Tenant }) {
  const api = useApi();
  const client = useQueryClient();
  const [name, setName] = useState(tenant.name);
  const [plan, setPlan] = useState(tenant.plan ?? '');
  const [contact, setContact] = useState(tenant.contact_email ?? '');
  const save = useMutation({
    // An emptied plan or contact is cleared (null), not sent as an empty string.
    mutationFn: () => api.call('tenants:update', { tenant: tenant.id, name: name.trim(), plan: plan.trim() === '' ? null : plan.trim(), contact_email: contact.trim() === '' ? null : contact.trim() }),
    onSuccess: async (updated) => {
      client.setQueryData(tenantKeys.one(tenant.slug), updated);
      await client.invalidateQueries({ queryKey: tenantKeys.summaries });
    },
  });
  const errors = fieldErrors(save.error, profileFields);
  const edit = (set: (value: string) => void) => clearingError(save, set);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form noValidate className="form-grid" aria-label="Plan and contact" onSubmit={submit} aria-busy={save.isPending}>
      <h2>Plan and contact</h2>
      <TextField label="Name" name="name" value={name} onChange={edit(setName)} maxLength={200} error={errors.byField.name} />
      <TextField label="Plan" name="plan" value={plan} onChange={edit(setPlan)} maxLength={64} required={false} hint="Free text, e.g. standard or enterprise. Empty clears it." error={errors.byField.plan} />
      <TextField label="Contact email" name="contact_email" value={contact} onChange={edit(setContact)} maxLength={254} required={false} hint="Who the provider contacts about this tenant." error={errors.byField.contact_email} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={save.isPending || name.trim() === ''}>
          Save plan and contact
        </button>
        {save.isSuccess ? <span className="saved" role="status">Saved</span> : null}
      </div>
      {errors.general.length > 0 ? <FormAlert title="Not saved" messages={errors.general} /> : null}
    </form>
  );
}

function Lifecycle({ tenant }: { tenant: Tenant }) {
  const api = useApi();
  const client = useQueryClient();
  const panel = usePanel<Action>();
  const [reason, setReason] = useState('');
  const [confirmSlug, setConfirmSlug] = useState('');
  const act = useMutation({
    mutationFn: async (action: Action) => {
      if (action === 'delete') {
        await api.call('tenants:delete', { tenant: tenant.id });
        return null;
      }
      return api.call(action === 'suspend' ? 'tenants:suspend' : 'tenants:resume', { tenant: tenant.id, reason: reason.trim() });
    },
    onSuccess: async (updated, action) => {
      panel.close();
      if (updated !== null) client.setQueryData(tenantKeys.one(tenant.slug), updated);
      await Promise.all([client.invalidateQueries({ queryKey: tenantKeys.summaries }), client.invalidateQueries({ queryKey: tenantKeys.license })]);
      if (action === 'delete') {
        client.removeQueries({ queryKey: tenantKeys.one(tenant.slug) });
        navigate('/tenants');
      }
    },
  });
  // Closing the panel (Cancel, Escape, success) or switching it to another action abandons what
  // was typed and the last refusal: neither applies any more.
  const { reset } = act;
  const pending = panel.value;
  useEffect(() => {
    reset();
    setReason('');
    setConfirmSlug('');
  }, [pending, reset]);
  const edit = <T,>(set: (value: T) => void) => clearingError(act, set);
  const shown = actions.filter((item) => item.shown(tenant));
  return (
    <div className="lifecycle">
      <h2>Lifecycle</h2>
      {shown.length === 0 ? (
        <Notice tone="info">
          <p>The tenant is deleted: its data key was destroyed. Its audit trail stays.</p>
        </Notice>
      ) : (
        <div className="button-row">
          {shown.map((item) => (
            <button
              key={item.action}
              type="button"
              className={item.className}
              aria-label={`${item.label} ${tenant.slug}`}
              aria-expanded={pending === item.action}
              onClick={(event) => {
                panel.open(item.action, event.currentTarget);
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
      {pending ? (
        <form
          className="form-inline panel"
          aria-label={`${pending} ${tenant.slug}`}
          onSubmit={(event) => {
            event.preventDefault();
            act.mutate(pending);
          }}
        >
          {pending === 'delete' ? (
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
            className={pending === 'resume' ? 'button button-success' : 'button button-danger'}
            disabled={act.isPending || (pending === 'delete' ? confirmSlug !== tenant.slug : reason.trim() === '')}
          >
            {pending === 'delete' ? 'Delete permanently' : pending === 'suspend' ? 'Confirm suspend' : 'Confirm resume'}
          </button>
          <button type="button" className="button" onClick={panel.close}>
            Cancel
          </button>
          {act.isError ? <FormAlert title="The change was not made" messages={[describeError(act.error)]} /> : null}
        </form>
      ) : null}
    </div>
  );
}
