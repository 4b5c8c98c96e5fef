import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { type LedgerEntryView } from '../../../contracts/audit';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { LedgerWitness } from '../components/ledger-witness';
import { Notice } from '../components/notice';
import { describeError } from '../error-text';
import { navigate } from '../router/hash-router';
import { useEntryProof } from './audit-proof';
import { type TabProps } from './tenant-page';
import { tenantKeys } from './tenant-queries';

const EVENT_TYPE = /^[A-Z][A-Z0-9_]{1,63}$/;
const PAGE = 200;

/** `datetime-local` values (the operator's local time) as instants; an empty or unreadable one is no bound. */
function instant(local: string | undefined): number | null {
  if (local === undefined || local === '') return null;
  const value = new Date(local).getTime();
  return Number.isNaN(value) ? null : value;
}

/**
 * Audit: the tenant's entries in the provider ledger, newest first. The event filter is the
 * control plane's (`event_type`); the time filter applies to the entries loaded so far (the
 * ledger is read a page at a time, newest first, so "Load older" reaches further back).
 */
export function TenantAudit({ tenant, query }: TabProps) {
  const api = useApi();
  const event = EVENT_TYPE.test(query.event ?? '') ? (query.event ?? '') : '';
  const from = query.from ?? '';
  const to = query.to ?? '';
  const [eventText, setEventText] = useState(event);
  const show = (next: { event?: string; from?: string; to?: string }) => {
    navigate(`/tenants/${tenant.slug}/audit`, { query: { event, from, to, ...next }, replace: true });
  };
  const entries = useInfiniteQuery({
    queryKey: tenantKeys.audit(tenant.slug, event),
    queryFn: ({ pageParam }) => api.call('audit:list', { tenant: tenant.id, limit: PAGE, ...(event === '' ? {} : { event_type: event }), ...(pageParam === null ? {} : { cursor: pageParam }) }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
  });
  const verify = useMutation({ mutationFn: () => api.call('audit:verify', {}) });
  const proof = useEntryProof();
  const fromAt = instant(from);
  const toAt = instant(to);
  const shown = useMemo(() => {
    const all = entries.data?.pages.flatMap((page) => page.items) ?? [];
    return all.filter((entry) => {
      const at = new Date(entry.ts).getTime();
      return (fromAt === null || at >= fromAt) && (toAt === null || at <= toAt);
    });
  }, [entries.data, fromAt, toAt]);
  const eventInvalid = eventText !== '' && !EVENT_TYPE.test(eventText);

  return (
    <div className="tab-panel">
      <form
        className="form-inline"
        aria-label="Filter audit entries"
        onSubmit={(submitted) => {
          submitted.preventDefault();
          if (!eventInvalid) show({ event: eventText });
        }}
      >
        <div className={eventInvalid ? 'field field-invalid' : 'field'}>
          <label htmlFor="audit-event">Event type</label>
          <input id="audit-event" value={eventText} placeholder="e.g. QUOTA_CHANGED" maxLength={64} aria-invalid={eventInvalid || undefined} aria-describedby="audit-event-hint" onChange={(change) => setEventText(change.target.value.toUpperCase())} />
          <p className="field-hint" id="audit-event-hint">
            {eventInvalid ? 'Capital letters, digits and underscores, such as TENANT_CREATED.' : 'Empty: every event.'}
          </p>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input id="audit-from" type="datetime-local" value={from} onChange={(change) => show({ from: change.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To</label>
          <input id="audit-to" type="datetime-local" value={to} onChange={(change) => show({ to: change.target.value })} />
        </div>
        <button type="submit" className="button" disabled={eventInvalid}>
          Apply
        </button>
        <button type="button" className="button" disabled={verify.isPending} onClick={() => verify.mutate()}>
          Verify provider ledger
        </button>
      </form>
      <LedgerWitness />
      {verify.isError ? <FormAlert title="Verification could not run" messages={[describeError(verify.error)]} onDismiss={verify.reset} /> : null}
      {verify.data ? (
        verify.data.ok ? (
          <Notice tone="success" title="Ledger verified">
            <p>
              {verify.data.size} entries recomputed; root <code className="wrap-anywhere">{verify.data.root}</code>
            </p>
          </Notice>
        ) : (
          <FormAlert title="Ledger verification failed" messages={[`${verify.data.reason ?? 'The ledger does not verify.'}${verify.data.first_bad_seq ? ` (first bad entry: ${verify.data.first_bad_seq})` : ''}`]} />
        )
      ) : null}
      {proof.verdict}
      {entries.isError ? <FormAlert title="Entries could not be loaded" messages={[describeError(entries.error)]} onDismiss={() => void entries.refetch()} /> : null}
      {entries.isPending ? (
        <p className="muted" role="status">
          Loading entries…
        </p>
      ) : null}
      {entries.isSuccess ? (
        shown.length === 0 ? (
          <p className="muted">No entries match{event ? ` ${event}` : ''}{from || to ? ' in this time range' : ''}.</p>
        ) : (
          <AuditTable entries={shown} prove={proof.button} />
        )
      ) : null}
      {entries.hasNextPage ? (
        <button type="button" className="button" disabled={entries.isFetchingNextPage} onClick={() => void entries.fetchNextPage()}>
          Load older entries
        </button>
      ) : null}
    </div>
  );
}

function AuditTable({ entries, prove }: { entries: readonly LedgerEntryView[]; prove: (entry: LedgerEntryView) => ReactNode }) {
  return (
    <table className="table audit-table">
      <caption className="visually-hidden">Provider ledger entries of this tenant</caption>
      <thead>
        <tr>
          <th scope="col">Seq</th>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">Actor</th>
          <th scope="col">Details</th>
          <th scope="col">Inclusion</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.seq}>
            <td>{entry.seq}</td>
            <td>{new Date(entry.ts).toLocaleString()}</td>
            <td>
              <code>{entry.event_type}</code>
            </td>
            <td className="cell-wrap">{entry.actor}</td>
            <td className="cell-wrap">
              <code className="details">{JSON.stringify(entry.details)}</code>
            </td>
            <td>{prove(entry)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
