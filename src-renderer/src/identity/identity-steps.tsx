import { useQueryClient } from '@tanstack/react-query';
import { queryKeys } from '../queries';
import { Enrollment } from './enrollment';
import { useIdentityFlow } from './identity-flow';
import { RecoveryCodesScreen } from './recovery-codes';

/** Whichever identity step is in progress (App shows it before anything else); null when none. */
export function IdentitySteps() {
  const flow = useIdentityFlow();
  const client = useQueryClient();
  if (flow.enrolling) {
    return <Enrollment key={flow.enrolling.username} step={flow.enrolling} />;
  }
  if (flow.recoveryCodes) {
    return (
      <RecoveryCodesScreen
        codes={flow.recoveryCodes}
        onSaved={() => {
          flow.recoveryCodesSaved();
          // First run: the control plane is ready by now; the signed-in shell follows.
          void client.invalidateQueries({ queryKey: queryKeys.appInfo });
          void client.invalidateQueries({ queryKey: queryKeys.session });
        }}
      />
    );
  }
  return null;
}
