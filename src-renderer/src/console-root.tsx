import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { type ConsoleApi } from './api';
import { ApiProvider } from './api-context';
import { App } from './app';
import { IdentityFlowProvider } from './identity/identity-flow';

/** The whole console with its dependencies injected: main.tsx passes the real ones, tests fakes. */
export function ConsoleRoot({ api, queryClient }: { api: ConsoleApi; queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <ApiProvider api={api}>
        <IdentityFlowProvider>
          <App />
        </IdentityFlowProvider>
      </ApiProvider>
    </QueryClientProvider>
  );
}
