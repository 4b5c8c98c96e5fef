import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type SimulatorRunView, type SimulatorStartRequest } from '../../../contracts/simulation';
import { useApi } from '../api-context';
import { navigate } from '../router/hash-router';

export const simulatorKeys = { status: ['simulator', 'status'] as const };

/** While a run goes on, the panel polls its view this often (ms): one point per second arrives. */
export const RUN_POLL_MS = 1000;

export function useSimulatorStatus() {
  const api = useApi();
  return useQuery({
    queryKey: simulatorKeys.status,
    queryFn: () => api.call('simulator:status', {}),
    refetchInterval: (query) => (query.state.data?.state === 'running' ? RUN_POLL_MS : false),
  });
}

/** Starts a run; the answer is the running view, so the panel shows it at once. */
export function useStartSimulation(onStarted?: (view: SimulatorRunView) => void) {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: SimulatorStartRequest) => api.call('simulator:start', request),
    onSuccess: (view) => {
      client.setQueryData(simulatorKeys.status, view);
      onStarted?.(view);
    },
  });
}

export function useStopSimulation() {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.call('simulator:stop', {}),
    onSuccess: (view) => {
      client.setQueryData(simulatorKeys.status, view);
    },
  });
}

/** The demo, as "Run the demo" starts it: its tenants stay, to be looked at in the console afterwards. */
export const DEMO_REQUEST: SimulatorStartRequest = { scenario: 'demo', keep_tenants: true };

/** Starts the demo and opens the simulator panel to watch it. */
export function useRunDemo() {
  return useStartSimulation(() => {
    navigate('/simulator');
  });
}
