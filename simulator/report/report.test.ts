import { describe, expect, it } from 'vitest';
import { scenarioResult, invariant } from '../scenarios/result';
import { progressView } from './progress';
import { capturedStream } from './captured-stream';
import { renderResult } from './table';

function sample(ok: boolean) {
  return scenarioResult(
    { scenario: 'noisy-neighbor', seed: 7, target: { url: 'https://127.0.0.1:8443', kind: 'embedded' }, handover: false, startedAt: new Date(Date.now() - 1500), events: ['e1'] },
    {
      table: { title: 'noisy-neighbor: test', columns: ['tenant', 'offered', 'p99 ms', 'lost'], rows: [['acme', 12345, 3.5, 0], ['globex', 99, null, ok ? 0 : 3]] },
      notes: ['a note'],
      invariants: [invariant('acme: lost = 0', true, 'offered 12345'), invariant('globex: lost = 0', ok, ok ? 'fine' : 'offered 99, acknowledged 96')],
      details: {},
    },
  );
}

const capture = capturedStream;

describe('the final report', () => {
  it('prints the table with thousands separators and a dash for no value, the notes, and each invariant', () => {
    const text = renderResult(sample(true));
    expect(text).toContain('12,345');
    expect(text).toMatch(/globex\s*│\s*99\s*│\s*–/);
    expect(text).toContain('✓ acme: lost = 0 (offered 12345)');
    expect(text).toContain('OK: 2 invariants hold.');
    expect(text).toContain('seed 7');
  });

  it('says which invariant failed, and the result is not ok', () => {
    const result = sample(false);
    expect(result.ok).toBe(false);
    const text = renderResult(result);
    expect(text).toContain('✗ globex: lost = 0 (offered 99, acknowledged 96)');
    expect(text).toContain('FAILED: 1 of 2 invariants do not hold.');
  });
});

describe('progress', () => {
  const load = { kind: 'load' as const, tenants: [{ tenant: 'acme', role: 'quiet', offered_units: 1000, acknowledged_units: 990, shed_units: 0, pending_units: 10 }] };

  it('writes plain lines when not on a terminal, load lines at most every interval', () => {
    const out = capture(false);
    const view = progressView(out.stream, { plainEveryMs: 60_000 });
    view.sink({ kind: 'step', message: 'setting up acme' });
    view.sink({ kind: 'window', scenario: 'noisy-neighbor', label: 'solo', index: 1, of: 2, ms: 1000 });
    view.sink(load);
    view.sink(load);
    view.done();
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('• setting up acme');
    expect(lines[1]).toBe('• window 1/2: solo (1000 ms)');
    expect(lines[2]).toMatch(/acme\s+quiet\s+offered\s+1,000\s+admitted\s+990/);
    expect(out.text()).not.toContain('\u001b[');
  });

  it('redraws a live block in place on a terminal, steps scrolling above it', () => {
    const out = capture(true);
    const view = progressView(out.stream);
    view.sink({ kind: 'window', scenario: 'noisy-neighbor', label: 'together', index: 2, of: 2, ms: 1000 });
    view.sink(load);
    view.sink({ ...load, tenants: [{ ...load.tenants[0], acknowledged_units: 1000, pending_units: 0 } as (typeof load.tenants)[number]] });
    view.sink({ kind: 'step', message: 'draining' });
    view.done();
    // Cursor movement and line erasing: the block was rewritten, not appended.
    expect(out.text()).toContain('\u001b[2K');
    expect(out.text()).toContain('\u001b[1A');
    expect(out.text()).toContain('window 2/2: together');
    expect(out.text()).toContain('• draining');
  });

  it("shows the isolation probe's attempts so far: in place on a terminal, at intervals and at the end in a pipe", () => {
    const pipe = capture(false);
    const view = progressView(pipe.stream, { plainEveryMs: 60_000 });
    for (const done of [100, 200, 5_760]) view.sink({ kind: 'attempts', done, total: 5_760, leaks: 0 });
    view.done();
    expect(pipe.text().trim().split('\n').map((line) => line.trim())).toEqual(['attempts     100 of 5,760  leaks 0', 'attempts   5,760 of 5,760  leaks 0']);
    const terminal = capture(true);
    const live = progressView(terminal.stream);
    live.sink({ kind: 'attempts', done: 100, total: 200, leaks: 1 });
    live.sink({ kind: 'attempts', done: 200, total: 200, leaks: 1 });
    live.done();
    expect(terminal.text()).toContain('\u001b[1A');
    expect(terminal.text()).toContain('attempts     200 of 200  leaks 1');
  });
});
