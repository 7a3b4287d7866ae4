// The summary the SDK prints after Eval(): each score's and metric's mean, its
// change against the base (green when better: higher scores, lower metrics)
// and how many traces improved or regressed.
import { formatDiff, formatMetric, formatScore } from '../../components/format';
import type { Comparison } from './query';

function diffClass(diff: number | undefined, higherIsBetter: boolean): string | undefined {
  if (typeof diff !== 'number' || diff === 0) return undefined;
  return diff > 0 === higherIsBetter ? 'diff-good' : 'diff-bad';
}

function metricDiff(diff: number | undefined, unit: string): string {
  if (typeof diff !== 'number' || !Number.isFinite(diff)) return '';
  const text = formatMetric(Math.abs(diff), unit);
  return diff === 0 ? text : `${diff > 0 ? '+' : '−'}${text}`;
}

const count = (n: number) => (n > 0 ? String(n) : '–');

export function Summary({ summary, baseName }: { summary: Comparison; baseName: string | null }) {
  const scores = Object.values(summary.scores);
  const metrics = Object.values(summary.metrics);
  if (!scores.length && !metrics.length) return <p className="exp-note">No scores or metrics yet.</p>;
  return (
    <table className="table exp-summary" aria-label="Summary">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col" className="num">
            Value
          </th>
          <th scope="col" className="num">
            {baseName ? `Change vs ${baseName}` : 'Change'}
          </th>
          <th scope="col" className="num">
            Improvements
          </th>
          <th scope="col" className="num">
            Regressions
          </th>
        </tr>
      </thead>
      <tbody>
        {scores.map((s) => (
          <tr key={`score:${s.name}`} data-score={s.name}>
            <th scope="row">{s.name}</th>
            <td className="num">{formatScore(s.score)}</td>
            <td className={`num ${diffClass(s.diff, true) ?? ''}`}>{formatDiff(s.diff)}</td>
            <td className={`num ${s.improvements > 0 ? 'diff-good' : ''}`}>{count(s.improvements)}</td>
            <td className={`num ${s.regressions > 0 ? 'diff-bad' : ''}`}>{count(s.regressions)}</td>
          </tr>
        ))}
        {metrics.map((m) => (
          <tr key={`metric:${m.name}`} data-metric={m.name} className="exp-metric">
            <th scope="row">{m.name}</th>
            <td className="num">{formatMetric(m.metric, m.unit)}</td>
            <td className={`num ${diffClass(m.diff, false) ?? ''}`}>{metricDiff(m.diff, m.unit)}</td>
            <td className={`num ${m.improvements > 0 ? 'diff-good' : ''}`}>{count(m.improvements)}</td>
            <td className={`num ${m.regressions > 0 ? 'diff-bad' : ''}`}>{count(m.regressions)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
