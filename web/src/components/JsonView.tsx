// Logged values as a collapsible tree. Everything is rendered as React text
// nodes: logged data is attacker-controlled and never becomes markup. Long
// strings are cut at `maxString` characters with a control to show them whole.
import { useState } from 'react';

const DEFAULT_MAX_STRING = 2000;

export function JsonView({ value, maxString = DEFAULT_MAX_STRING }: { value: unknown; maxString?: number }) {
  return (
    <div className="json">
      <JsonNode value={value} depth={0} maxString={maxString} />
    </div>
  );
}

function JsonString({ text, maxString }: { text: string; maxString: number }) {
  const [whole, setWhole] = useState(false);
  if (whole || text.length <= maxString) return <span className="json-string">{JSON.stringify(text)}</span>;
  return (
    <span className="json-string">
      {JSON.stringify(text.slice(0, maxString))}
      <button type="button" className="link" onClick={() => setWhole(true)}>
        … show all {text.length.toLocaleString()} characters
      </button>
    </span>
  );
}

function JsonNode({ value, depth, maxString }: { value: unknown; depth: number; maxString: number }) {
  const [open, setOpen] = useState(depth < 2);
  if (value === null || value === undefined) return <span className="json-null">null</span>;
  if (typeof value === 'string') return <JsonString text={value} maxString={maxString} />;
  if (typeof value === 'number' || typeof value === 'boolean')
    return <span className="json-scalar">{String(value)}</span>;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const [openMark, closeMark] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (!entries.length) return <span className="json-scalar">{openMark + closeMark}</span>;
  return (
    <span>
      <button
        type="button"
        className="json-toggle"
        aria-expanded={open}
        aria-label={open ? 'Collapse' : 'Expand'}
        onClick={() => setOpen(!open)}
      >
        {open ? '▾' : '▸'}
      </button>
      {openMark}
      {open ? (
        <ul className="json-entries">
          {entries.map(([k, v]) => (
            <li key={k}>
              {!Array.isArray(value) && <span className="json-key">{JSON.stringify(k)}: </span>}
              <JsonNode value={v} depth={depth + 1} maxString={maxString} />
            </li>
          ))}
        </ul>
      ) : (
        <span className="json-more"> {entries.length} items </span>
      )}
      {closeMark}
    </span>
  );
}

/** A one-line preview of a value for table cells (plain text, cut). */
export function previewText(value: unknown, max = 200): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? text.slice(0, max) + '…' : text;
}
