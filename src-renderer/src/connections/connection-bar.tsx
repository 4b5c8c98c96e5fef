import { useState } from 'react';
import { type ControlPlaneStatus } from '../../../contracts/ipc';
import { ConnectionSwitcher } from './connection-switcher';
import { ConnectionsView } from './connections-view';
import './connections.css';

/**
 * Above the screens before sign-in (status, setup, sign-in): which connection they are for, a switch
 * to another one, and the connections themselves, so a remote control plane can be added before
 * anyone signs in to the embedded one.
 */
export function ConnectionBar({ status }: { status: ControlPlaneStatus }) {
  const [managing, setManaging] = useState(false);
  return (
    <div className="connection-bar" role="region" aria-label="Connection">
      <div className="connection-bar-row">
        <ConnectionSwitcher
          status={status}
          onManage={() => {
            setManaging(true);
          }}
        />
        {managing ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              setManaging(false);
            }}
          >
            Close connections
          </button>
        ) : null}
      </div>
      {managing ? (
        <div className="connection-bar-panel">
          <ConnectionsView />
        </div>
      ) : null}
    </div>
  );
}
