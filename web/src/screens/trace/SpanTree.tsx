// The span tree with its timing waterfall: one row per visible span, indented
// by depth, with its kind, name, duration and a bar placed by its start and
// end within the trace. Rows are virtualized (only those in view are in the
// DOM), so 10,000 spans scroll like 10. Keyboard (WAI-ARIA tree pattern):
// Up/Down/Home/End move, Enter or Space selects, Right expands (or goes to
// the first child), Left collapses (or goes to the parent).
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { formatDuration } from '../../components/format';
import { barOf, durationOf, kindClass, type SpanNode, type TraceTree } from './model';

const ROW_HEIGHT = 28;
const INDENT_PX = 14;
const MAX_INDENT_LEVELS = 40; // deeper spans line up at this indent (the depth shows in aria-level)

export interface SpanTreeProps {
  tree: TraceTree;
  rows: SpanNode[]; // the visible spans, in order
  collapsed: ReadonlySet<string>;
  onToggle: (rowId: string) => void;
  selectedId: string | null;
  onSelect: (rowId: string) => void;
}

function domId(index: number): string {
  return `trace-span-${index}`;
}

export function SpanTree({ tree, rows, collapsed, onToggle, selectedId, onSelect }: SpanTreeProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [activeId, setActiveId] = useState<string | null>(selectedId);
  const indexOf = useMemo(() => new Map(rows.map((n, i) => [n.row.id, i])), [rows]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });

  // A selection made elsewhere (the URL, the first load) becomes the active row, in view.
  useEffect(() => {
    if (!selectedId) return;
    setActiveId(selectedId);
    const i = indexOf.get(selectedId);
    if (i !== undefined) virtualizer.scrollToIndex(i, { align: 'auto' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedId]);

  const activeIndex = activeId !== null ? (indexOf.get(activeId) ?? 0) : 0;
  const items = virtualizer.getVirtualItems();
  const activeRendered = items.some((it) => it.index === activeIndex);

  function moveTo(index: number) {
    if (!rows.length) return;
    const i = Math.max(0, Math.min(rows.length - 1, index));
    setActiveId(rows[i].row.id);
    virtualizer.scrollToIndex(i, { align: 'auto' });
  }

  function onKey(e: KeyboardEvent<HTMLDivElement>) {
    const node = rows[activeIndex];
    if (!node) return;
    const expanded = node.children.length > 0 && !collapsed.has(node.row.id);
    switch (e.key) {
      case 'ArrowDown':
        moveTo(activeIndex + 1);
        break;
      case 'ArrowUp':
        moveTo(activeIndex - 1);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(rows.length - 1);
        break;
      case 'PageDown':
        moveTo(activeIndex + Math.max(1, Math.floor((scroller.current?.clientHeight ?? 280) / ROW_HEIGHT) - 1));
        break;
      case 'PageUp':
        moveTo(activeIndex - Math.max(1, Math.floor((scroller.current?.clientHeight ?? 280) / ROW_HEIGHT) - 1));
        break;
      case 'Enter':
      case ' ':
        onSelect(node.row.id);
        break;
      case 'ArrowRight':
        if (node.children.length && !expanded) onToggle(node.row.id);
        else if (expanded) moveTo(activeIndex + 1);
        break;
      case 'ArrowLeft':
        if (expanded) onToggle(node.row.id);
        else if (node.parent) moveTo(indexOf.get(node.parent.row.id) ?? activeIndex);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  const total = tree.start !== null && tree.end !== null ? tree.end - tree.start : null;
  return (
    <div className="trace-tree">
      <div className="trace-tree-head" aria-hidden="true">
        <span>Span</span>
        <span className="num">Duration</span>
        <span className="trace-axis">
          <span>0</span>
          <span>{formatDuration(total)}</span>
        </span>
      </div>
      <div
        ref={scroller}
        className="trace-tree-body"
        role="tree"
        aria-label="Spans"
        tabIndex={0}
        aria-activedescendant={activeRendered ? domId(activeIndex) : undefined}
        onKeyDown={onKey}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const node = rows[item.index];
            return (
              <SpanTreeRow
                key={node.row.id}
                tree={tree}
                node={node}
                index={item.index}
                top={item.start}
                setSize={node.parent ? node.parent.children.length : tree.roots.length}
                posInSet={node.pos}
                isCollapsed={collapsed.has(node.row.id)}
                active={item.index === activeIndex}
                selected={node.row.id === selectedId}
                onToggle={onToggle}
                onClick={() => {
                  setActiveId(node.row.id);
                  scroller.current?.focus({ preventScroll: true });
                  onSelect(node.row.id);
                }}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

function SpanTreeRow(props: {
  tree: TraceTree;
  node: SpanNode;
  index: number;
  top: number;
  setSize: number;
  posInSet: number;
  isCollapsed: boolean;
  active: boolean;
  selected: boolean;
  onToggle: (rowId: string) => void;
  onClick: () => void;
}) {
  const { tree, node, isCollapsed } = props;
  const hasChildren = node.children.length > 0;
  const duration = durationOf(node);
  const bar = barOf(tree, node);
  const failed = node.row.error !== null && node.row.error !== undefined;
  const label = `${node.name}${node.kind ? `, ${node.kind}` : ''}${duration !== null ? `, ${formatDuration(duration)}` : ''}${failed ? ', error' : ''}`;
  return (
    <div
      id={domId(props.index)}
      role="treeitem"
      aria-label={label}
      aria-level={node.depth + 1}
      aria-setsize={props.setSize}
      aria-posinset={props.posInSet}
      aria-expanded={hasChildren ? !isCollapsed : undefined}
      aria-selected={props.selected}
      className={`trace-row${props.active ? ' active' : ''}${props.selected ? ' selected' : ''}`}
      style={{ height: ROW_HEIGHT, transform: `translateY(${props.top}px)` }}
      onClick={props.onClick}
    >
      <span
        className="trace-row-label"
        style={{ paddingLeft: Math.min(node.depth, MAX_INDENT_LEVELS) * INDENT_PX }}
        title={node.name}
      >
        {hasChildren ? (
          <button
            type="button"
            className="trace-toggle"
            tabIndex={-1}
            aria-expanded={!isCollapsed}
            aria-label={`${isCollapsed ? 'Expand' : 'Collapse'} ${node.name}`}
            onMouseDown={(e) => e.preventDefault()} // focus stays on the tree, whose keys work on
            onClick={(e) => {
              e.stopPropagation();
              props.onToggle(node.row.id);
            }}
          >
            {isCollapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="trace-toggle-space" />
        )}
        {node.kind && <span className={`span-kind span-kind-${kindClass(node.kind)}`}>{node.kind}</span>}
        <span className="trace-row-name">{node.name}</span>
        {failed && <span className="trace-row-error">error</span>}
        {hasChildren && isCollapsed && <span className="trace-row-hidden">+{countBelow(node)}</span>}
      </span>
      <span className="trace-row-duration num">{formatDuration(duration)}</span>
      <span className="trace-row-track">
        {bar && (
          <span
            className={`trace-bar span-bar-${kindClass(node.kind)}`}
            style={{ left: `${bar.left}%`, width: `max(2px, ${bar.width}%)` }}
          />
        )}
      </span>
    </div>
  );
}

function countBelow(node: SpanNode): number {
  let n = 0;
  const stack = [...node.children];
  while (stack.length) {
    const c = stack.pop()!;
    n++;
    stack.push(...c.children);
  }
  return n;
}
