// The selected span: its payloads (input, output, expected, metadata — fetched
// on demand, the tree's query leaves them out), scores, metrics, error and
// attributes, each as a JSON tree of text nodes, and the human score form
// with the row's comments.
import type { ReactNode } from 'react';
import { FeedbackComments, FeedbackForm, type SavedFeedback } from '../../components/FeedbackForm';
import { formatDuration, formatTime } from '../../components/format';
import { JsonView } from '../../components/JsonView';
import { Empty, ErrorView, Loading } from '../../components/States';
import type { AsyncState } from '../../components/useAsync';
import type { ObjectType } from './load';
import { durationOf, kindClass, type SpanNode } from './model';

type FullRow = Record<string, unknown> | null;

function present(v: unknown): boolean {
  return v !== null && v !== undefined;
}

function Section({ id, title, children, className }: { id: string; title: string; children: ReactNode; className?: string }) {
  return (
    <section className={`span-section${className ? ` ${className}` : ''}`} aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

function Value({ id, title, value }: { id: string; title: string; value: unknown }) {
  if (!present(value)) return null;
  return (
    <Section id={id} title={title}>
      <JsonView value={value} />
    </Section>
  );
}

export function SpanDetail({
  node,
  full,
  objectType,
  objectId,
  scoreNames,
  onReviewStart,
  onSaved,
}: {
  node: SpanNode;
  full: AsyncState<FullRow> & { reload: () => void };
  objectType: ObjectType;
  objectId: string;
  scoreNames: string[];
  onReviewStart: () => void; // the review form got focus
  onSaved: (saved: SavedFeedback) => void;
}) {
  const row = full.status === 'done' ? full.value : null;
  // Until the whole row arrives, the light row's fields stand in.
  const light = node.row as unknown as Record<string, unknown>;
  const shown = row ?? light;
  const duration = durationOf(node);
  return (
    <div className="span-detail" aria-label={`Span ${node.name}`} role="region">
      <header className="span-detail-head">
        <h2>
          {node.kind && <span className={`span-kind span-kind-${kindClass(node.kind)}`}>{node.kind}</span>}
          <span className="span-detail-name">{node.name}</span>
        </h2>
        <dl className="span-facts">
          <dt>Duration</dt>
          <dd>{formatDuration(duration)}</dd>
          <dt>Started</dt>
          <dd>{formatTime(node.start !== null ? new Date(node.start * 1000).toISOString() : node.row.created)}</dd>
          <dt>Row id</dt>
          <dd className="mono">{node.row.id}</dd>
        </dl>
      </header>
      {full.status === 'loading' && <Loading what="the span's data" />}
      {full.status === 'error' && <ErrorView error={full.error} onRetry={full.reload} />}
      {full.status === 'done' && !row && <Empty>This span no longer exists.</Empty>}
      {row && (
        <>
          <Value id="span-input" title="Input" value={row.input} />
          <Value id="span-output" title="Output" value={row.output} />
          <Value id="span-expected" title="Expected" value={row.expected} />
          {!present(row.input) && !present(row.output) && !present(row.expected) && (
            <Empty>This span logged no input or output.</Empty>
          )}
        </>
      )}
      {present(shown.error) && (
        <Section id="span-error" title="Error" className="span-section-error">
          <JsonView value={shown.error} />
        </Section>
      )}
      <Section id="span-scores" title="Scores">
        {present(shown.scores) && Object.keys(shown.scores as object).length ? (
          <ScoreList scores={shown.scores as Record<string, unknown>} />
        ) : (
          <p className="feedback-none">No scores.</p>
        )}
      </Section>
      <Value id="span-metrics" title="Metrics" value={shown.metrics} />
      {row && <Value id="span-metadata" title="Metadata" value={row.metadata} />}
      {row && <Value id="span-tags" title="Tags" value={row.tags} />}
      <Section id="span-feedback" title="Human review">
        <div onFocus={onReviewStart}>
          <FeedbackForm
            target={{ objectType, objectId, rowId: node.row.id }}
            scoreNames={scoreNames}
            onSaved={onSaved}
          />
        </div>
        <h4>Comments</h4>
        {row ? <FeedbackComments comments={row.comments} /> : <Loading what="comments" />}
      </Section>
      <Value id="span-attributes" title="Attributes" value={shown.span_attributes} />
    </div>
  );
}

function ScoreList({ scores }: { scores: Record<string, unknown> }) {
  return (
    <table className="table span-scores">
      <thead>
        <tr>
          <th scope="col">Score</th>
          <th scope="col" className="num">
            Value
          </th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(scores).map(([name, v]) => (
          <tr key={name}>
            <td>{name}</td>
            <td className="num">
              {typeof v === 'number' ? `${(v * 100).toFixed(1)}% (${v})` : v === null ? '—' : JSON.stringify(v)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
