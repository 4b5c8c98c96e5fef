import { type ControlPlaneStatus } from '../../../contracts/ipc';
import { FormAlert } from '../components/form-alert';
import { describeError } from '../error-text';

export type ControlPlaneStatusProps =
  | { view: 'loading' }
  | { view: 'starting'; status: ControlPlaneStatus }
  | { view: 'failed'; status: ControlPlaneStatus; onRetry: () => void }
  | { view: 'error'; error: unknown; onRetry: () => void };

/** Everything before setup or sign-in: connecting, the control plane starting, or failing. */
export function ControlPlaneStatusScreen(props: ControlPlaneStatusProps) {
  return (
    <main className="auth-screen">
      <div className="auth-card">
        <p className="brand brand-large">Bulkhead</p>
        <StatusBody {...props} />
      </div>
    </main>
  );
}

function StatusBody(props: ControlPlaneStatusProps) {
  switch (props.view) {
    case 'loading':
      return (
        <div role="status">
          <h1>Connecting</h1>
          <p className="lead">Connecting to the Bulkhead console…</p>
        </div>
      );
    case 'starting':
      return (
        <div role="status">
          <h1>Starting the control plane</h1>
          <p className="lead">
            {props.status.message ?? 'The control plane is starting. This usually takes a few seconds.'}
          </p>
          <p className="muted">{describeTarget(props.status)}</p>
        </div>
      );
    case 'failed':
      return (
        <>
          <h1>The control plane could not start</h1>
          <FormAlert messages={[props.status.message ?? 'The control plane stopped without giving a reason.']} />
          <p className="muted">{describeTarget(props.status)}</p>
          <p>Fix the cause (see the message above and the console log), then check again or restart Bulkhead.</p>
          <button type="button" className="button" onClick={props.onRetry}>
            Check again
          </button>
        </>
      );
    case 'error':
      return (
        <>
          <h1>The console is not answering</h1>
          <FormAlert messages={[describeError(props.error)]} />
          <button type="button" className="button" onClick={props.onRetry}>
            Try again
          </button>
        </>
      );
  }
}

export function describeTarget(status: ControlPlaneStatus): string {
  const kind = status.kind === 'embedded' ? 'Embedded control plane' : 'Remote control plane';
  return status.url ? `${kind} at ${status.url}` : kind;
}
