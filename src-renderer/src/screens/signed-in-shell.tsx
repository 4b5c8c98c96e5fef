import { useMutation, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useRef, type ComponentType } from 'react';
import { type AppInfo } from '../../../contracts/ipc';
import { type Operator, type ProviderRole } from '../../../contracts/operators';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { describeError } from '../error-text';
import { queryKeys } from '../queries';
import { hrefFor, navigate, useRoute } from '../router/hash-router';
import { ConnectionSwitcher } from '../connections/connection-switcher';

const roleLabels: Record<ProviderRole, string> = {
  provider_admin: 'Provider admin',
  provider_operator: 'Provider operator',
  billing_viewer: 'Billing viewer',
};

export function formatRoles(roles: readonly ProviderRole[]): string {
  return roles.length > 0 ? roles.map((role) => roleLabels[role]).join(', ') : 'No roles';
}

export type SectionProps = { info: AppInfo; operator: Operator; expiresAt: string | null };

/**
 * A screen of the signed-in console: its route is `#/<id>`, its label the nav entry and the window
 * title. `when`: only for operators it holds for (the control plane refuses the rest anyway).
 */
type Section = { id: string; label: string; View: ComponentType<SectionProps>; when?: (operator: Operator) => boolean };

// Screens past the first load on demand, in chunks of their own: the first screen does not wait for them.
const TenantsView = lazy(() => import('./tenants').then((module) => ({ default: module.TenantsView })));
const AuditView = lazy(() => import('./audit').then((module) => ({ default: module.AuditView })));
const OperatorsView = lazy(() => import('./operators').then((module) => ({ default: module.OperatorsView })));
const AccountView = lazy(() => import('./account').then((module) => ({ default: module.AccountView })));
const UsageView = lazy(() => import('./usage').then((module) => ({ default: module.UsageView })));
const LicenseView = lazy(() => import('./license').then((module) => ({ default: module.LicenseView })));
const SimulatorView = lazy(() => import('../simulation/simulator-view').then((module) => ({ default: module.SimulatorView })));
const FairnessOverview = lazy(() => import('../fleet/fairness-overview').then((module) => ({ default: module.FairnessOverview })));
const ReplicasView = lazy(() => import('../fleet/replicas-view').then((module) => ({ default: module.ReplicasView })));
const ConnectionsView = lazy(() => import('../connections/connections-view').then((module) => ({ default: module.ConnectionsView })));

/** The console's screens, one line each, in nav order; the first is where `#/` lands. */
export const sections: readonly [Section, ...Section[]] = [
  { id: 'overview', label: 'Overview', View: Overview },
  { id: 'tenants', label: 'Tenants', View: TenantsView },
  { id: 'audit', label: 'Audit', View: AuditView },
  { id: 'usage', label: 'Usage', View: UsageView, when: (operator) => operator.roles.includes('provider_admin') || operator.roles.includes('billing_viewer') },
  { id: 'license', label: 'License', View: LicenseView },
  { id: 'fairness', label: 'Fairness', View: FairnessOverview },
  { id: 'replicas', label: 'Replicas', View: ReplicasView },
  { id: 'operators', label: 'Operators', View: OperatorsView, when: (operator) => operator.roles.includes('provider_admin') },
  { id: 'simulator', label: 'Simulator', View: SimulatorView },
  { id: 'account', label: 'Account', View: AccountView },
  { id: 'connections', label: 'Connections', View: ConnectionsView },
];

export function SignedInShell({ info, operator, expiresAt }: { info: AppInfo; operator: Operator; expiresAt: string | null }) {
  const api = useApi();
  const client = useQueryClient();
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const landed = useRef(false);
  const visible = sections.filter((item) => item.when?.(operator) ?? true);

  // `#/` (or no fragment) is the first section; rewritten in place so Back does not return to it.
  const atRoot = route?.path === '/';
  useEffect(() => {
    if (atRoot) {
      navigate(`/${sections[0].id}`, { replace: true });
    }
  }, [atRoot]);
  const current = atRoot ? sections[0] : visible.find((item) => item.id === route?.segments[0]);

  useEffect(() => {
    document.title = `${current?.label ?? 'Not found'} · Bulkhead`;
    // After a move inside the app (not on first load), focus follows to the new screen for keyboard and screen-reader users.
    if (landed.current) {
      main.current?.focus();
    }
    landed.current = true;
  }, [current]);

  const logout = useMutation({
    mutationFn: () => api.call('session:logout', {}),
    onSuccess: (status) => {
      client.setQueryData(queryKeys.session, status);
    },
  });

  return (
    <div className="shell">
      <header className="shell-header">
        <span className="brand">Bulkhead</span>
        <ConnectionSwitcher
          status={info.control_plane}
          onManage={() => {
            navigate('/connections');
          }}
        />
        <div className="shell-operator">
          <span className="operator-name">{operator.username}</span>
          <span className="operator-roles">{formatRoles(operator.roles)}</span>
        </div>
        <button
          type="button"
          className="button"
          disabled={logout.isPending}
          onClick={() => {
            logout.mutate();
          }}
        >
          Sign out
        </button>
      </header>
      {logout.isError ? (
        <div className="shell-alert">
          <FormAlert title="Sign-out failed" messages={[describeError(logout.error)]} onDismiss={logout.reset} />
        </div>
      ) : null}
      <div className="shell-body">
        <nav className="shell-nav" aria-label="Console sections">
          <ul>
            {visible.map((item) => (
              <li key={item.id}>
                <a className="nav-item" href={hrefFor(`/${item.id}`)} aria-current={current?.id === item.id ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main className="shell-main" ref={main} tabIndex={-1}>
          <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
            {current ? <current.View info={info} operator={operator} expiresAt={expiresAt} /> : <NotFound />}
          </Suspense>
        </main>
      </div>
    </div>
  );
}

function NotFound() {
  return (
    <section aria-labelledby="not-found-heading">
      <h1 id="not-found-heading">Not found</h1>
      <p className="lead">The console has no screen at this address.</p>
      <a className="button" href={hrefFor(`/${sections[0].id}`)}>
        Go to {sections[0].label}
      </a>
    </section>
  );
}

function Overview({ info, expiresAt }: SectionProps) {
  // The operator's name and roles are in the header; they are not repeated here.
  const { kind, url } = info.control_plane;
  return (
    <section aria-labelledby="overview-heading">
      <h1 id="overview-heading">Overview</h1>
      <dl className="facts">
        <div>
          <dt>Control plane</dt>
          <dd>{kind === 'embedded' ? 'Embedded in this console' : 'Remote'}</dd>
          {url ? (
            <dd>
              <code>{url}</code>
            </dd>
          ) : null}
        </div>
        <div>
          <dt>Session expires</dt>
          <dd>{expiresAt ? new Date(expiresAt).toLocaleString() : 'Not reported'}</dd>
        </div>
        <div>
          <dt>Console</dt>
          <dd>
            Version {info.version}, {info.mode === 'electron' ? 'desktop app' : 'browser mode'}
          </dd>
        </div>
      </dl>
    </section>
  );
}
