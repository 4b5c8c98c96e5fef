import { useState, type SyntheticEvent } from 'react';
import { SIMULATOR_SCENARIOS, type SimulatorReport, type SimulatorRunView, type SimulatorScenario, type SimulatorTenantSeries } from '../../../contracts/simulation';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { describeError } from '../error-text';
import { RateChart } from './rate-chart';
import { useSimulatorStatus, useStartSimulation, useStopSimulation } from './simulator-queries';
import './simulator.css';

const scenarioLabels: Record<SimulatorScenario, string> = {
  'noisy-neighbor': 'Noisy neighbour: one tenant floods, the others stay fast',
  'isolation-probe': 'Isolation probe: every tenant attacks every other, 0 leaks',
  'break-glass-drill': 'Break-glass drill: access only with the tenant’s approval',
  'scim-sync': 'SCIM sync: directory changes reach open sessions',
  demo: 'Demo: noisy neighbour, isolation probe and break-glass drill',
};

/** Which sizes a scenario takes (the demo sizes its own parts; only noisy load has a duration). */
const takesTenants = (scenario: SimulatorScenario) => scenario !== 'demo';
const takesDuration = (scenario: SimulatorScenario) => scenario === 'noisy-neighbor' || scenario === 'demo';

const stateLabels: Record<SimulatorRunView['state'], string> = { idle: 'No run yet', running: 'Running', finished: 'Finished', failed: 'Failed', stopped: 'Stopped' };

/** `#/simulator`: pick a scenario, size and seed; start, watch, stop; the report. */
export function SimulatorView() {
  const status = useSimulatorStatus();
  const start = useStartSimulation();
  const stop = useStopSimulation();
  const [scenario, setScenario] = useState<SimulatorScenario>('noisy-neighbor');
  const [tenants, setTenants] = useState('3');
  const [duration, setDuration] = useState('12');
  const [seed, setSeed] = useState('');
  const run = status.data;
  const running = run?.state === 'running';

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    start.mutate({
      scenario,
      ...(takesTenants(scenario) && tenants.trim() !== '' ? { tenants: Number(tenants) } : {}),
      ...(takesDuration(scenario) && duration.trim() !== '' ? { duration_seconds: Number(duration) } : {}),
      ...(seed.trim() !== '' ? { seed: Number(seed) } : {}),
    });
  };

  return (
    <section aria-labelledby="simulator-heading" className="simulator-screen">
      <h1 id="simulator-heading">Simulator</h1>
      <p className="lead">Builds tenants, their identity providers, people and agents on the control plane this console is connected to, drives them, and reports what held. It runs in a process of its own: the console stays responsive.</p>
      <form className="form-inline simulator-form" onSubmit={submit} aria-label="Scenario" aria-busy={start.isPending}>
        <div className="field">
          <label htmlFor="sim-scenario">Scenario</label>
          <select id="sim-scenario" value={scenario} disabled={running} onChange={(event) => setScenario(event.target.value as SimulatorScenario)}>
            {SIMULATOR_SCENARIOS.map((name) => (
              <option key={name} value={name}>
                {scenarioLabels[name]}
              </option>
            ))}
          </select>
        </div>
        {takesTenants(scenario) ? (
          <div className="field field-narrow">
            <label htmlFor="sim-tenants">Tenants</label>
            <input id="sim-tenants" type="number" min={1} max={20} value={tenants} disabled={running} onChange={(event) => setTenants(event.target.value)} />
          </div>
        ) : null}
        {takesDuration(scenario) ? (
          <div className="field field-narrow">
            <label htmlFor="sim-duration">Load seconds</label>
            <input id="sim-duration" type="number" min={2} max={600} value={duration} disabled={running} onChange={(event) => setDuration(event.target.value)} />
          </div>
        ) : null}
        <div className="field field-narrow">
          <label htmlFor="sim-seed">Seed</label>
          <input id="sim-seed" type="number" min={0} value={seed} placeholder="random" disabled={running} onChange={(event) => setSeed(event.target.value)} />
        </div>
        {running ? (
          <button type="button" className="button button-danger" disabled={stop.isPending} onClick={() => stop.mutate()}>
            Stop
          </button>
        ) : (
          <button type="submit" className="button button-primary" disabled={start.isPending}>
            Start
          </button>
        )}
      </form>
      {start.isError ? <FormAlert title="The run did not start" messages={[describeError(start.error)]} onDismiss={start.reset} /> : null}
      {stop.isError ? <FormAlert title="The run could not be stopped" messages={[describeError(stop.error)]} onDismiss={stop.reset} /> : null}
      {status.isError ? <FormAlert title="The simulator's state could not be read" messages={[describeError(status.error)]} onDismiss={() => void status.refetch()} /> : null}
      {run ? <RunPanel run={run} /> : null}
    </section>
  );
}

function RunPanel({ run }: { run: SimulatorRunView }) {
  if (run.state === 'idle') {
    return <p className="muted">No run yet: pick a scenario and start it. The demo takes about a minute.</p>;
  }
  const lastStep = run.steps.at(-1);
  return (
    <div className="simulator-run" data-testid="simulator-run" data-state={run.state}>
      <p className="simulator-run-status" role="status">
        <strong>{stateLabels[run.state]}</strong>: {run.scenario}, seed {run.seed}
        {run.window ? ` · window ${run.window.index + 1} of ${run.window.of} (${run.window.label})` : ''}
        {run.attempts ? ` · ${run.attempts.done.toLocaleString()} of ${run.attempts.total.toLocaleString()} attempts, ${run.attempts.leaks} leaks` : ''}
      </p>
      {run.state === 'running' ? <progress className="simulator-progress" aria-label="Progress" {...(run.attempts ? { value: run.attempts.done, max: run.attempts.total } : run.window ? { value: run.window.index + 1, max: run.window.of } : {})} /> : null}
      {run.state === 'running' && lastStep ? <p className="muted simulator-step">{lastStep}</p> : null}
      {run.error ? <FormAlert title={run.state === 'failed' ? 'The run failed' : 'The run stopped'} messages={[run.error]} /> : null}
      {run.state === 'stopped' ? <Notice tone="info" title="Stopped">The run's tenants stay on the control plane, as set up so far.</Notice> : null}
      {run.tenants.length > 0 ? <TenantCharts tenants={run.tenants} /> : null}
      {run.report ? <Report report={run.report} /> : null}
    </div>
  );
}

function TenantCharts({ tenants }: { tenants: readonly SimulatorTenantSeries[] }) {
  return (
    <div className="simulator-charts">
      <h2>Per tenant: admitted and shed units per second</h2>
      <div className="simulator-chart-grid">
        {tenants.map((series) => {
          const last = series.points.at(-1);
          return (
            <figure key={series.tenant} className="simulator-chart-card" data-testid="simulator-tenant">
              <figcaption>
                <strong>{series.tenant}</strong> <span className={`badge role-${series.role}`}>{series.role}</span>
                <span className="muted simulator-figures">
                  {last ? `${Math.round(last.admitted_per_s).toLocaleString()} admitted/s · ${Math.round(last.shed_per_s).toLocaleString()} shed/s` : 'waiting for its first second'}
                </span>
              </figcaption>
              <RateChart series={series} />
            </figure>
          );
        })}
      </div>
    </div>
  );
}

function ReportTable({ report }: { report: Pick<SimulatorReport, 'table' | 'invariants' | 'notes' | 'scenario' | 'ok'> }) {
  return (
    <div className="simulator-report-part">
      <h3>
        {report.table.title} <span className={`badge ${report.ok ? 'badge-ok' : 'badge-bad'}`}>{report.ok ? 'every invariant holds' : 'an invariant failed'}</span>
      </h3>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              {report.table.columns.map((column) => (
                <th key={column} scope="col">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.table.rows.map((row, index) => (
              <tr key={index}>
                {row.map((cell, column) => (
                  <td key={column}>{cell === null ? '–' : typeof cell === 'number' ? cell.toLocaleString() : cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul className="invariants">
        {report.invariants.map((item) => (
          <li key={item.name} className={item.ok ? 'invariant-ok' : 'invariant-bad'}>
            <span aria-hidden="true">{item.ok ? '✓' : '✗'}</span> {item.name}
            <span className="muted"> — {item.detail}</span>
          </li>
        ))}
      </ul>
      {report.notes.length > 0 ? (
        <ul className="muted simulator-notes">
          {report.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function Report({ report }: { report: SimulatorReport }) {
  return (
    <section className="simulator-report" aria-labelledby="simulator-report-heading" data-testid="simulator-report">
      <h2 id="simulator-report-heading">
        Report: {report.ok ? 'every invariant holds' : 'an invariant failed'} ({(report.duration_ms / 1000).toFixed(1)} s, seed {report.seed})
      </h2>
      <ReportTable report={report} />
      {report.parts.map((part) => (
        <ReportTable key={part.scenario} report={part} />
      ))}
    </section>
  );
}
