import { FormAlert } from '../components/form-alert';
import { describeError } from '../error-text';
import { DEMO_REQUEST, useRunDemo } from './simulator-queries';

/**
 * An empty console's next step (#21): the sales engineer's one click. Runs the simulator's demo
 * on the connected control plane (tenants of every isolation model, a noisy neighbour, an isolation
 * probe, a break-glass drill) and opens the simulator panel to watch it; its tenants stay.
 */
export function RunDemo() {
  const demo = useRunDemo();
  return (
    <div className="empty-state" data-testid="run-demo">
      <p className="muted">No tenants yet. Create one above, or let the simulator build a demo fleet: tenants of every isolation model, a noisy neighbour held to its rate, an isolation probe and a break-glass drill, in about a minute.</p>
      <button type="button" className="button button-primary" disabled={demo.isPending} onClick={() => demo.mutate(DEMO_REQUEST)}>
        Run the demo
      </button>
      {demo.isError ? <FormAlert title="The demo did not start" messages={[describeError(demo.error)]} onDismiss={demo.reset} /> : null}
    </div>
  );
}
