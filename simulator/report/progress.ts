import { createLogUpdate } from 'log-update';
import type { ProgressEvent, ProgressSink, TenantLoadLine } from '../run-log';

const number = (value: number) => value.toLocaleString('en-US');

function loadLine(line: TenantLoadLine, width: number): string {
  return `  ${line.tenant.padEnd(width)} ${line.role.padEnd(5)}  offered ${number(line.offered_units).padStart(9)}  admitted ${number(line.acknowledged_units).padStart(9)}  shed ${number(line.shed_units).padStart(9)}  pending ${number(line.pending_units).padStart(8)}`;
}

export interface ProgressView {
  sink: ProgressSink;
  /** Ends the live area (before the final table is printed). */
  done(): void;
}

/**
 * Progress on a terminal: steps scroll by, and a live block (the current window and a line per
 * tenant) is redrawn in place. Elsewhere (a pipe, a log file, CI): plain lines, a tenant's load
 * at most every `plainEveryMs`.
 */
export function progressView(stream: NodeJS.WriteStream, options: { live?: boolean; plainEveryMs?: number } = {}): ProgressView {
  const live = options.live ?? stream.isTTY;
  const plainEveryMs = options.plainEveryMs ?? 5_000;
  let windowLine = '';
  let lastPlain = 0;
  const update = live ? createLogUpdate(stream) : null;
  const sink = (event: ProgressEvent) => {
    if (event.kind === 'step') {
      if (update !== null) update.persist(`• ${event.message}`);
      else stream.write(`• ${event.message}\n`);
      return;
    }
    if (event.kind === 'window') {
      windowLine = `window ${event.index}/${event.of}: ${event.label} (${Math.round(event.ms)} ms)`;
      if (update === null) stream.write(`• ${windowLine}\n`);
      return;
    }
    if (event.kind === 'attempts') {
      const line = `attempts ${number(event.done).padStart(7)} of ${number(event.total)}  leaks ${number(event.leaks)}`;
      if (update !== null) update(line);
      else if (Date.now() - lastPlain >= plainEveryMs || event.done === event.total) {
        lastPlain = Date.now();
        stream.write(`  ${line}\n`);
      }
      return;
    }
    const width = Math.max(8, ...event.tenants.map((line) => line.tenant.length));
    const lines = event.tenants.map((line) => loadLine(line, width));
    if (update !== null) {
      update([windowLine, ...lines].filter((line) => line !== '').join('\n'));
    } else if (Date.now() - lastPlain >= plainEveryMs) {
      lastPlain = Date.now();
      stream.write(`${lines.join('\n')}\n`);
    }
  };
  return {
    sink,
    done() {
      update?.done();
    },
  };
}
