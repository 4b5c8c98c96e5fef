import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { type SavedFile } from '../../../contracts/ipc';
import { isConsoleError } from '../api';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { Notice } from '../components/notice';
import { describeError } from '../error-text';
import { periodOf, periodProblems, type Period, type PeriodChoice } from './usage-period';
import './console-tabs.css';

type Job = { kind: 'csv' | 'json' | 'pdf'; period: Period };

const choices: { id: PeriodChoice; label: string }[] = [
  { id: 'this-month', label: 'This month' },
  { id: 'last-month', label: 'Last month' },
  { id: 'custom', label: 'Custom days' },
];

/**
 * A period picker and the files for it: the CSV/JSON usage export (every tenant, or `tenant`'s)
 * and, for one tenant, the PDF report. The main process fetches and saves each file (a save dialog
 * in the desktop app, the downloads folder in browser mode); this only learns its name.
 */
export function UsagePanel({ tenant, clock = () => new Date() }: { tenant?: { id: string; slug: string }; clock?: () => Date }) {
  const api = useApi();
  const id = useId();
  const [choice, setChoice] = useState<PeriodChoice>('this-month');
  const [custom, setCustom] = useState<Period>(() => periodOf('this-month', { from: '', to: '' }, clock()));
  const period = periodOf(choice, custom, clock());
  const problems = choice === 'custom' ? periodProblems(custom) : {};
  const run = useMutation({
    mutationFn: (job: Job): Promise<SavedFile> => {
      const range = { from: job.period.from, to: job.period.to };
      if (job.kind === 'pdf') return api.call('usage:report', { tenant: tenant?.id ?? '', ...range });
      return api.call('usage:export', { format: job.kind, ...(tenant ? { tenant: tenant.id } : {}), ...range });
    },
  });
  // The control plane's refusal of a day (usage_date_invalid, usage_period_reversed…) names the parameter: shown at that field.
  const parameter = isConsoleError(run.error) && typeof run.error.details.parameter === 'string' ? run.error.details.parameter : null;
  const fieldError = (field: keyof Period) => problems[field] ?? (parameter === field && run.error ? run.error.message : undefined);
  const start = (kind: Job['kind']) => {
    if (Object.keys(problems).length === 0) run.mutate({ kind, period });
  };
  const dayField = (field: keyof Period, label: string) => {
    const error = fieldError(field);
    return (
      <div className={error ? 'field field-invalid' : 'field'}>
        <label htmlFor={`${id}-${field}`}>{label}</label>
        <input
          id={`${id}-${field}`}
          type="date"
          value={period[field]}
          disabled={choice !== 'custom'}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-${field}-error` : undefined}
          onChange={(event) => {
            run.reset();
            setCustom((current) => ({ ...current, [field]: event.target.value }));
          }}
        />
        {error ? (
          <p className="field-error" id={`${id}-${field}-error`}>
            {error}
          </p>
        ) : null}
      </div>
    );
  };
  const saved = run.data;
  return (
    <div className="usage-panel">
      <fieldset className="period-choice">
        <legend>Period (UTC days, both included)</legend>
        <div className="period-row">
          {choices.map((item) => (
            <label key={item.id} className="radio">
              <input type="radio" name={`${id}-period`} value={item.id} checked={choice === item.id} onChange={() => { run.reset(); setChoice(item.id); }} /> {item.label}
            </label>
          ))}
        </div>
        <div className="period-row">
          {dayField('from', 'First day')}
          {dayField('to', 'Last day')}
        </div>
      </fieldset>
      <div className="usage-actions">
        <button type="button" className="button button-primary" disabled={run.isPending} onClick={() => start('csv')}>
          Export CSV
        </button>
        <button type="button" className="button" disabled={run.isPending} onClick={() => start('json')}>
          Export JSON
        </button>
        {tenant ? (
          <button type="button" className="button" disabled={run.isPending} onClick={() => start('pdf')}>
            PDF report
          </button>
        ) : null}
      </div>
      {run.isPending ? (
        <p className="muted" role="status">
          Preparing the file…
        </p>
      ) : null}
      {saved?.saved === true ? (
        <Notice tone="success" title="Saved">
          <p>
            <code>{saved.filename}</code> ({saved.bytes.toLocaleString()} bytes) is in your downloads.
          </p>
        </Notice>
      ) : null}
      {saved?.saved === false ? <p className="muted">Not saved: the save dialog was closed.</p> : null}
      {run.isError && parameter === null ? <FormAlert title="The file could not be made" messages={[describeError(run.error)]} /> : null}
    </div>
  );
}
