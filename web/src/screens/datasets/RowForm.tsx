// The add / edit form of a dataset row: Input, Expected and Metadata take JSON
// (or plain text when not JSON), Tags a comma-separated list. A field that
// does not parse is reported here and nothing is sent; the server's refusal
// (a 400 naming the field) is shown as it says it, and nothing changed then.
import { useId, useState, type FormEvent } from 'react';
import { fieldText, parseField, parseTags, tagsText } from './fields';
import type { DatasetRow, RowFields } from './rows';

export function RowForm({
  title,
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  title: string;
  initial?: DatasetRow;
  submitLabel: string;
  onSubmit: (fields: RowFields) => Promise<void>;
  onCancel: () => void;
}) {
  const uid = useId();
  const [input, setInput] = useState(() => fieldText(initial?.input));
  const [expected, setExpected] = useState(() => fieldText(initial?.expected));
  const [metadata, setMetadata] = useState(() => fieldText(initial?.metadata));
  const [tags, setTags] = useState(() => tagsText(initial?.tags));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const parsed = [parseField('Input', input), parseField('Expected', expected), parseField('Metadata', metadata)];
    const problems = parsed.flatMap((p) => (p.ok ? [] : [p.error]));
    if (problems.length) {
      setError(problems.join(' '));
      return;
    }
    const [i, x, m] = parsed.map((p) => (p.ok ? p.value : undefined));
    const fields: RowFields = {};
    if (i !== undefined) fields.input = i;
    if (x !== undefined) fields.expected = x;
    if (m !== undefined) fields.metadata = m;
    const t = parseTags(tags);
    if (t) fields.tags = t;
    setBusy(true);
    try {
      await onSubmit(fields);
    } catch (err) {
      setError(`Not saved: ${(err as Error).message}`);
      setBusy(false);
    }
  }

  const field = (name: string, label: string, value: string, set: (v: string) => void, rows: number) => (
    <div className="dataset-field">
      <label htmlFor={`${uid}-${name}`}>{label}</label>
      <textarea
        id={`${uid}-${name}`}
        autoFocus={name === 'input'}
        className="mono"
        rows={rows}
        spellCheck={false}
        value={value}
        onChange={(e) => set(e.target.value)}
      />
    </div>
  );

  return (
    <form className="dataset-form" aria-label={title} onSubmit={submit} noValidate>
      <h2>{title}</h2>
      <p className="dataset-hint">JSON, or plain text when it is not JSON. Leave a field empty to omit it.</p>
      {field('input', 'Input', input, setInput, 5)}
      {field('expected', 'Expected', expected, setExpected, 4)}
      {field('metadata', 'Metadata', metadata, setMetadata, 3)}
      <div className="dataset-field">
        <label htmlFor={`${uid}-tags`}>Tags</label>
        <input
          id={`${uid}-tags`}
          type="text"
          placeholder="comma, separated"
          value={tags}
          onChange={(e) => setTags(e.target.value)}
        />
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dataset-actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
