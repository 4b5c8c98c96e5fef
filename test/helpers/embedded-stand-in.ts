import type { ControlPlaneStatus } from '../../contracts/ipc';
import type { EmbeddedHandle } from '../../src-main/services/connections';
import type { RunningControlPlane } from './control-plane-harness';

/** The console's embedded control plane stood in for by a real one running in this process (no child to spawn). */
export function embeddedStandIn(cp: RunningControlPlane): EmbeddedHandle {
  const target = { url: cp.url, caPem: cp.caPem };
  const status: ControlPlaneStatus = { kind: 'embedded', connection_id: 'embedded', url: cp.url, state: 'ready', message: null };
  return { status: () => status, connection: () => target, retry: () => Promise.resolve(status), keyProtection: 'file' };
}
