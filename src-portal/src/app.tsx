import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { PortalSession } from '../../contracts/portal';
import { loadSession, portalApi } from './api';
import { BreakGlassScreen } from './screens/break-glass';
import { DirectoryScreen } from './screens/directory';
import { LedgerScreen } from './screens/ledger';
import { AgentsScreen, TestsScreen, UsersScreen } from './screens/operations';
import { ScimTokensScreen } from './screens/scim-tokens';
import { SignInWall } from './sign-in-wall';


type Tab = 'break-glass' | 'ledger' | 'scim' | 'users' | 'directory' | 'agents' | 'tests';

/** Which screens a person sees: those their permissions open (the control plane checks again on every call). */
const tabs: readonly { id: Tab; label: string; permission: string }[] = [
  { id: 'break-glass', label: 'Break-glass', permission: 'break-glass:decide' },
  { id: 'ledger', label: 'Ledger', permission: 'audit:read' },
  { id: 'scim', label: 'SCIM tokens', permission: 'directory:write' },
  { id: 'users', label: 'Users', permission: 'users:read' },
  { id: 'directory', label: 'Groups and roles', permission: 'users:read' },
  { id: 'agents', label: 'Agents', permission: 'agents:read' },
  { id: 'tests', label: 'Tests', permission: 'tests:read' },
];

export function App({ loadBrand }: { loadBrand: () => Promise<unknown> }) {
  // One cache per mounted app (a page has one; tests mount several).
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } }));
  return (
    <QueryClientProvider client={queryClient}>
      <Portal loadBrand={loadBrand} />
    </QueryClientProvider>
  );
}

function Portal({ loadBrand }: { loadBrand: () => Promise<unknown> }) {
  const session = useQuery({ queryKey: ['session'], queryFn: () => loadSession(window.fetch.bind(window)) });
  if (session.isPending) return <main className="wall" aria-busy="true" />;
  if (session.data === null || session.data === undefined) {
    const error = new URLSearchParams(window.location.search).get('error');
    return <SignInWall loadBrand={loadBrand} signInError={error} />;
  }
  return <SignedIn session={session.data} />;
}

function SignedIn({ session }: { session: PortalSession }) {
  const api = useMemo(() => portalApi(window.fetch.bind(window), session.csrf_token), [session.csrf_token]);
  const allowed = tabs.filter((tab) => session.permissions.includes(tab.permission));
  const [tab, setTab] = useState<Tab | null>(allowed[0]?.id ?? null);
  return (
    <div className="shell">
      <header>
        <strong>{session.tenant.name}</strong>
        <span className="who">
          {session.user.user_name} · {session.user.roles.join(', ') || 'no role'}
        </span>
        <button
          type="button"
          onClick={() => {
            void api.send('POST', '/portal/logout').finally(() => window.location.assign('/portal/'));
          }}
        >
          Sign out
        </button>
      </header>
      <nav aria-label="Portal">
        {allowed.map((item) => (
          <button key={item.id} type="button" aria-current={item.id === tab ? 'page' : undefined} onClick={() => setTab(item.id)}>
            {item.label}
          </button>
        ))}
      </nav>
      <main>
        {tab === null ? <p>Your role opens no screen here yet; ask a tenant admin.</p> : null}
        {tab === 'break-glass' ? <BreakGlassScreen api={api} /> : null}
        {tab === 'ledger' ? <LedgerScreen api={api} ledger={session.tenant.id} /> : null}
        {tab === 'scim' ? <ScimTokensScreen api={api} /> : null}
        {tab === 'users' ? <UsersScreen api={api} /> : null}
        {tab === 'directory' ? <DirectoryScreen api={api} /> : null}
        {tab === 'agents' ? <AgentsScreen api={api} /> : null}
        {tab === 'tests' ? <TestsScreen api={api} readsTelemetry={session.permissions.includes('telemetry:read')} /> : null}
      </main>
    </div>
  );
}
