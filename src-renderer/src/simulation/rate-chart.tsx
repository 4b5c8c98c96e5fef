import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type SimulatorTenantSeries } from '../../../contracts/simulation';
import { canDraw, cssVar } from '../tenants/fairness-chart';

/** Each tenant's chart is this tall, fixed: no layout jumps while points arrive. */
export const RATE_CHART_HEIGHT = 160;

export type RateColumns = [number[], number[], number[]];

/** uPlot's columns for one tenant: seconds since the run started, admitted/s, shed/s. */
export function rateColumns(series: SimulatorTenantSeries): RateColumns {
  return [series.points.map((point) => point.t_ms / 1000), series.points.map((point) => point.admitted_per_s), series.points.map((point) => point.shed_per_s)];
}

function makePlot(UPlot: typeof uPlot, element: HTMLElement, data: RateColumns): uPlot {
  const text = cssVar(element, '--color-muted', '#566373');
  const grid = cssVar(element, '--color-border-soft', '#e7eaf0');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
  return new UPlot(
    {
      width: Math.max(260, element.clientWidth),
      height: RATE_CHART_HEIGHT,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { auto: true, range: (_plot, _min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [
        { ...axis, label: 's', values: (_plot, ticks) => ticks.map((tick) => `${Math.round(tick)}`) },
        { ...axis, label: 'units/s', size: 60 },
      ],
      series: [
        { label: 'Second' },
        { label: 'Admitted/s', stroke: cssVar(element, '--color-success', '#1e7a3e'), width: 2 },
        { label: 'Shed/s', stroke: cssVar(element, '--color-danger', '#b3261e'), width: 2 },
      ],
    },
    data,
    element,
  );
}

/**
 * One tenant's admitted and shed units per second during a run. Made once, fed new data each poll;
 * where the page cannot draw (jsdom) the figures beside it remain.
 */
export function RateChart({ series }: { series: SimulatorTenantSeries }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const columns = rateColumns(series);
  const latest = useRef(columns);
  latest.current = columns;

  useEffect(() => {
    const element = box.current;
    if (element === null || !canDraw()) return;
    let ended = false;
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(260, element.clientWidth), height: RATE_CHART_HEIGHT });
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
    plot.current?.setData(latest.current);
  }, [series]);

  return <div className="rate-chart" ref={box} role="img" aria-label={`${series.tenant}: admitted and shed units per second`} data-testid="simulator-chart" />;
}
