import { createColumnHelper, flexRender, getCoreRowModel, getFilteredRowModel, getSortedRowModel, useReactTable, type Row, type SortingState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef } from 'react';
import { type TenantSummary } from '../../../contracts/tenants';
import { hrefFor } from '../router/hash-router';
import { matchesSearch, passesFilters, type ColumnId, type TableView } from './table-view';

/** Every row is this tall (no wrapping inside the table), so the virtualizer needs no measuring. */
export const ROW_HEIGHT = 40;
/** Rows rendered beyond the visible ones, above and below, so a fast scroll shows no blank rows. */
const OVERSCAN = 12;

const numberFormat = new Intl.NumberFormat();
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** Null last in either direction: "no figure" is never the most or the least of anything. */
const nullsLast = (value: number | null) => value ?? Number.NEGATIVE_INFINITY;

// Stable functions: a new one each render would make the virtualizer re-measure every row.
const rowHeight = () => ROW_HEIGHT;
const searchRows = (row: Row<TenantSummary>, _columnId: string, search: string) => matchesSearch(row.original, search);

/** Right-aligned, figures under figures. */
const numericColumns = new Set<string>(['agents', 'users', 'results', 'shed']);

const column = createColumnHelper<TenantSummary>();
const columns = [
  column.accessor('slug', { id: 'slug', header: 'Slug', cell: (info) => <a href={hrefFor(`/tenants/${info.getValue()}`)}>{info.getValue()}</a> }),
  column.accessor('name', { id: 'name', header: 'Name' }),
  column.accessor('isolation_model', { id: 'isolation', header: 'Isolation' }),
  column.accessor((row) => row.residency ?? '', { id: 'residency', header: 'Residency', cell: (info) => info.getValue() || '—' }),
  column.accessor('state', { id: 'state', header: 'State', cell: (info) => <span className={`state state-${info.getValue()}`}>{info.getValue()}</span> }),
  column.accessor((row) => row.plan ?? '', { id: 'plan', header: 'Plan', cell: (info) => info.getValue() || '—' }),
  column.accessor('agents', { id: 'agents', header: 'Agents', cell: (info) => numberFormat.format(info.getValue()) }),
  column.accessor('users', { id: 'users', header: 'Users', cell: (info) => numberFormat.format(info.getValue()) }),
  column.accessor((row) => nullsLast(row.results_this_month), {
    id: 'results',
    header: 'Results this month',
    cell: (info) => (info.row.original.results_this_month === null ? '—' : numberFormat.format(info.row.original.results_this_month)),
  }),
  column.accessor((row) => nullsLast(row.shed_rate), {
    id: 'shed',
    header: 'Shed rate',
    cell: (info) => (info.row.original.shed_rate === null ? '—' : percentFormat.format(info.row.original.shed_rate)),
  }),
];

/**
 * The tenants table: TanStack Table sorts and filters every row in memory (10,000 tenants sort in a
 * few milliseconds), and TanStack Virtual renders only the rows in view plus an overscan, with
 * spacer rows above and below so the scrollbar is the whole table's.
 */
export function TenantTable({ tenants, view, onSort }: { tenants: readonly TenantSummary[]; view: TableView; onSort: (sort: TableView['sort']) => void }) {
  const { state, isolation } = view;
  const filtered = useMemo(() => tenants.filter((tenant) => passesFilters(tenant, { state, isolation })), [tenants, state, isolation]);
  // Memoized: a new sorting array each render would make TanStack Table sort every row again on every scroll frame.
  const sortId = view.sort?.id;
  const sortDesc = view.sort?.desc;
  const sorting: SortingState = useMemo(() => (sortId === undefined ? [] : [{ id: sortId, desc: sortDesc === true }]), [sortId, sortDesc]);
  const table = useReactTable({
    data: filtered,
    columns,
    state: { sorting, globalFilter: view.search },
    globalFilterFn: searchRows,
    onSortingChange: (updater) => {
      const next = typeof updater === 'function' ? updater(sorting) : updater;
      const first = next[0];
      onSort(first === undefined ? null : { id: first.id as ColumnId, desc: first.desc });
    },
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    getRowId: (row) => row.id,
  });
  const rows = table.getRowModel().rows;
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: rowHeight,
    overscan: OVERSCAN,
    // Before the first measure (and in jsdom, which has no layout): a screenful.
    initialRect: { width: 1000, height: 600 },
  });
  // A new view starts at its top: its first rows are what was asked for.
  const search = view.search;
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0;
  }, [state, isolation, search, sortId, sortDesc]);
  const items = virtualizer.getVirtualItems();
  const top = items[0]?.start ?? 0;
  const bottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);

  return (
    <>
      <p className="muted table-count" role="status" data-testid="tenant-count">
        {rows.length === tenants.length ? `${numberFormat.format(rows.length)} tenants` : `${numberFormat.format(rows.length)} of ${numberFormat.format(tenants.length)} tenants`}
      </p>
      <div className="table-scroll" ref={scroller} data-testid="tenant-table-scroll">
        <table className="table table-fixed" aria-rowcount={rows.length + 1}>
          <caption className="visually-hidden">Tenants</caption>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  const numeric = numericColumns.has(header.column.id);
                  return (
                    <th key={header.id} scope="col" className={`col-${header.column.id}${numeric ? ' numeric' : ''}`} aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}>
                      <button type="button" className="sort-button" onClick={header.column.getToggleSortingHandler()}>
                        {flexRender(header.column.columnDef.header, header.getContext())}
                        <span aria-hidden="true" className="sort-mark">
                          {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : ''}
                        </span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {top > 0 ? (
              <tr aria-hidden="true" className="spacer">
                <td colSpan={columns.length} style={{ height: top }} />
              </tr>
            ) : null}
            {items.map((item) => {
              const row = rows[item.index];
              if (row === undefined) return null;
              return (
                <tr key={row.id} style={{ height: ROW_HEIGHT }} aria-rowindex={item.index + 2} data-slug={row.original.slug}>
                  {row.getVisibleCells().map((cell) => {
                    const numeric = numericColumns.has(cell.column.id);
                    const text = cell.getValue();
                    return (
                      <td key={cell.id} className={`cell-clip${numeric ? ' numeric' : ''}`} title={typeof text === 'string' ? text : undefined}>
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            {bottom > 0 ? (
              <tr aria-hidden="true" className="spacer">
                <td colSpan={columns.length} style={{ height: bottom }} />
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </>
  );
}
