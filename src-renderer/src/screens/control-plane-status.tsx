import { useEffect, useState } from 'react';
import { type ControlPlaneStatus } from '../../../contracts/ipc';
import { FormAlert } from '../components/form-alert';
import { describeConnectionError, useRetryControlPlane } from '../connections/connection-queries';
import { describeError } from '../error-text';

export type ControlPlaneStatusProps =
  | { view: 'loading' }
  | { view: 'starting'; status: ControlPlaneStatus }
  /** Did not start (embedded) or cannot be reached (remote): "Check again" asks the console to try now. */
  | { view: 'failed'; status: ControlPlaneStatus }
  /** The embedded control plane stopped after it was ready: `crashed` (waiting to restart) or `restarting`. */
  | { view: 'crashed'; status: ControlPlaneStatus }
  | { view: 'error'; error: unknown; onRetry: () => void };

/** Everything before setup or sign-in: connecting, the control plane starting, failing or crashed. */
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
          <h1>{props.status.kind === 'remote' ? 'Checking the control plane' : 'Starting the control plane'}</h1>
          <p className="lead">
            {props.status.kind === 'remote' ? 'Reaching the remote control plane…' : (props.status.message ?? 'The control plane is starting. This usually takes a few seconds.')}
          </p>
          <p className="muted">{describeTarget(props.status)}</p>
        </div>
      );
    case 'failed':
      return <Failed status={props.status} />;
    case 'crashed':
      return <Crashed status={props.status} />;
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

function Failed({ status }: { status: ControlPlaneStatus }) {
  const retry = useRetryControlPlane();
  const remote = status.kind === 'remote';
  return (
    <>
      <h1>{remote ? 'The control plane cannot be reached' : 'The control plane could not start'}</h1>
      <FormAlert messages={[status.message ?? (remote ? 'The control plane did not answer.' : 'The control plane stopped without giving a reason.')]} />
      <p className="muted">{describeTarget(status)}</p>
      <p>
        {remote
          ? 'Check that it is running and reachable from here, then check again, or switch to another connection above.'
          : 'Fix the cause (see the message above and the console log), then check again.'}
      </p>
      {retry.isError ? <FormAlert title="The check failed" messages={[describeConnectionError(retry.error)]} /> : null}
      <button type="button" className="button" disabled={retry.isPending} onClick={() => retry.mutate()}>
        {retry.isPending ? 'Checking…' : 'Check again'}
      </button>
    </>
  );
}

function Crashed({ status }: { status: ControlPlaneStatus }) {
  const retry = useRetryControlPlane();
  const seconds = useSecondsUntil(status.state === 'crashed' ? (status.retry_at ?? null) : null);
  const attempt = status.restarts ? ` (restart ${status.restarts})` : '';
  return (
    <>
      <h1>The embedded control plane stopped</h1>
      <FormAlert messages={[status.message ?? 'It stopped without giving a reason.']} />
      <p role="status" data-testid="restart-status">
        {status.state === 'restarting' || seconds === 0 ? `Restarting it now${attempt}…` : `Restarting it in ${seconds ?? '?'} s${attempt}.`}
      </p>
      <p className="muted">Sessions are kept: once it is back, you carry on where you were.</p>
      {retry.isError ? <FormAlert title="The restart failed" messages={[describeConnectionError(retry.error)]} /> : null}
      <button type="button" className="button" disabled={retry.isPending || status.state === 'restarting'} onClick={() => retry.mutate()}>
        Restart now
      </button>
    </>
  );
}

/** Whole seconds from now until `at`, re-rendered twice a second; null without a time. */
function useSecondsUntil(at: string | null): number | null {
  // The clock is read at render time, so a new `at` never meets a stale "now" (the ticks only re-render).
  const [, setTick] = useState(0);
  useEffect(() => {
    if (at === null) return;
    const timer = setInterval(() => {
      setTick((tick) => tick + 1);
    }, 500);
    return () => {
      clearInterval(timer);
    };
  }, [at]);
  return at === null ? null : Math.max(0, Math.ceil((Date.parse(at) - Date.now()) / 1000));
}

export function describeTarget(status: ControlPlaneStatus): string {
  const kind = status.kind === 'embedded' ? 'Embedded control plane' : 'Remote control plane';
  return status.url ? `${kind} at ${status.url}` : kind;
}
