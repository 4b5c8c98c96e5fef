import { type AppInfo } from '../../contracts/ipc';
import { ConnectionBar } from './connections/connection-bar';
import { useIdentityFlow } from './identity/identity-flow';
import { IdentitySteps } from './identity/identity-steps';
import { useAppInfo, useConsoleEvents, useSessionStatus } from './queries';
import { ControlPlaneStatusScreen } from './screens/control-plane-status';
import { FirstRunSetup } from './screens/first-run-setup';
import { SignIn } from './screens/sign-in';
import { SignedInShell } from './screens/signed-in-shell';

/** Decides the screen from app:info (control plane state) and session:status. */
export function App() {
  useConsoleEvents();
  const info = useAppInfo();
  // Enrollment and its recovery codes come first, whatever the session says meanwhile.
  const identity = useIdentityFlow();
  const enrolledUsername = identity.enrolledUsername;

  if (identity.busy) {
    return <IdentitySteps />;
  }

  // A failed refetch keeps showing the last good answer; only a first failure is a screen.
  if (info.data === undefined) {
    return info.isError ? (
      <ControlPlaneStatusScreen
        view="error"
        error={info.error}
        onRetry={() => {
          void info.refetch();
        }}
      />
    ) : (
      <ControlPlaneStatusScreen view="loading" />
    );
  }

  const status = info.data.control_plane;
  // Before sign-in, the connection bar says which control plane a screen is for, and switches.
  const bar = <ConnectionBar status={status} />;
  switch (status.state) {
    case 'starting':
      return <>{bar}<ControlPlaneStatusScreen view="starting" status={status} /></>;
    case 'failed':
      return <>{bar}<ControlPlaneStatusScreen view="failed" status={status} /></>;
    case 'crashed':
    case 'restarting':
      return <>{bar}<ControlPlaneStatusScreen view="crashed" status={status} /></>;
    case 'setup_required':
      // Just enrolled: go on to sign-in even if app:info has not caught up yet.
      if (enrolledUsername === null) {
        return (
          <>
            {bar}
            <FirstRunSetup />
          </>
        );
      }
      return <SessionGate info={info.data} initialUsername={enrolledUsername} />;
    case 'ready':
      return <SessionGate info={info.data} initialUsername={enrolledUsername ?? ''} />;
  }
}

function SessionGate({ info, initialUsername }: { info: AppInfo; initialUsername: string }) {
  const session = useSessionStatus(true);
  if (session.data === undefined) {
    return session.isError ? (
      <ControlPlaneStatusScreen
        view="error"
        error={session.error}
        onRetry={() => {
          void session.refetch();
        }}
      />
    ) : (
      <ControlPlaneStatusScreen view="loading" />
    );
  }
  const { operator } = session.data;
  if (session.data.signed_in && operator) {
    return <SignedInShell info={info} operator={operator} expiresAt={session.data.expires_at} />;
  }
  return <><ConnectionBar status={info.control_plane} /><SignIn initialUsername={initialUsername} /></>;
}
