import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { describeError } from '../error-text';
import './fleet.css';

export const REPLICAS_POLL_MS = 5000;

/**
 * Replicas: the control plane processes sharing one PostgreSQL database (each heartbeats into the
 * registry and admits 1/n of every tenant's rate). On SQLite there is exactly one, and the screen
 * says why instead of a one-row table.
 */
export function ReplicasView() {
  const api = useApi();
  const replicas = useQuery({ queryKey: ['fleet', 'replicas'], queryFn: () => api.call('replicas:list', {}), refetchInterval: REPLICAS_POLL_MS });
  return (
    <section aria-labelledby="replicas-heading">
      <h1 id="replicas-heading">Replicas</h1>
      {replicas.isError ? <FormAlert title="Replicas could not be read" messages={[describeError(replicas.error)]} onDismiss={() => void replicas.refetch()} /> : null}
      {replicas.isPending ? (
        <p className="muted" role="status">
          Reading the replica registry…
        </p>
      ) : null}
      {replicas.data?.storage === 'sqlite' ? (
        <Notice tone="info" title="One replica: this control plane runs on SQLite">
          <p>
            SQLite is a file one process writes, so there is exactly one replica and nothing to list. Replicas share a control plane&apos;s data on PostgreSQL: start it with a PostgreSQL
            database and run more of them behind a load balancer; each one then shows here with its heartbeat, and every tenant&apos;s limits are split between them.
          </p>
        </Notice>
      ) : null}
      {replicas.data?.storage === 'postgres' ? (
        <>
          <p className="lead" data-testid="replica-count">
            {replicas.data.live_count} live {replicas.data.live_count === 1 ? 'replica' : 'replicas'} on PostgreSQL; each admits 1/{replicas.data.live_count} of every tenant&apos;s rate.
          </p>
          <table className="table fleet-table">
            <caption className="visually-hidden">Live replicas</caption>
            <thead>
              <tr>
                <th scope="col">Replica</th>
                <th scope="col">Address</th>
                <th scope="col">Started</th>
                <th scope="col">Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {replicas.data.items.map((replica) => (
                <tr key={replica.id}>
                  <td>
                    <code>{replica.id}</code>
                    {replica.self ? <span className="muted"> (answering this console)</span> : null}
                  </td>
                  <td>{replica.address}</td>
                  <td>{new Date(replica.started_at).toLocaleString()}</td>
                  <td>{new Date(replica.heartbeat_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
