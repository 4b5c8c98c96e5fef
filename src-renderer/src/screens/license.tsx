import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ChangeEvent } from 'react';
import { LICENSE_TEXT_MAX } from '../../../contracts/ipc';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { describeError } from '../error-text';
import { tenantKeys } from '../tenants/tenant-queries';
import { type SectionProps } from './signed-in-shell';
import '../console-tabs/console-tabs.css';

const DAY_MS = 24 * 3600 * 1000;

/** The license: the band used, the expiry, and (provider admins) replacing the license file. */
export function LicenseView({ operator }: SectionProps) {
  const api = useApi();
  const license = useQuery({ queryKey: tenantKeys.license, queryFn: () => api.call('license:get', {}) });
  const mayReplace = operator.roles.includes('provider_admin');
  return (
    <section aria-labelledby="license-heading">
      <h1 id="license-heading">License</h1>
      {license.isPending ? (
        <p className="muted" role="status">
          Reading the license…
        </p>
      ) : null}
      {license.isError ? <FormAlert title="The license could not be read" messages={[describeError(license.error)]} onDismiss={() => void license.refetch()} /> : null}
      {license.data ? <LicenseFigures license={license.data} /> : null}
      {mayReplace ? <ReplaceLicense /> : <p className="muted">Provider admins replace the license file.</p>}
    </section>
  );
}

function LicenseFigures({ license }: { license: { licensee: string; tier: string; tenant_band: number; tenants_used: number; expires_at: string } }) {
  const used = Math.min(1, license.tenants_used / license.tenant_band);
  const daysLeft = Math.floor((Date.parse(license.expires_at) - Date.now()) / DAY_MS);
  return (
    <dl className="figures" data-testid="license-figures">
      <div>
        <dt>Licensee</dt>
        <dd>{license.licensee}</dd>
      </div>
      <div>
        <dt>Tier</dt>
        <dd>{license.tier}</dd>
      </div>
      <div>
        <dt>Tenants</dt>
        <dd>
          {license.tenants_used.toLocaleString()} of {license.tenant_band.toLocaleString()} ({Math.round(used * 100)}%)
          <span className="license-band" role="meter" aria-label="Tenant band used" aria-valuemin={0} aria-valuemax={license.tenant_band} aria-valuenow={license.tenants_used}>
            <span style={{ width: `${used * 100}%` }} />
          </span>
        </dd>
      </div>
      <div>
        <dt>Expires</dt>
        <dd>
          {new Date(license.expires_at).toLocaleDateString()} ({daysLeft >= 0 ? `${daysLeft} days left` : 'expired'})
        </dd>
      </div>
    </dl>
  );
}

function ReplaceLicense() {
  const api = useApi();
  const client = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const replace = useMutation({
    mutationFn: (text: string) => api.call('license:replace', { license: text }),
    onSuccess: (view) => client.setQueryData(tenantKeys.license, view),
  });
  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file === undefined) return;
    replace.reset();
    if (file.size > LICENSE_TEXT_MAX) {
      setProblem('This file is too large to be a license file.');
      return;
    }
    setProblem(null);
    replace.mutate(await file.text());
  };
  const error = problem ?? (replace.isError ? describeError(replace.error) : null);
  return (
    <div className="license-replace">
      <h2>Replace the license</h2>
      <p className="muted form-lead">Pick the license file your vendor sent (JSON). It is checked (signer, signature, dates) before it replaces the one in force, and the replacement is recorded in the provider ledger.</p>
      <div className={error ? 'field field-invalid' : 'field'}>
        <label htmlFor="license-file">License file</label>
        <input id="license-file" type="file" accept=".json,application/json" disabled={replace.isPending} aria-invalid={error ? true : undefined} aria-describedby={error ? 'license-file-error' : undefined} onChange={(event) => void pick(event)} />
        {error ? (
          <p className="field-error" id="license-file-error">
            {error}
          </p>
        ) : null}
      </div>
      {replace.isSuccess ? (
        <Notice tone="success" title="License replaced">
          <p>
            {replace.data.licensee}: {replace.data.tenant_band.toLocaleString()} tenants until {new Date(replace.data.expires_at).toLocaleDateString()}.
          </p>
        </Notice>
      ) : null}
    </div>
  );
}
