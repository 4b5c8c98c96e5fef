// Query keys, the QueryClient defaults and the two queries that decide which screen is shown.
import { MutationCache, QueryCache, QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { isConsoleError } from './api';
import { useApi } from './api-context';

export const queryKeys = {
  appInfo: ['app', 'info'] as const,
  session: ['session', 'status'] as const,
};

/** While the control plane is starting, app:info is polled this often (ms). */
export const STARTING_POLL_MS = 1000;
/** The session is re-checked this often (ms) so an expired session returns to sign-in. */
export const SESSION_POLL_MS = 60_000;

/** A console answer that means "you are no longer signed in": re-read the session. */
function isSessionLost(error: unknown): boolean {
  return isConsoleError(error) && (error.code === 'session_expired' || error.code === 'unauthorized');
}

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        // The session query itself is excluded: re-reading it on its own error would loop.
        if (isSessionLost(error) && query.queryKey[0] !== queryKeys.session[0]) {
          void client.invalidateQueries({ queryKey: queryKeys.session });
        }
      },
    }),
    mutationCache: new MutationCache({
      onError: (error) => {
        if (isSessionLost(error)) {
          void client.invalidateQueries({ queryKey: queryKeys.session });
        }
      },
    }),
    defaultOptions: {
      // The console answers locally; a failure is shown with a retry button rather than retried blindly.
      queries: { retry: false },
      // Mutations carry passwords and TOTP secrets: never keep them in the cache after use.
      mutations: { retry: false, gcTime: 0 },
    },
  });
  return client;
}

export function useAppInfo() {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.appInfo,
    queryFn: () => api.call('app:info', {}),
    // Polled while it may change on its own (events say so too, but a missed one must not strand a screen).
    refetchInterval: (query) => (['starting', 'restarting', 'crashed'].includes(query.state.data?.control_plane.state ?? '') ? STARTING_POLL_MS : false),
  });
}

export function useSessionStatus(enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.session,
    queryFn: () => api.call('session:status', {}),
    enabled,
    refetchInterval: (query) => (query.state.data?.signed_in ? SESSION_POLL_MS : false),
  });
}

/** Follows main → renderer events: a changed session or control plane re-reads the matching query. */
export function useConsoleEvents(): void {
  const api = useApi();
  const client = useQueryClient();
  useEffect(() => {
    // Each connection's state and session show in the connection list too (['connections', ...]).
    const offSession = api.on('session:changed', () => {
      void client.invalidateQueries({ queryKey: queryKeys.session });
      void client.invalidateQueries({ queryKey: ['connections'] });
    });
    const offStatus = api.on('controlplane:status', () => {
      void client.invalidateQueries({ queryKey: queryKeys.appInfo });
      void client.invalidateQueries({ queryKey: ['connections'] });
    });
    return () => {
      offSession();
      offStatus();
    };
  }, [api, client]);
}
