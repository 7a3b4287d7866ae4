// A table whose rows are virtualized (@tanstack/react-virtual): only the rows
// in view are in the DOM, so 100,000 rows scroll like 100. Columns are fixed
// widths in a CSS grid; a sortable column's header is a button that reports
// the click (sorting is the caller's: on the server or over its own rows).
// The body is keyboard-navigable: arrow keys move between rows, Enter opens.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface Column<Row> {
  key: string;
  header: string;
  width: number; // px
  align?: 'left' | 'right';
  render: (row: Row) => ReactNode;
  sortable?: boolean;
}

export type SortDir = 'asc' | 'desc';

export interface VirtualTableProps<Row> {
  label: string; // accessible name of the table
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row) => string;
  rowHeight?: number;
  height?: number | string; // of the scrolling body
  sort?: { key: string; dir: SortDir } | null;
  onSort?: (key: string) => void;
  onOpen?: (row: Row) => void;
  rowClassName?: (row: Row) => string | undefined;
  onEndReached?: () => void; // the last rows are in view (load the next page)
}

export function VirtualTable<Row>(props: VirtualTableProps<Row>) {
  const { columns, rows, rowKey, rowHeight = 36, sort, onSort, onOpen, rowClassName, onEndReached } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];
  if (onEndReached && last && last.index >= rows.length - 5) queueMicrotask(onEndReached);

  const template = columns.map((c) => `${c.width}px`).join(' ');
  const totalWidth = columns.reduce((n, c) => n + c.width, 0);

  function onKey(e: KeyboardEvent<HTMLDivElement>) {
    if (!rows.length) return;
    let next = active;
    if (e.key === 'ArrowDown') next = Math.min(rows.length - 1, active + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, active - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = rows.length - 1;
    else if (e.key === 'Enter' && onOpen) {
      onOpen(rows[active]);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    setActive(next);
    virtualizer.scrollToIndex(next);
  }

  return (
    <div
      className="vtable"
      role="grid"
      aria-label={props.label}
      aria-rowcount={rows.length + 1}
      style={{ overflowX: 'auto' }}
    >
      <div className="vtable-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template, width: totalWidth }}>
        {columns.map((c) => {
          const sorted = sort?.key === c.key ? sort.dir : undefined;
          return (
            <div
              key={c.key}
              role="columnheader"
              aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
              className={c.align === 'right' ? 'num' : undefined}
            >
              {c.sortable && onSort ? (
                <button type="button" className="vtable-sort" onClick={() => onSort(c.key)}>
                  {c.header}
                  {sorted ? (sorted === 'asc' ? ' ▲' : ' ▼') : ''}
                </button>
              ) : (
                c.header
              )}
            </div>
          );
        })}
      </div>
      <div
        ref={scroller}
        role="rowgroup"
        className="vtable-body"
        tabIndex={0}
        onKeyDown={onKey}
        style={{ height: props.height ?? '70vh', width: totalWidth }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = rows[item.index];
            const extra = rowClassName?.(row);
            return (
              <div
                key={rowKey(row)}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={item.index === active}
                className={`vtable-row${item.index === active ? ' active' : ''}${extra ? ` ${extra}` : ''}`}
                style={{
                  gridTemplateColumns: template,
                  height: item.size,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={() => {
                  setActive(item.index);
                  onOpen?.(row);
                }}
              >
                {columns.map((c) => (
                  <div key={c.key} role="gridcell" className={c.align === 'right' ? 'num' : undefined}>
                    {c.render(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
