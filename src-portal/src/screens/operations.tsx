import { useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { AgentPool, AgentView } from '../../../contracts/agents';
import { ProbeTest } from '../../../contracts/probe-tests';
import { SummaryResponse } from '../../../contracts/telemetry';
import { DirectoryUserView } from '../../../contracts/tenant-directory';
import type { PortalApi } from '../api';
import { ErrorLine, RowsTable } from './shared';

const Pools = z.object({ items: z.array(AgentPool) });
const Agents = z.object({ items: z.array(AgentView) });
const Tests = z.object({ items: z.array(ProbeTest) });

/** The enrolled agents, and the bootstrap pools they enroll through. */
export function AgentsScreen({ api }: { api: PortalApi }) {
  const agents = useQuery({ queryKey: ['agents'], queryFn: async () => Agents.parse(await api.get('/v1/agents')).items });
  const pools = useQuery({ queryKey: ['agent-pools'], queryFn: async () => Pools.parse(await api.get('/v1/agent-pools?limit=100')).items });
  const poolNames = new Map((pools.data ?? []).map((pool) => [pool.id, pool.name]));
  const rows = (agents.data ?? []).map((agent) => ({ name: agent.name, pool: agent.pool_id === null ? '' : (poolNames.get(agent.pool_id) ?? agent.pool_id), group: agent.group ?? '', created_at: agent.created_at }));
  return (
    <section aria-labelledby="agents-title">
      <h2 id="agents-title">Agents</h2>
      <ErrorLine error={agents.error ?? pools.error} />
      <RowsTable rows={rows} columns={['name', 'pool', 'group', 'created_at']} empty="No agents yet: they enroll with a pool's bootstrap token." />
      <h3>Bootstrap pools</h3>
      <RowsTable rows={pools.data ?? []} columns={['name', 'default_group', 'ttl_seconds', 'created_at']} empty="No pools." />
    </section>
  );
}

/** The tenant's probe tests and, for people who read telemetry, the last hour's summary per test. */
export function TestsScreen({ api, readsTelemetry }: { api: PortalApi; readsTelemetry: boolean }) {
  const tests = useQuery({ queryKey: ['tests'], queryFn: async () => Tests.parse(await api.get('/v1/tests?limit=100')).items });
  const summary = useQuery({ queryKey: ['summary'], enabled: readsTelemetry, queryFn: async () => SummaryResponse.parse(await api.get('/v1/telemetry/summary')) });
  const names = new Map((tests.data ?? []).map((test) => [test.id, test.name]));
  const rows = (summary.data?.tests ?? []).map((row) => ({ test: names.get(row.test_id) ?? row.test_id, results: row.results, failures: row.failures, loss_pct: row.loss_pct, latency_p95_ms: row.latency_p95_ms }));
  return (
    <section aria-labelledby="tests-title">
      <h2 id="tests-title">Tests</h2>
      <ErrorLine error={tests.error ?? summary.error} />
      <RowsTable rows={tests.data ?? []} columns={['name', 'kind', 'target', 'interval_s']} empty="No tests." />
      {readsTelemetry ? (
        <>
          <h3>Telemetry summary</h3>
          <RowsTable rows={rows} columns={['test', 'results', 'failures', 'loss_pct', 'latency_p95_ms']} empty="No results in the window." />
        </>
      ) : null}
    </section>
  );
}

const Users = z.object({ items: z.array(DirectoryUserView), next_cursor: z.string().nullable() });

/** The tenant's people (read-only: the IdP changes them through SCIM), with their groups and roles. */
export function UsersScreen({ api }: { api: PortalApi }) {
  const users = useQuery({ queryKey: ['users'], queryFn: async () => Users.parse(await api.get('/v1/directory/users?limit=200')) });
  const rows = (users.data?.items ?? []).map((user) => ({ id: user.id, user_name: user.user_name, display_name: user.display_name, active: user.active ? 'yes' : 'no', groups: user.groups.join(', '), roles: user.roles.join(', ') }));
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <ErrorLine error={users.error} />
      <RowsTable rows={rows} columns={['user_name', 'display_name', 'active', 'groups', 'roles']} empty="No users yet: the IdP provisions them (SCIM) or they sign in." />
      {users.data?.next_cursor == null ? null : <p>The first 200 users are shown.</p>}
    </section>
  );
}
