import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { type AppInfo } from '../../../contracts/ipc';
import { type Operator, type ProviderRole } from '../../../contracts/operators';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { describeError } from '../error-text';
import { queryKeys } from '../queries';
import { AccountView } from './account';
import { AuditView } from './audit';
import { describeTarget } from './control-plane-status';
import { isProviderAdmin, OperatorsView } from './operators';
import { TenantsView } from './tenants';

const roleLabels: Record<ProviderRole, string> = {
  provider_admin: 'Provider admin',
  provider_operator: 'Provider operator',
  billing_viewer: 'Billing viewer',
};

export function formatRoles(roles: readonly ProviderRole[]): string {
  return roles.length > 0 ? roles.map((role) => roleLabels[role]).join(', ') : 'No roles';
}

type SectionProps = { info: AppInfo; operator: Operator; expiresAt: string | null };

/** `when`: only for operators it holds for (the control plane refuses the rest anyway). */
type Section = { id: string; label: string; View: (props: SectionProps) => ReactNode; when?: (operator: Operator) => boolean };

/** The console sections; later screens (tenants, metering, …) are added here. */
const sections: readonly [Section, ...Section[]] = [
  { id: 'overview', label: 'Overview', View: Overview },
  { id: 'tenants', label: 'Tenants', View: TenantsView },
  { id: 'audit', label: 'Audit', View: AuditView },
  { id: 'operators', label: 'Operators', View: OperatorsView, when: isProviderAdmin },
  { id: 'account', label: 'Account', View: AccountView },
];

export function SignedInShell({ info, operator, expiresAt }: { info: AppInfo; operator: Operator; expiresAt: string | null }) {
  const api = useApi();
  const client = useQueryClient();
  const [section, setSection] = useState(sections[0].id);
  const visible = sections.filter((item) => item.when?.(operator) ?? true);
  const current = visible.find((item) => item.id === section) ?? sections[0];

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
        <span className="shell-target" title={describeTarget(info.control_plane)}>
          {describeTarget(info.control_plane)}
        </span>
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
          <FormAlert title="Sign-out failed" messages={[describeError(logout.error)]} />
        </div>
      ) : null}
      <div className="shell-body">
        <nav className="shell-nav" aria-label="Console sections">
          <ul>
            {visible.map((item) => (
              <li key={item.id}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={current.id === item.id ? 'page' : undefined}
                  onClick={() => {
                    setSection(item.id);
                  }}
                >
                  {item.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main className="shell-main">
          <current.View info={info} operator={operator} expiresAt={expiresAt} />
        </main>
      </div>
    </div>
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
