// The connections' queries and the two actions every screen may need: switching and "check again".
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ConnectionView, type ControlPlaneStatus } from '../../../contracts/ipc';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { describeError } from '../error-text';
import { queryKeys } from '../queries';

export const connectionKeys = {
  list: ['connections', 'list'] as const,
};

export function useConnections() {
  const api = useApi();
  return useQuery({ queryKey: connectionKeys.list, queryFn: () => api.call('connections:list', {}) });
}

/**
 * Switches the active connection. Everything cached belongs to the connection left behind (its
 * tenants, its license), so every query is reset and the screens read the new connection afresh.
 */
export function useSwitchConnection(onSwitched?: () => void) {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.call('connections:switch', { id }),
    onSuccess: async () => {
      onSwitched?.();
      await client.resetQueries();
    },
  });
}

/** "Check again": restarts a crashed or failed embedded control plane now, or checks a remote one again. */
export function useRetryControlPlane() {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.call('controlplane:retry', {}),
    onSettled: async () => {
      await Promise.all([client.invalidateQueries({ queryKey: queryKeys.appInfo }), client.invalidateQueries({ queryKey: connectionKeys.list })]);
    },
  });
}

/** A connection error as the operator should read it: the console's own sentence names the address and the cause. */
export function describeConnectionError(error: unknown, fieldLabels: Readonly<Record<string, string>> = {}): string {
  if (isConsoleError(error) && (error.code === 'control_plane_unreachable' || error.code === 'control_plane_untrusted')) {
    return error.message;
  }
  return describeError(error, fieldLabels);
}

export type StatusTone = 'ok' | 'busy' | 'bad';

/** One word or two for a connection's state, and its colour. */
export function describeState(status: ControlPlaneStatus): { label: string; tone: StatusTone } {
  switch (status.state) {
    case 'ready':
      return { label: 'Ready', tone: 'ok' };
    case 'starting':
      return { label: status.kind === 'remote' ? 'Not checked yet' : 'Starting', tone: 'busy' };
    case 'restarting':
      return { label: 'Restarting', tone: 'busy' };
    case 'setup_required':
      return { label: 'Needs setup', tone: 'busy' };
    case 'crashed':
      return { label: 'Crashed', tone: 'bad' };
    case 'failed':
      return { label: status.kind === 'remote' ? 'Unreachable' : 'Failed', tone: 'bad' };
  }
}

export function sessionLabel(connection: ConnectionView): string {
  return connection.session.signed_in ? `Signed in as ${connection.session.username ?? 'an operator'}` : 'Not signed in';
}
