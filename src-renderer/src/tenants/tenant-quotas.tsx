import { useMutation, useQuery, useQueryClient, type UseMutationResult } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type ReactNode, type SyntheticEvent } from 'react';
import { type TenantFairness } from '../../../contracts/fairness';
import { type Quotas, type Tenant } from '../../../contracts/tenants';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { clearingError } from '../forms';
import { FairnessChart } from './fairness-chart';
import { FairnessWhatIfView } from './fairness-what-if';
import { addSample, latest, toColumns, type FairnessSample } from './fairness-series';
import { fieldErrors } from './field-errors';
import { type TabProps } from './tenant-page';
import { tenantKeys } from './tenant-queries';

/** How often the fairness counters are read while the tab is open (ms). */
export const FAIRNESS_POLL_MS = 1000;

const quotaFields: readonly { key: keyof Quotas; label: string; hint: string }[] = [
  { key: 'max_agents', label: 'Agents', hint: 'Enrolled agents at most.' },
  { key: 'max_users', label: 'Users', hint: 'Directory users at most.' },
  { key: 'max_tests', label: 'Tests', hint: 'Probe tests at most.' },
  { key: 'storage_quota_mb', label: 'Storage (MB)', hint: 'Stored telemetry at most; a batch past it is refused.' },
  { key: 'api_rate_limit_rpm', label: 'API requests per minute', hint: 'Tenant-plane calls per minute.' },
];

const fairnessFields = [
  { key: 'ingest_rate_per_sec', label: 'Ingest rate (units/s)', hint: 'Sustained units per second admitted; above it, batches are shed (429).' },
  { key: 'ingest_burst', label: 'Ingest burst (units)', hint: 'The bucket: units admitted at once after a quiet spell. Empty: two seconds of the rate.', optional: true },
  { key: 'query_budget', label: 'Query budget (per minute)', hint: 'Telemetry queries per minute.' },
] as const;

/** Text inputs for whole numbers: what the operator typed is sent as typed, and the control plane's refusal shown at the field. */
const asNumber = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/** Quotas & Fairness: limits edited with each refusal at its field, and the live admitted/shed chart. */
export function TenantQuotas({ tenant }: TabProps) {
  const api = useApi();
  const fairness = useQuery({ queryKey: tenantKeys.fairness(tenant.slug), queryFn: () => api.call('fairness:get', { tenant: tenant.id }), refetchInterval: FAIRNESS_POLL_MS, enabled: tenant.state !== 'deleted' });
  if (tenant.state === 'deleted') {
    return <p className="lead">The tenant is deleted: it has no limits any more.</p>;
  }
  return (
    <div className="tab-panel">
      <QuotaForm key={`quotas-${tenant.id}`} tenant={tenant} />
      {fairness.data ? <FairnessForm key={`fairness-${tenant.id}`} tenant={tenant} current={fairness.data} /> : null}
      {fairness.isError ? <FormAlert title="Fairness could not be read" messages={[describeError(fairness.error)]} /> : null}
      <FairnessLive fairness={fairness.data} updatedAt={fairness.dataUpdatedAt} />
    </div>
  );
}

function QuotaForm({ tenant }: { tenant: Tenant }) {
  const api = useApi();
  const client = useQueryClient();
  const [values, setValues] = useState<Record<keyof Quotas, string>>(() => ({
    max_agents: String(tenant.quotas.max_agents),
    max_users: String(tenant.quotas.max_users),
    max_tests: String(tenant.quotas.max_tests),
    storage_quota_mb: String(tenant.quotas.storage_quota_mb),
    api_rate_limit_rpm: String(tenant.quotas.api_rate_limit_rpm),
  }));
  const save = useMutation({
    mutationFn: () =>
      api.call('quotas:set', {
        tenant: tenant.id,
        max_agents: asNumber(values.max_agents),
        max_users: asNumber(values.max_users),
        max_tests: asNumber(values.max_tests),
        storage_quota_mb: asNumber(values.storage_quota_mb),
        api_rate_limit_rpm: asNumber(values.api_rate_limit_rpm),
      }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: tenantKeys.one(tenant.slug) });
    },
  });
  return (
    <LimitsForm
      title="Quotas"
      lead="Lowering a quota deletes nothing: it stops new creations past it."
      fields={quotaFields}
      values={values}
      onChange={(key, value) => setValues((current) => ({ ...current, [key]: value }))}
      save={save}
      saveLabel="Save quotas"
      failTitle="Quotas not saved"
    />
  );
}

function FairnessForm({ tenant, current }: { tenant: Tenant; current: TenantFairness }) {
  const api = useApi();
  const client = useQueryClient();
  // Seeded once from the first reading: the poll must not overwrite what the operator is typing.
  const [values, setValues] = useState(() => ({
    ingest_rate_per_sec: String(current.ingest_rate_per_sec),
    ingest_burst: String(current.ingest_burst),
    query_budget: String(current.query_budget),
  }));
  const save = useMutation({
    mutationFn: () =>
      api.call('fairness:set', {
        tenant: tenant.id,
        ingest_rate_per_sec: asNumber(values.ingest_rate_per_sec),
        ...(values.ingest_burst.trim() === '' ? {} : { ingest_burst: asNumber(values.ingest_burst) }),
        query_budget: asNumber(values.query_budget),
      }),
    onSuccess: (updated) => {
      client.setQueryData(tenantKeys.fairness(tenant.slug), updated);
      setValues({ ingest_rate_per_sec: String(updated.ingest_rate_per_sec), ingest_burst: String(updated.ingest_burst), query_budget: String(updated.query_budget) });
    },
  });
  return (
    <>
      <LimitsForm
        title="Fairness limits"
        heading="Fairness"
        lead={
          <>
            Live on every replica from the next request ({current.live_replicas} {current.live_replicas === 1 ? 'replica' : 'replicas'}, each admitting 1/{current.live_replicas}). Write lane:{' '}
            <code>{current.write_lane}</code>.
          </>
        }
        fields={fairnessFields}
        values={values}
        onChange={(key, value) => setValues((existing) => ({ ...existing, [key]: value }))}
        save={save}
        saveLabel="Save fairness limits"
        failTitle="Fairness limits not saved"
      />
      <FairnessWhatIfView tenantId={tenant.id} rate={values.ingest_rate_per_sec} burst={values.ingest_burst} />
    </>
  );
}

type LimitField<K extends string> = { key: K; label: string; hint: string; optional?: boolean };

/** A form of whole-number limits: each refusal at its field (from the console or the control plane), the rest above. */
function LimitsForm<K extends string>(props: {
  title: string;
  heading?: string;
  lead: ReactNode;
  fields: readonly LimitField<K>[];
  values: Readonly<Record<K, string>>;
  onChange: (key: K, value: string) => void;
  save: UseMutationResult<unknown, Error, void>;
  saveLabel: string;
  failTitle: string;
}) {
  const { save } = props;
  const errors = fieldErrors(save.error, props.fields.map((field) => field.key));
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form noValidate className="form-grid" aria-label={props.title} onSubmit={submit} aria-busy={save.isPending}>
      <h2>{props.heading ?? props.title}</h2>
      <p className="muted form-lead">{props.lead}</p>
      {props.fields.map((field) => (
        <TextField
          key={field.key}
          label={field.label}
          name={field.key}
          inputMode="numeric"
          value={props.values[field.key]}
          onChange={clearingError(save, (value: string) => {
            props.onChange(field.key, value);
          })}
          hint={field.hint}
          error={errors.byField[field.key]}
          required={field.optional !== true}
          maxLength={12}
        />
      ))}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          {props.saveLabel}
        </button>
        {save.isSuccess ? (
          <span className="saved" role="status">
            Saved
          </span>
        ) : null}
      </div>
      {errors.general.length > 0 ? <FormAlert title={props.failTitle} messages={errors.general} /> : null}
    </form>
  );
}

const rate = (value: number | null, unit: string) => (value === null ? '—' : `${Math.round(value).toLocaleString()} ${unit}`);

/** The live chart: each poll's counters become a sample; the figures under it are the newest second. */
function FairnessLive({ fairness, updatedAt }: { fairness: TenantFairness | undefined; updatedAt: number }) {
  const [samples, setSamples] = useState<FairnessSample[]>([]);
  useEffect(() => {
    if (fairness === undefined || updatedAt === 0) return;
    setSamples((current) => addSample(current, { at: updatedAt, counters: fairness }));
  }, [fairness, updatedAt]);
  const columns = useMemo(() => toColumns(samples), [samples]);
  const now = latest(columns);
  return (
    <div className="fairness-live">
      <h2>Admitted and shed, live</h2>
      <p className="muted form-lead">
        Ingest units per second on the replica that answers, read every second; latency is the time from admission to a durable write. Counters start when the control plane starts.
      </p>
      <FairnessChart columns={columns} label="Admitted and shed units per second and p50/p99 latency over the last two minutes" />
      <dl className="figures" aria-live="off" data-testid="fairness-figures">
        <div>
          <dt>Admitted</dt>
          <dd>{rate(now.admitted, 'units/s')}</dd>
        </div>
        <div>
          <dt>Shed</dt>
          <dd>{rate(now.shed, 'units/s')}</dd>
        </div>
        <div>
          <dt>p50</dt>
          <dd>{now.p50 === null ? '—' : `${now.p50.toFixed(1)} ms`}</dd>
        </div>
        <div>
          <dt>p99</dt>
          <dd>{now.p99 === null ? '—' : `${now.p99.toFixed(1)} ms`}</dd>
        </div>
        <div>
          <dt>Since start</dt>
          <dd>{fairness ? `${fairness.admitted_units.toLocaleString()} admitted · ${fairness.shed_units.toLocaleString()} shed` : '—'}</dd>
        </div>
      </dl>
    </div>
  );
}
