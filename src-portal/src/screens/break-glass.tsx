import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { BreakGlassRequestView, BreakGlassSettingsView } from '../../../contracts/break-glass';
import type { PortalApi } from '../api';
import { ErrorLine } from './shared';

const Page = z.object({ items: z.array(BreakGlassRequestView) });

/** Break-glass requests of the tenant: approve (people only), deny, revoke; and the two-approver setting. */
export function BreakGlassScreen({ api }: { api: PortalApi }) {
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['break-glass'], queryFn: async () => Page.parse(await api.get('/v1/break-glass?limit=100')).items });
  const settings = useQuery({ queryKey: ['break-glass-settings'], queryFn: async () => BreakGlassSettingsView.parse(await api.get('/v1/break-glass/settings')) });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'approve' | 'deny' | 'revoke' }) => api.send('POST', `/v1/break-glass/${id}/${action}`, {}),
    onSettled: () => client.invalidateQueries({ queryKey: ['break-glass'] }),
  });
  const setApprovals = useMutation({
    mutationFn: (required: number) => api.send('PUT', '/v1/break-glass/settings', { required_approvals: required }),
    onSettled: () => client.invalidateQueries({ queryKey: ['break-glass-settings'] }),
  });
  return (
    <section aria-labelledby="bg-title">
      <h2 id="bg-title">Break-glass requests</h2>
      {settings.data === undefined ? null : (
        <label className="setting">
          Approvers needed{' '}
          <select aria-label="Approvers needed" value={settings.data.required_approvals} onChange={(event) => setApprovals.mutate(Number(event.target.value))}>
            <option value={1}>1</option>
            <option value={2}>2 (two different people)</option>
          </select>
        </label>
      )}
      <ErrorLine error={list.error ?? act.error ?? setApprovals.error} />
      {list.data?.length === 0 ? <p>No requests.</p> : null}
      <table>
        <thead>
          <tr>
            <th>Requested by</th>
            <th>Reason</th>
            <th>State</th>
            <th>Approvals</th>
            <th>Minutes</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((request) => (
            <tr key={request.id} data-request-id={request.id}>
              <td>{request.requested_by.username}</td>
              <td>{request.reason}</td>
              <td className="state">{request.state}</td>
              <td>
                {request.approvals.length}/{request.required_approvals}
              </td>
              <td>{request.duration_minutes}</td>
              <td className="actions">
                {request.state === 'pending' ? (
                  <>
                    <button type="button" onClick={() => act.mutate({ id: request.id, action: 'approve' })}>
                      Approve
                    </button>
                    <button type="button" onClick={() => act.mutate({ id: request.id, action: 'deny' })}>
                      Deny
                    </button>
                  </>
                ) : null}
                {request.state === 'approved' || request.state === 'active' ? (
                  <button type="button" onClick={() => act.mutate({ id: request.id, action: 'revoke' })}>
                    Revoke
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
