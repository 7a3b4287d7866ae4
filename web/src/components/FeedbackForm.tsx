// Human scores and comments on one row: a score the object already uses (or
// a new name) with a value in [0, 1], and/or a comment. Saved through
// POST /v1/<object type>/<object id>/feedback on the data plane — the route the
// SDK's logFeedback uses, so SDK reads see them (scores merge into the row; a
// comment is listed under the row's `comments`). FeedbackComments shows those.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { data } from '../api/client';
import { formatTime } from './format';
import './FeedbackForm.css';

export type FeedbackObjectType = 'experiment' | 'dataset' | 'project_logs';

export interface FeedbackTarget {
  objectType: FeedbackObjectType;
  objectId: string;
  rowId: string;
}

export interface SavedFeedback {
  scores?: Record<string, number>;
  comment?: string;
}

const NEW_SCORE = '\u0000new'; // the select's "new score" option (no score name can hold NUL)

export async function saveFeedback(target: FeedbackTarget, feedback: SavedFeedback): Promise<void> {
  const item: Record<string, unknown> = { id: target.rowId, source: 'app' };
  if (feedback.scores) item.scores = feedback.scores;
  if (feedback.comment) item.comment = feedback.comment;
  await data(`/v1/${target.objectType}/${encodeURIComponent(target.objectId)}/feedback`, {
    body: { feedback: [item] },
  });
}

export function FeedbackForm({
  target,
  scoreNames,
  onSaved,
}: {
  target: FeedbackTarget;
  scoreNames: string[]; // the names the object uses, offered first
  onSaved: (saved: SavedFeedback) => void;
}) {
  const id = useId();
  const [choice, setChoice] = useState(scoreNames[0] ?? NEW_SCORE);
  const [picked, setPicked] = useState(false); // the user chose in the select
  const [newName, setNewName] = useState('');
  const [value, setValue] = useState('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  // The names may arrive after the form: pick the first one until the user chooses.
  useEffect(() => {
    if (!picked && choice === NEW_SCORE && !newName && scoreNames.length) setChoice(scoreNames[0]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scoreNames]);
  // Another row: start over.
  useEffect(() => {
    setValue('');
    setComment('');
    setMessage(null);
  }, [target.objectType, target.objectId, target.rowId]);

  const name = choice === NEW_SCORE ? newName.trim() : choice;

  function problem(): string | null {
    const hasValue = value.trim() !== '';
    if (!hasValue && !comment.trim()) return 'Enter a score value or a comment.';
    if (hasValue) {
      const v = Number(value);
      if (!Number.isFinite(v) || v < 0 || v > 1) return 'A score is a number from 0 to 1.';
      if (!name) return 'Name the score.';
    }
    return null;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const p = problem();
    if (p) {
      setMessage({ ok: false, text: p });
      return;
    }
    const saved: SavedFeedback = {};
    if (value.trim() !== '') saved.scores = { [name]: Number(value) };
    if (comment.trim()) saved.comment = comment.trim();
    setBusy(true);
    setMessage(null);
    try {
      await saveFeedback(target, saved);
      setValue('');
      setComment('');
      if (choice === NEW_SCORE && saved.scores) {
        setChoice(name); // the saved name is one the object uses now (onSaved adds it)
        setNewName('');
      }
      setMessage({ ok: true, text: 'Saved.' });
      onSaved(saved);
    } catch (err) {
      setMessage({ ok: false, text: `Not saved: ${(err as Error).message}` });
    } finally {
      setBusy(false);
    }
  }

  const sliderValue = Number.isFinite(Number(value)) && value !== '' ? Number(value) : 0;
  return (
    <form className="feedback-form" onSubmit={submit} aria-label="Human review" noValidate>
      <div className="feedback-score">
        <label htmlFor={`${id}-name`}>Score</label>
        <select id={`${id}-name`} value={choice} onChange={(e) => {
            setPicked(true);
            setChoice(e.target.value);
          }}>
          {scoreNames.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
          <option value={NEW_SCORE}>New score…</option>
        </select>
        {choice === NEW_SCORE && (
          <>
            <label htmlFor={`${id}-new`}>New score name</label>
            <input
              id={`${id}-new`}
              type="text"
              value={newName}
              maxLength={1024}
              onChange={(e) => setNewName(e.target.value)}
            />
          </>
        )}
        <label htmlFor={`${id}-value`}>Score value (0 to 1)</label>
        <input
          id={`${id}-value`}
          type="number"
          min={0}
          max={1}
          step={0.01}
          inputMode="decimal"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <input
          type="range"
          aria-label="Score value slider"
          min={0}
          max={1}
          step={0.01}
          value={sliderValue}
          onChange={(e) => setValue(e.target.value)}
        />
      </div>
      <label htmlFor={`${id}-comment`}>Comment</label>
      <textarea id={`${id}-comment`} rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
      {message && (
        <p className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <div>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

interface CommentEntry {
  id?: unknown;
  created?: unknown;
  comment?: { text?: unknown } | null;
  _audit_source?: unknown;
}

/** A row's comments (its `comments` field), oldest first, as plain text. */
export function FeedbackComments({ comments }: { comments: unknown }) {
  const list = Array.isArray(comments) ? (comments as CommentEntry[]) : [];
  if (!list.length) return <p className="feedback-none">No comments yet.</p>;
  return (
    <ul className="feedback-comments">
      {list.map((c, i) => (
        <li key={typeof c.id === 'string' ? c.id : i}>
          <div className="feedback-comment-text">
            {typeof c.comment?.text === 'string' ? c.comment.text : JSON.stringify(c.comment ?? null)}
          </div>
          <div className="feedback-comment-meta">
            {formatTime(typeof c.created === 'string' ? c.created : null)}
            {typeof c._audit_source === 'string' && c._audit_source ? ` · ${c._audit_source}` : ''}
          </div>
        </li>
      ))}
    </ul>
  );
}
