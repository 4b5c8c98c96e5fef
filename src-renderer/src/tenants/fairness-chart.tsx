import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type FairnessColumns } from './fairness-series';

/** The chart's fixed height: the box never changes size while data arrives (no layout jumps). */
export const CHART_HEIGHT = 240;

/** The least time the live chart spans, in seconds. */
const LIVE_WINDOW_SECONDS = 60;

/** Colours come from the theme's CSS variables, read once the element is in the page. */
export function cssVar(element: Element, name: string, fallback: string): string {
  return getComputedStyle(element).getPropertyValue(name).trim() || fallback;
}

/** Whether this page can draw on a canvas (jsdom cannot: the figures beside the chart remain). */
export function canDraw(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

/** The plot, themed from the page's CSS variables. */
function makePlot(UPlot: typeof uPlot, element: HTMLElement, data: FairnessColumns): uPlot {
  const admitted = cssVar(element, '--color-success', '#1e7a3e');
  const shed = cssVar(element, '--color-danger', '#b3261e');
  const latency = cssVar(element, '--color-accent', '#1f5fbf');
  const text = cssVar(element, '--color-muted', '#566373');
  const grid = cssVar(element, '--color-border-soft', '#e7eaf0');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
  const options: uPlot.Options = {
    width: Math.max(300, element.clientWidth),
    height: CHART_HEIGHT,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      // A rolling minute at least, so the axis reads in seconds from the first poll (two points
      // alone would be labelled in milliseconds) and the line grows into a window that never jumps.
      x: { time: true, range: (_plot, min, max) => [Math.min(min, max - LIVE_WINDOW_SECONDS), max] },
      units: { auto: true, range: (_plot, _min, max) => [0, Math.max(10, max * 1.1)] },
      ms: { auto: true, range: (_plot, _min, max) => [0, Math.max(5, max * 1.1)] },
    },
    axes: [
      { ...axis },
      { ...axis, scale: 'units', label: 'units/s', size: 60 },
      // side 1 is the right: uPlot types it as a const enum, which a type-only import cannot name.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
      { ...axis, scale: 'ms', side: 1, label: 'ms', size: 50, grid: { show: false } },
    ],
    series: [
      {},
      { label: 'Admitted/s', scale: 'units', stroke: admitted, width: 2 },
      { label: 'Shed/s', scale: 'units', stroke: shed, width: 2 },
      { label: 'p50 ms', scale: 'ms', stroke: latency, width: 1.5 },
      { label: 'p99 ms', scale: 'ms', stroke: latency, width: 1.5, dash: [6, 4] },
    ],
  };
  return new UPlot(options, data, element);
}

/**
 * Admitted and shed units per second (left axis) and p50/p99 latency (right axis), drawn by uPlot
 * on a canvas. The plot is made once and given new data each poll (`setData`), never rebuilt; its
 * width follows the box's. uPlot loads with the chart: it reads the screen when imported, which a
 * page without layout (jsdom) lacks; there the figures beside the chart are what is shown.
 */
export function FairnessChart({ columns, label }: { columns: FairnessColumns; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latestColumns = useRef(columns);
  latestColumns.current = columns;

  useEffect(() => {
    const element = box.current;
    if (element === null || !canDraw()) return;
    let ended = false;
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(300, element.clientWidth), height: CHART_HEIGHT });
    });
    void import('uplot').then(({ default: UPlot }) => {
      if (ended) return;
      plot.current = makePlot(UPlot, element, latestColumns.current);
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

  return <div className="fairness-chart" ref={box} role="img" aria-label={label} data-testid="fairness-chart" />;
}
