import { useId, useState } from 'react';
import { type ControlPlaneStatus } from '../../../contracts/ipc';
import { FormAlert } from '../components/form-alert';
import { describeTarget } from '../screens/control-plane-status';
import { describeConnectionError, describeState, sessionLabel, useConnections, useSwitchConnection } from './connection-queries';
import './connections.css';

/**
 * The header's connection indicator: which control plane the console is talking to, and an explicit
 * switch to another one (each keeps its own operator session; one without a session goes to its
 * sign-in). `status` is the active control plane's, known before the list is.
 */
export function ConnectionSwitcher({ status, onManage }: { status: ControlPlaneStatus; onManage?: () => void }) {
  const connections = useConnections();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const switchTo = useSwitchConnection(() => {
    setOpen(false);
  });
  const items = connections.data?.items ?? [];
  const active = items.find((connection) => connection.active);
  const state = describeState(status);

  return (
    <div
      className="connection-switcher"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && open) {
          event.stopPropagation();
          setOpen(false);
        }
      }}
    >
      <button
        type="button"
        className="connection-current"
        aria-expanded={open}
        aria-controls={menuId}
        title={describeTarget(status)}
        onClick={() => {
          setOpen(!open);
        }}
      >
        <span className={`connection-dot connection-dot-${state.tone}`} aria-hidden="true" />
        <span className="connection-caption">Connection</span>
        <span className="connection-name" data-testid="active-connection">
          {active?.name ?? (status.kind === 'embedded' ? 'Embedded' : 'Remote')}
        </span>
        {status.url ? <span className="connection-url">{status.url}</span> : null}
        <span className="visually-hidden">, {state.label}. Switch connection</span>
      </button>
      {open ? (
        <div id={menuId} className="connection-menu" role="group" aria-label="Switch connection">
          {connections.isError ? <FormAlert messages={[describeConnectionError(connections.error)]} /> : null}
          <ul>
            {items.map((connection) => {
              const itemState = describeState(connection.status);
              return (
                <li key={connection.id} className="connection-item">
                  <div className="connection-item-text">
                    <span className="connection-item-name">
                      <span className={`connection-dot connection-dot-${itemState.tone}`} aria-hidden="true" />
                      {connection.name}
                    </span>
                    <span className="muted">
                      {connection.url ?? 'Not running'} · {itemState.label} · {sessionLabel(connection)}
                    </span>
                  </div>
                  {connection.active ? (
                    <span className="connection-active" aria-current="true">
                      Active
                    </span>
                  ) : (
                    <button
                      type="button"
                      className="button"
                      disabled={switchTo.isPending}
                      aria-label={`Switch to ${connection.name}`}
                      onClick={() => {
                        switchTo.mutate(connection.id);
                      }}
                    >
                      Switch
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
          {switchTo.isError ? <FormAlert title="The connection was not switched" messages={[describeConnectionError(switchTo.error)]} /> : null}
          {onManage ? (
            <button
              type="button"
              className="button connection-manage"
              onClick={() => {
                setOpen(false);
                onManage();
              }}
            >
              Manage connections
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
