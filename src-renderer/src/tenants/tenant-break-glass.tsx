import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type SyntheticEvent } from 'react';
import { MAX_BREAK_GLASS_MINUTES } from '../../../contracts/break-glass';
import { type BreakGlassStatus, type HeldGrant } from '../../../contracts/ipc';
import { type Tenant } from '../../../contracts/tenants';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { clearingError } from '../forms';
import { isOpen, timeLeft } from './break-glass-time';
import { fieldErrors } from './field-errors';
import { type TabProps } from './tenant-page';
import './break-glass.css';

/** How often open requests are followed (the tenant decides in its own plane). */
export const BREAK_GLASS_POLL_MS = 3000;
const breakGlassKey = (slug: string) => ['tenants', 'break-glass', slug] as const;

/**
 * Break-glass: the only way the provider reads a tenant's telemetry. The operator opens a request,
 * the tenant's admins decide in the tenant's own plane (followed here by polling), the operator
 * activates it once approved, and only then reads the scoped view. The grant token stays in the
 * console's main process; revocation and expiry end the view in place.
 */
export function TenantBreakGlass({ tenant }: TabProps) {
  const api = useApi();
  const requests = useQuery({
    queryKey: breakGlassKey(tenant.slug),
    queryFn: () => api.call('breakglass:list', { tenant: tenant.id }),
    refetchInterval: (query) => (query.state.data?.items.some((item) => isOpen(item.request.state)) ? BREAK_GLASS_POLL_MS : false),
  });
  const [viewing, setViewing] = useState<string | null>(null);
  const items = requests.data?.items ?? [];
  // The scoped view: the request the operator activated or opened, else a grant this console holds,
  // else the newest open request. Once shown it stays, so its end is shown in place.
  const shown = items.find((item) => item.request.id === viewing) ?? items.find((item) => item.grant !== null) ?? items.find((item) => isOpen(item.request.state)) ?? null;
  const shownId = shown?.request.id ?? null;
  useEffect(() => {
    if (viewing === null && shownId !== null) setViewing(shownId);
  }, [viewing, shownId]);
  if (tenant.state === 'deleted') {
    return <p className="lead">The tenant is deleted: there is nothing left to read.</p>;
  }
  return (
    <div className="tab-panel">
      {shown ? <ScopedView key={shown.request.id} status={shown} /> : null}
      {tenant.state === 'active' ? <OpenRequest tenant={tenant} onOpened={setViewing} /> : <Notice tone="info" title={`The tenant is ${tenant.state}`}>A break-glass request needs an active tenant.</Notice>}
      <h2>Requests</h2>
      {requests.isPending ? (
        <p className="muted" role="status">
          Loading requests…
        </p>
      ) : null}
      {requests.isError ? <FormAlert title="Requests could not be loaded" messages={[describeError(requests.error)]} onDismiss={() => void requests.refetch()} /> : null}
      {requests.isSuccess && items.length === 0 ? <p className="muted">No break-glass requests for this tenant yet. Open one above when an incident needs its telemetry.</p> : null}
      {items.length > 0 ? <RequestTable items={items} onView={setViewing} /> : null}
    </div>
  );
}

function OpenRequest({ tenant, onOpened }: { tenant: Tenant; onOpened: (id: string) => void }) {
  const api = useApi();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState('60');
  const open = useMutation({
    mutationFn: () => api.call('breakglass:open', { tenant: tenant.id, reason: reason.trim(), scope: ['telemetry:read'], duration_minutes: Number(minutes) }),
    onSuccess: (status) => {
      setReason('');
      onOpened(status.request.id);
      void client.invalidateQueries({ queryKey: breakGlassKey(tenant.slug) });
    },
  });
  const errors = fieldErrors(open.error, ['reason', 'duration_minutes', 'scope']);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    open.mutate();
  };
  return (
    <form noValidate className="form-grid" aria-label="Open a break-glass request" onSubmit={submit} aria-busy={open.isPending}>
      <h2>Open a request</h2>
      <p className="muted form-lead">The tenant&apos;s admins approve or deny it in their own plane. Once approved you activate it here; it reads telemetry only, for the time they allow.</p>
      <TextField label="Reason" name="reason" value={reason} onChange={clearingError(open, setReason)} hint="What the tenant's admins will read: the incident and why its telemetry is needed." maxLength={1000} error={errors.byField.reason} />
      <fieldset className="field scope-field">
        <legend>Scope</legend>
        <label>
          <input type="checkbox" checked disabled /> Telemetry (read only: results, flows, summaries)
        </label>
        {errors.byField.scope ? <p className="field-error">{errors.byField.scope}</p> : null}
      </fieldset>
      <TextField label="Duration (minutes)" name="duration_minutes" inputMode="numeric" value={minutes} onChange={clearingError(open, setMinutes)} hint={`1 to ${MAX_BREAK_GLASS_MINUTES}; the tenant may shorten it.`} maxLength={3} error={errors.byField.duration_minutes} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={open.isPending || reason.trim() === ''}>
          Request access
        </button>
      </div>
      {open.isError && errors.general.length > 0 ? <FormAlert title="The request was not opened" messages={errors.general} onDismiss={open.reset} /> : null}
    </form>
  );
}

function RequestTable({ items, onView }: { items: readonly BreakGlassStatus[]; onView: (id: string) => void }) {
  const api = useApi();
  const client = useQueryClient();
  const activate = useMutation({
    mutationFn: (id: string) => api.call('breakglass:activate', { id }),
    onSuccess: (status) => {
      onView(status.request.id);
      void client.invalidateQueries({ queryKey: ['tenants', 'break-glass'] });
    },
  });
  return (
    <>
      {activate.isError ? <FormAlert title="The grant was not activated" messages={[describeError(activate.error)]} onDismiss={activate.reset} /> : null}
      <table className="table">
        <caption className="visually-hidden">Break-glass requests of this tenant</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Reason</th>
            <th scope="col">Requested</th>
            <th scope="col">Duration</th>
            <th scope="col">Approvals</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {items.map(({ request, grant }) => (
            <tr key={request.id} data-request={request.id}>
              <td>
                <span className={`state state-bg-${request.state}`}>{request.state}</span>
              </td>
              <td className="cell-wrap">
                {request.reason}
                {request.decision_note || request.end_reason ? <p className="muted">{request.end_reason ?? request.decision_note}</p> : null}
              </td>
              <td>
                {request.requested_by.username}, {new Date(request.requested_at).toLocaleString()}
              </td>
              <td>{request.duration_minutes} min</td>
              <td>
                {request.approvals.length} of {request.required_approvals}
              </td>
              <td className="actions">
                {request.state === 'approved' ? (
                  <button type="button" className="button button-primary" disabled={activate.isPending} onClick={() => activate.mutate(request.id)}>
                    Activate
                  </button>
                ) : null}
                {grant !== null ? (
                  <button type="button" className="button" onClick={() => onView(request.id)}>
                    View telemetry
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** A second's tick, for the time left. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The scoped telemetry view of one request: while its grant is held, or how it ended. */
function ScopedView({ status }: { status: BreakGlassStatus }) {
  const { request, grant } = status;
  const now = useNow();
  const live = grant !== null && Date.parse(grant.expires_at) > now;
  if (request.state === 'pending' || request.state === 'approved') {
    return (
      <Notice tone="info" title={request.state === 'pending' ? 'Waiting for the tenant' : 'Approved: activate to read'}>
        <p>
          {request.state === 'pending' ? `The tenant's admins have not decided yet (${request.approvals.length} of ${request.required_approvals} approvals). This updates on its own.` : `Approved for ${request.duration_minutes} minutes. The time starts when you activate it.`}
        </p>
      </Notice>
    );
  }
  if (!live) {
    const ending = request.state === 'revoked' ? `Revoked by ${request.ended_by ?? 'the tenant'}${request.end_reason ? `: ${request.end_reason}` : ''}.` : request.state === 'denied' ? `Denied${request.decision_note ? `: ${request.decision_note}` : ''}.` : 'The grant expired.';
    return (
      <div className="breakglass-ended" data-testid="break-glass-ended">
        <Notice tone="info" title="Break-glass access ended">
          <p>{ending} Nothing more of this tenant&apos;s telemetry can be read with it; open a new request if you still need to.</p>
        </Notice>
      </div>
    );
  }
  return <GrantView grant={grant} now={now} />;
}

function GrantView({ grant, now }: { grant: HeldGrant; now: number }) {
  const api = useApi();
  const client = useQueryClient();
  // Each read is ledgered (tenant and provider ledgers): read on demand, never polled.
  const read = useQuery({
    queryKey: ['break-glass-read', grant.request_id],
    queryFn: async () => {
      const [summary, results] = await Promise.all([api.call('telemetry:summary', { request_id: grant.request_id }), api.call('telemetry:results', { request_id: grant.request_id, limit: 100 })]);
      return { summary, results };
    },
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });
  const ended = read.isError && isConsoleError(read.error) && ['grant_revoked', 'grant_expired', 'break_glass_not_active'].includes(read.error.code);
  useEffect(() => {
    // The control plane says the grant is over: the list learns how, and the view ends in place.
    if (ended) void client.invalidateQueries({ queryKey: ['tenants', 'break-glass'] });
  }, [ended, client]);
  return (
    <section className="breakglass-view" aria-label="Scoped telemetry">
      <div className="breakglass-banner" role="status" data-testid="break-glass-banner">
        <strong>Break-glass access is active.</strong> Every read is recorded in this tenant&apos;s ledger and in the provider ledger. Time left: <span data-testid="break-glass-time-left">{timeLeft(grant.expires_at, now)}</span>
      </div>
      <div className="form-actions">
        <button type="button" className="button" disabled={read.isFetching} onClick={() => void read.refetch()}>
          Read again
        </button>
      </div>
      {read.isPending ? (
        <p className="muted" role="status">
          Reading…
        </p>
      ) : null}
      {read.isError && !ended ? <FormAlert title="The telemetry could not be read" messages={[describeError(read.error)]} /> : null}
      {read.data ? (
        <>
          <h3>Tests</h3>
          {read.data.summary.tests.length === 0 ? <p className="muted">No results in the last hour.</p> : null}
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Results</th>
                <th scope="col">Failures</th>
                <th scope="col">Loss</th>
                <th scope="col">p50 / p99</th>
              </tr>
            </thead>
            <tbody>
              {read.data.summary.tests.map((test) => (
                <tr key={test.test_id}>
                  <td>
                    <code>{test.test_id}</code>
                  </td>
                  <td>{test.results}</td>
                  <td>{test.failures}</td>
                  <td>{test.loss_pct.toFixed(1)}%</td>
                  <td>
                    {test.latency_p50_ms ?? '–'} / {test.latency_p99_ms ?? '–'} ms
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Latest results</h3>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Target</th>
                <th scope="col">OK</th>
                <th scope="col">Latency</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {read.data.results.items.map((result) => (
                <tr key={`${result.batch_id}-${result.test_id}-${result.ts}`}>
                  <td>{new Date(result.ts).toLocaleString()}</td>
                  <td className="cell-wrap">{result.target ?? '–'}</td>
                  <td>{result.ok ? 'yes' : 'no'}</td>
                  <td>{result.latency_ms === null ? 'lost' : `${result.latency_ms} ms`}</td>
                  <td className="cell-wrap">{result.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
