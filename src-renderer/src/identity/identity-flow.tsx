// The operator's way in, across screens: a pending enrollment (QR code, first code), the recovery
// codes shown once after it, and why the console locked itself. Held here, in memory, because the
// session changes under these screens (the shell must not show before the codes were saved).
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { type SetupResult } from '../../../contracts/ipc';
import { useApi } from '../api-context';

/** An enrollment in progress: the password stays in memory until the first code confirms it. */
export type EnrollmentStep = {
  username: string;
  password: string;
  enrollment: SetupResult;
  /** The first provider admin, just created by first-run setup. */
  firstRun: boolean;
};

export type IdentityFlow = {
  enrolling: EnrollmentStep | null;
  /** Recovery codes to show once, until the operator says they are saved. */
  recoveryCodes: readonly string[] | null;
  /** The console locked itself after this long idle (shown on sign-in until the next sign-in). */
  locked: { idleLockSeconds: number } | null;
  /** Who just finished first-run setup: sign-in is shown even if app:info has not caught up yet. */
  enrolledUsername: string | null;
  /** True while one of the steps above is on screen. */
  busy: boolean;
  startEnrollment: (step: EnrollmentStep) => void;
  cancelEnrollment: () => void;
  /** Enrollment confirmed: forget the password, show the recovery codes. */
  enrolled: (recoveryCodes: readonly string[]) => void;
  recoveryCodesSaved: () => void;
  signedIn: () => void;
};

const IdentityContext = createContext<IdentityFlow | null>(null);

export function IdentityFlowProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [enrolling, setEnrolling] = useState<EnrollmentStep | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<readonly string[] | null>(null);
  const [locked, setLocked] = useState<{ idleLockSeconds: number } | null>(null);
  const [enrolledUsername, setEnrolledUsername] = useState<string | null>(null);

  useEffect(
    () =>
      api.on('session:locked', (event) => {
        setLocked({ idleLockSeconds: event.idle_lock_seconds });
      }),
    [api],
  );

  const flow = useMemo<IdentityFlow>(
    () => ({
      enrolling,
      recoveryCodes,
      locked,
      enrolledUsername,
      busy: enrolling !== null || recoveryCodes !== null,
      startEnrollment: (step) => {
        setLocked(null);
        setEnrolling(step);
      },
      cancelEnrollment: () => {
        // First run: the admin exists now, so sign-in follows (and leads back here until it is enrolled).
        setEnrolledUsername((current) => (enrolling?.firstRun ? enrolling.username : current));
        setEnrolling(null);
      },
      enrolled: (codes) => {
        setEnrolledUsername((current) => enrolling?.username ?? current);
        setEnrolling(null);
        setRecoveryCodes(codes);
      },
      recoveryCodesSaved: () => {
        setRecoveryCodes(null);
      },
      signedIn: () => {
        setLocked(null);
      },
    }),
    [enrolling, recoveryCodes, locked, enrolledUsername],
  );
  return <IdentityContext value={flow}>{children}</IdentityContext>;
}

export function useIdentityFlow(): IdentityFlow {
  const flow = useContext(IdentityContext);
  if (!flow) {
    throw new Error('useIdentityFlow() needs an <IdentityFlowProvider> above it.');
  }
  return flow;
}
