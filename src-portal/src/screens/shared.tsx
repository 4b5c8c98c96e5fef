import { PortalApiError } from '../api';

/** A failed call in one line: the control plane's code and message, as text. */
export function ErrorLine({ error }: { error: Error | null }) {
  if (error === null) return null;
  return (
    <p className="error" role="alert">
      {error instanceof PortalApiError ? `${error.code}: ${error.message}` : error.message}
    </p>
  );
}

/** A read-only table of rows: the named columns, each cell as text. */
export function RowsTable<T extends Record<string, unknown>>({ rows, columns, empty }: { rows: readonly T[]; columns: readonly (keyof T & string)[]; empty: string }) {
  if (rows.length === 0) return <p>{empty}</p>;
  return (
    <table>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column}>{column.replaceAll('_', ' ')}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={typeof row.id === 'string' ? row.id : index}>
            {columns.map((column) => (
              <td key={column}>{text(row[column])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null || value === undefined ? '—' : JSON.stringify(value);
}
