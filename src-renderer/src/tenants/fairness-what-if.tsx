import { useQuery } from '@tanstack/react-query';
import { useDeferredValue, useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type FairnessWhatIf } from '../../../contracts/fairness';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { describeError } from '../error-text';
import { canDraw, cssVar, CHART_HEIGHT } from './fairness-chart';

/** The what-if is read again this often (ms) while the tab is open: the recent traffic moves on. */
export const WHAT_IF_POLL_MS = 3000;
/** How far back it replays (the control plane keeps an hour). */
export const WHAT_IF_SECONDS = 300;

/** A typed whole number within the API's bounds, or undefined (then the current limit is replayed). */
function limit(text: string, max: number): number | undefined {
  const value = Number(text);
  return text.trim() !== '' && Number.isInteger(value) && value >= 1 && value <= max ? value : undefined;
}

export type WhatIfColumns = [number[], number[], number[], number[], number[]];

/** The chart shows at least this many seconds, more when the traffic began earlier. */
export const MIN_CHART_SECONDS = 60;

/**
 * uPlot's columns: seconds, admitted/s and shed/s today, predicted admitted/s and shed/s. Quiet
 * seconds before the first traffic are left out (down to MIN_CHART_SECONDS), so a flood that began
 * a minute ago is not a sliver at the right of five empty minutes.
 */
export function whatIfColumns(answer: FairnessWhatIf): WhatIfColumns {
  const first = answer.seconds.findIndex((second) => second.offered_units > 0);
  const start = Math.max(0, Math.min(first === -1 ? answer.seconds.length : first, answer.seconds.length - MIN_CHART_SECONDS));
  const seconds = answer.seconds.slice(start);
  return [
    seconds.map((second) => second.at),
    seconds.map((second) => second.admitted_units),
    seconds.map((second) => second.shed_units),
    seconds.map((second) => second.predicted_admitted_units),
    seconds.map((second) => second.predicted_shed_units),
  ];
}

function makePlot(UPlot: typeof uPlot, element: HTMLElement, data: WhatIfColumns): uPlot {
  const admitted = cssVar(element, '--color-success', '#1e7a3e');
  const shed = cssVar(element, '--color-danger', '#b3261e');
  const text = cssVar(element, '--color-muted', '#566373');
  const grid = cssVar(element, '--color-border-soft', '#e7eaf0');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
  return new UPlot(
    {
      width: Math.max(300, element.clientWidth),
      height: CHART_HEIGHT,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { auto: true, range: (_plot, _min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [{ ...axis }, { ...axis, label: 'units/s', size: 60 }],
      series: [
        {},
        { label: 'Admitted/s today', stroke: admitted, width: 2 },
        { label: 'Shed/s today', stroke: shed, width: 2 },
        { label: 'Admitted/s proposed', stroke: admitted, width: 2, dash: [6, 4] },
        { label: 'Shed/s proposed', stroke: shed, width: 2, dash: [6, 4] },
      ],
    },
    data,
    element,
  );
}

function WhatIfChart({ columns }: { columns: WhatIfColumns }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(columns);
  latest.current = columns;
  useEffect(() => {
    const element = box.current;
    if (element === null || !canDraw()) return;
    let ended = false;
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(300, element.clientWidth), height: CHART_HEIGHT });
    });
    void import('uplot').then(({ default: UPlot }) => {
      if (ended) return;
      plot.current = makePlot(UPlot, element, latest.current);
      resize.observe(element);
    });
    return () => {
      ended = true;
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(columns);
  }, [columns]);
  return <div className="fairness-chart" ref={box} role="img" aria-label="Admitted and shed units per second today, and predicted under the proposed limits" data-testid="what-if-chart" />;
}

const units = (value: number) => value.toLocaleString();

/**
 * The what-if beside the fairness form (#21): the tenant's last minutes of offered traffic replayed
 * by the control plane through the same token bucket under the rate and burst typed (not saved yet),
 * drawn beside what today's limits admitted and shed.
 */
export function FairnessWhatIfView({ tenantId, rate, burst }: { tenantId: string; rate: string; burst: string }) {
  const api = useApi();
  // Typing redraws once the value settles, not on every keystroke's render.
  const proposed = useDeferredValue({ rate: limit(rate, 10_000_000), burst: limit(burst, 100_000_000) });
  const whatIf = useQuery({
    queryKey: ['tenants', 'fairness-what-if', tenantId, proposed.rate ?? null, proposed.burst ?? null],
    queryFn: () => api.call('fairness:what-if', { tenant: tenantId, seconds: WHAT_IF_SECONDS, ...(proposed.rate === undefined ? {} : { rate: proposed.rate }), ...(proposed.burst === undefined ? {} : { burst: proposed.burst }) }),
    refetchInterval: WHAT_IF_POLL_MS,
    placeholderData: (previous) => previous,
  });
  const answer = whatIf.data;
  return (
    <div className="fairness-what-if" data-testid="what-if">
      <h2>What if</h2>
      <p className="muted form-lead">
        The last {WHAT_IF_SECONDS / 60} minutes of this tenant’s offered traffic replayed through the same token bucket with the rate and burst above, before they are saved: dashed lines are the
        prediction, solid ones what today’s limits did.
      </p>
      {whatIf.isError ? <FormAlert title="The what-if could not be computed" messages={[describeError(whatIf.error)]} /> : null}
      {answer ? <WhatIfChart columns={whatIfColumns(answer)} /> : <div className="fairness-chart" />}
      {answer ? (
        <dl className="figures" data-testid="what-if-figures">
          <div>
            <dt>Offered</dt>
            <dd>{units(answer.totals.offered_units)} units</dd>
          </div>
          <div>
            {/* What was recorded happened under whichever limits applied then; the saved ones are named for reference. */}
            <dt>
              Recorded (saved limits {units(answer.current.ingest_rate_per_sec)}/s, burst {units(answer.current.ingest_burst)})
            </dt>
            <dd data-testid="what-if-today">
              {units(answer.totals.admitted_units)} admitted · {units(answer.totals.shed_units)} shed
            </dd>
          </div>
          <div>
            <dt>
              Proposed ({units(answer.proposed.ingest_rate_per_sec)}/s, burst {units(answer.proposed.ingest_burst)})
            </dt>
            <dd data-testid="what-if-predicted">
              {units(answer.totals.predicted_admitted_units)} admitted · {units(answer.totals.predicted_shed_units)} shed
            </dd>
          </div>
        </dl>
      ) : null}
    </div>
  );
}
