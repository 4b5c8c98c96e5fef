import { useMutation } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { type Tenant } from '../../../contracts/tenants';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { TextField } from '../components/text-field';
import { clearingError } from '../forms';
import { CopyButton } from '../identity/copy-button';
import { fieldErrors } from './field-errors';
import { type TabProps } from './tenant-page';

/** Identity: the tenant's IdP during onboarding, and onboarding tokens shown once. */
export function TenantIdentity({ tenant }: TabProps) {
  if (tenant.state === 'deleted') {
    return <p className="lead">The tenant is deleted: it has no identity settings any more.</p>;
  }
  if (tenant.handed_over_at !== null) {
    return (
      <div className="tab-panel">
        <Notice tone="info" title="Handed over">
          <p>
            The customer took ownership on {new Date(tenant.handed_over_at).toLocaleString()}: it sets its identity provider and mints its own admin tokens in its own plane. The provider
            cannot, by design; a tenant that lost every credential is helped with a recovery request.
          </p>
        </Notice>
      </div>
    );
  }
  return (
    <div className="tab-panel">
      <OidcForm key={tenant.id} tenant={tenant} />
      <AdminToken key={`token-${tenant.id}`} tenant={tenant} />
    </div>
  );
}

const oidcFields = ['issuer', 'client_id', 'client_secret', 'claim', 'groups_claim'] as const;

function OidcForm({ tenant }: { tenant: Tenant }) {
  const api = useApi();
  const [issuer, setIssuer] = useState('');
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const [claim, setClaim] = useState('tenant');
  const [groupsClaim, setGroupsClaim] = useState('groups');
  const save = useMutation({
    mutationFn: () =>
      api.call('identity:set-oidc', { tenant: tenant.id, issuer: issuer.trim(), client_id: clientId.trim(), client_secret: secret, claim: claim.trim() === '' ? null : claim.trim(), groups_claim: groupsClaim.trim() }),
    // The secret leaves the form once sent: it is write-only, and the console keeps no copy.
    onSuccess: () => setSecret(''),
  });
  const errors = fieldErrors(save.error, oidcFields);
  const edit = (set: (value: string) => void) => clearingError(save, set);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form noValidate className="form-grid" aria-label="OIDC settings" onSubmit={submit} aria-busy={save.isPending}>
      <h2>Sign-in (OIDC)</h2>
      <p className="muted form-lead">The customer&apos;s identity provider, entered during onboarding; at handover the customer confirms or replaces it. Saving replaces all of it.</p>
      <TextField label="Issuer" name="issuer" value={issuer} onChange={edit(setIssuer)} hint="https:// address of the IdP, e.g. https://login.example.com/realms/acme" maxLength={500} error={errors.byField.issuer} />
      <TextField label="Client ID" name="client_id" value={clientId} onChange={edit(setClientId)} maxLength={255} error={errors.byField.client_id} />
      <TextField
        label="Client secret"
        name="client_secret"
        type="password"
        autoComplete="off"
        value={secret}
        onChange={edit(setSecret)}
        hint="Write-only: stored sealed, never shown again, by the console or the API."
        maxLength={1024}
        error={errors.byField.client_secret}
      />
      <TextField label="Tenant claim" name="claim" value={claim} onChange={edit(setClaim)} required={false} hint="The ID-token claim that must name this tenant's slug; empty trusts the issuer alone." maxLength={64} error={errors.byField.claim} />
      <TextField label="Groups claim" name="groups_claim" value={groupsClaim} onChange={edit(setGroupsClaim)} maxLength={64} error={errors.byField.groups_claim} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={save.isPending || secret === ''}>
          Save OIDC settings
        </button>
      </div>
      {errors.general.length > 0 ? <FormAlert title="OIDC settings not saved" messages={errors.general} /> : null}
      {save.data ? (
        <Notice tone="success" title="OIDC settings saved">
          <p>
            {save.data.issuer} · client <code>{save.data.client_id}</code> · tenant claim {save.data.claim ?? 'none'} · saved {new Date(save.data.updated_at).toLocaleString()}. The secret is not
            shown.
          </p>
        </Notice>
      ) : null}
    </form>
  );
}

const lifetimes = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 7 * 86_400, label: '7 days' },
  { seconds: 30 * 86_400, label: '30 days' },
] as const;

function AdminToken({ tenant }: { tenant: Tenant }) {
  const api = useApi();
  const [name, setName] = useState('onboarding');
  const [lifetime, setLifetime] = useState<number>(86_400);
  const mint = useMutation({ mutationFn: () => api.call('tenants:admin-token', { tenant: tenant.id, name: name.trim(), expires_in_seconds: lifetime }) });
  const errors = fieldErrors(mint.error, ['name', 'expires_in_seconds']);
  const minted = mint.data;
  return (
    <div className="admin-token">
      <h2>Tenant-admin token</h2>
      <p className="muted form-lead">An onboarding token for the customer&apos;s first administrator. It ends at handover, when the customer mints its own.</p>
      {minted ? (
        <Notice tone="warning" title="Shown only once">
          <p>Copy it now and hand it to the customer over a channel you trust. Bulkhead keeps only its hash.</p>
          <p>
            <code className="wrap-anywhere secret-value" data-testid="admin-token">
              {minted.token}
            </code>
          </p>
          <p className="muted">
            {minted.name} · expires {new Date(minted.expires_at).toLocaleString()}
          </p>
          <div className="button-row">
            <CopyButton text={minted.token} label="Copy token" />
            <button type="button" className="button" onClick={() => mint.reset()}>
              Done
            </button>
          </div>
        </Notice>
      ) : (
        <form
          className="form-inline"
          aria-label="Mint an admin token"
          onSubmit={(event) => {
            event.preventDefault();
            mint.mutate();
          }}
        >
          <TextField label="Token name" name="name" value={name} onChange={clearingError(mint, setName)} maxLength={100} error={errors.byField.name} />
          <div className="field">
            <label htmlFor="token-lifetime">Valid for</label>
            <select id="token-lifetime" value={lifetime} onChange={(event) => clearingError(mint, setLifetime)(Number(event.target.value))}>
              {lifetimes.map((item) => (
                <option key={item.seconds} value={item.seconds}>
                  {item.label}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button button-primary" disabled={mint.isPending || name.trim() === ''}>
            Mint admin token
          </button>
          {errors.general.length > 0 || errors.byField.expires_in_seconds ? (
            <FormAlert title="No token was minted" messages={[...errors.general, ...(errors.byField.expires_in_seconds ? [errors.byField.expires_in_seconds] : [])]} />
          ) : null}
        </form>
      )}
    </div>
  );
}
