// The Logs screen's search and filters as one form. It edits a copy; Apply
// (or Enter) hands the whole set to the caller, which puts it in the URL.
import { useState, type FormEvent } from 'react';
import { filterProblems, fromLocalInput, NO_FILTERS, toLocalInput, type LogFilters } from './query';

interface Draft extends LogFilters {
  fromLocal: string; // the datetime-local inputs' values (local time)
  toLocal: string;
}

function draftOf(f: LogFilters): Draft {
  return { ...f, fromLocal: toLocalInput(f.from), toLocal: toLocalInput(f.to) };
}

function filtersOf(d: Draft): LogFilters {
  const { fromLocal, toLocal, ...rest } = d;
  return { ...rest, from: fromLocalInput(fromLocal), to: fromLocalInput(toLocal) };
}

export function LogFilterForm({
  value,
  scoreNames,
  onApply,
}: {
  value: LogFilters;
  scoreNames: string[];
  onApply: (f: LogFilters) => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(value));
  const [problems, setProblems] = useState<string[]>([]);
  const set = (key: keyof Draft) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const next = filtersOf(draft);
    const found = filterProblems(next);
    if ((draft.fromLocal && !next.from) || (draft.toLocal && !next.to)) found.push('A time is not valid.');
    setProblems(found);
    if (!found.length) onApply(next);
  }

  function clear() {
    setDraft(draftOf(NO_FILTERS));
    setProblems([]);
    onApply(NO_FILTERS);
  }

  // A score named in the URL but not (yet) seen in the logs still shows.
  const names = draft.score && !scoreNames.includes(draft.score) ? [draft.score, ...scoreNames] : scoreNames;

  return (
    <form className="logs-filters" onSubmit={submit} role="search" aria-label="Log filters">
      <div className="logs-filter-row">
        <label htmlFor="logs-search">Search</label>
        <input
          id="logs-search"
          type="search"
          className="logs-search"
          placeholder="words in any field"
          value={draft.search}
          onChange={set('search')}
        />
        <button type="submit">Apply</button>
        <button type="button" onClick={clear}>
          Clear
        </button>
      </div>
      <div className="logs-filter-row">
        <fieldset>
          <legend>Score</legend>
          <label htmlFor="logs-score">Score name</label>
          <select id="logs-score" value={draft.score} onChange={set('score')}>
            <option value="">(any)</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <label htmlFor="logs-score-min">Min score</label>
          <input
            id="logs-score-min"
            type="number"
            step="any"
            className="logs-num"
            placeholder="0"
            value={draft.scoreMin}
            onChange={set('scoreMin')}
          />
          <label htmlFor="logs-score-max">Max score</label>
          <input
            id="logs-score-max"
            type="number"
            step="any"
            className="logs-num"
            placeholder="1"
            value={draft.scoreMax}
            onChange={set('scoreMax')}
          />
        </fieldset>
        <fieldset>
          <legend>Metadata</legend>
          <label htmlFor="logs-meta-path">Metadata field</label>
          <input
            id="logs-meta-path"
            placeholder="user.id"
            className="logs-meta"
            value={draft.metaPath}
            onChange={set('metaPath')}
          />
          <label htmlFor="logs-meta-value">Metadata value</label>
          <input id="logs-meta-value" className="logs-meta" value={draft.metaValue} onChange={set('metaValue')} />
        </fieldset>
      </div>
      <div className="logs-filter-row">
        <fieldset>
          <legend>Time</legend>
          <label htmlFor="logs-from">From</label>
          <input id="logs-from" type="datetime-local" step="1" value={draft.fromLocal} onChange={set('fromLocal')} />
          <label htmlFor="logs-to">To</label>
          <input id="logs-to" type="datetime-local" step="1" value={draft.toLocal} onChange={set('toLocal')} />
        </fieldset>
        <label htmlFor="logs-btql">Filter (BTQL)</label>
        <input
          id="logs-btql"
          className="logs-btql mono"
          placeholder="metadata.model = 'gpt-4o' and scores.accuracy < 0.5"
          spellCheck={false}
          value={draft.btql}
          onChange={set('btql')}
        />
      </div>
      {problems.length > 0 && (
        <ul className="form-error logs-problems" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </form>
  );
}
