import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortalApi } from '../api';
import { AgentsScreen } from './operations';

afterEach(cleanup);

const POOL = '00000000-0000-4000-8000-0000000000aa';

function apiAnswering(answers: Record<string, unknown>): PortalApi {
  return {
    get: (path) => (path in answers ? Promise.resolve(answers[path]) : Promise.reject(new Error(`unexpected GET ${path}`))),
    send: () => Promise.reject(new Error('the agents screen changes nothing')),
  };
}

describe('the portal Agents screen', () => {
  it('lists the enrolled agents with their pool by name, then the pools', async () => {
    const api = apiAnswering({
      '/v1/agents': { items: [{ id: '00000000-0000-4000-8000-000000000001', name: 'probe-edge-1', pool_id: POOL, group: 'edge', created_at: '2026-12-06T00:00:00.000Z' }], next_cursor: null },
      '/v1/agent-pools?limit=100': { items: [{ id: POOL, name: 'edge pool', ttl_seconds: 3600, default_group: 'edge', created_at: '2026-12-05T00:00:00.000Z' }], next_cursor: null },
    });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <AgentsScreen api={api} />
      </QueryClientProvider>,
    );
    const agentRow = (await screen.findByText('probe-edge-1')).closest('tr');
    expect(agentRow?.textContent).toContain('edge pool');
    expect(screen.getByRole('heading', { name: 'Bootstrap pools' })).toBeTruthy();
  });

  it('says how agents arrive when there are none', async () => {
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <AgentsScreen api={apiAnswering({ '/v1/agents': { items: [], next_cursor: null }, '/v1/agent-pools?limit=100': { items: [], next_cursor: null } })} />
      </QueryClientProvider>,
    );
    expect(await screen.findByText(/No agents yet/)).toBeTruthy();
  });
});
