// A project's experiments (`/app/:org/p/:project/experiments`): a sortable
// table, newest first, with each experiment's score means and metrics (filled
// in as their summaries arrive), a chart of every score across experiments
// over time, and "select two to compare", which opens the newer experiment
// with `?compare=<older name>`.
import { useCallback, useMemo, useState } from 'react';
import { currentSession } from '../api/client';
import { projectByName, type Experiment, type Project } from '../api/objects';
import { ScoreChart } from '../components/ScoreChart';
import { Empty, ErrorView, Loading } from '../components/States';
import { useAsync } from '../components/useAsync';
import { navigate, pathOf, useParams } from '../router';
import {
  experimentColumns,
  ExperimentTable,
  nextSort,
  sortRows,
  type ExperimentRow,
  type Sort,
} from './experiments/ExperimentTable';
import { scoreNames, useSummaries, type Summaries } from './experiments/summaries';
import { listAll } from './projects/lists';
import './Experiments.css';

interface ProjectExperiments {
  project: Project;
  experiments: Experiment[];
}

async function loadProjectExperiments(org: string, name: string, signal: AbortSignal): Promise<ProjectExperiments> {
  const project = await projectByName(org, name);
  const experiments = await listAll<Experiment>('experiment', { project_id: project.id }, signal);
  return { project, experiments };
}

function creatorOf(e: Experiment): string {
  const me = currentSession()?.user;
  if (me && e.user_id === me.id) return me.email;
  return e.user_id ?? '—';
}

export function Experiments() {
  const { org, project } = useParams();
  const state = useAsync((signal) => loadProjectExperiments(org, project, signal), [org, project]);
  const experiments = state.value?.experiments;
  const ids = useMemo(() => experiments?.map((e) => e.id), [experiments]);
  const { summaries, done, throttled } = useSummaries(ids);

  if (state.status === 'error') return <ErrorView error={state.error} onRetry={state.reload} />;
  if (!experiments || state.status === 'loading') return <Loading what="experiments" />;
  return (
    <section className="experiments">
      <h1>Experiments</h1>
      {experiments.length === 0 ? (
        <NoExperiments org={org} project={project} />
      ) : (
        <ExperimentsView
          org={org}
          project={project}
          experiments={experiments}
          summaries={summaries}
          done={done}
          throttled={throttled}
        />
      )}
    </section>
  );
}

function ExperimentsView({
  org,
  project,
  experiments,
  summaries,
  done,
  throttled,
}: {
  org: string;
  project: string;
  experiments: Experiment[];
  summaries: Summaries;
  done: boolean;
  throttled: boolean;
}) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const [sort, setSort] = useState<Sort>({ key: 'created', dir: 'desc' });
  const toggle = useCallback(
    (id: string) =>
      setSelected((s) => {
        const next = new Set(s);
        if (!next.delete(id)) next.add(id);
        return next;
      }),
    [],
  );
  const scores = useMemo(() => scoreNames(summaries), [summaries]);
  const columns = useMemo(() => experimentColumns(scores, selected, toggle), [scores, selected, toggle]);
  const rows = useMemo(
    () =>
      experiments.map(
        (e): ExperimentRow => ({
          exp: e,
          href: pathOf('app', org, 'p', project, 'experiments', e.name),
          createdMs: e.created ? Date.parse(e.created) : NaN,
          creator: creatorOf(e),
          commit: e.repo_info?.commit ?? e.commit ?? null,
          summary: summaries.get(e.id),
        }),
      ),
    [experiments, summaries, org, project],
  );
  const sorted = useMemo(() => sortRows(rows, columns, sort), [rows, columns, sort]);
  const picked = rows.filter((r) => selected.has(r.exp.id));

  function compareSelected() {
    const [a, b] = picked;
    const [newer, older] = b.createdMs > a.createdMs ? [b, a] : [a, b];
    navigate(`${newer.href}?compare=${encodeURIComponent(older.exp.name)}`);
  }

  return (
    <>
      {done ? (
        <ScoresOverTime rows={rows} scores={scores} project={project} />
      ) : (
        <Loading
          what={`scores (${summaries.size} of ${experiments.length} experiments${throttled ? '; the server asked to slow down, so this may take a minute' : ''})`}
        />
      )}
      <div className="exp-toolbar">
        <button type="button" className="primary" disabled={picked.length !== 2} onClick={compareSelected}>
          Compare
        </button>
        <span className="exp-hint" aria-live="polite">
          {picked.length === 2
            ? `Compare ${picked[0].exp.name} and ${picked[1].exp.name}`
            : `Select two experiments to compare (${picked.length} selected)`}
        </span>
      </div>
      <ExperimentTable rows={sorted} columns={columns} sort={sort} onSort={(k) => setSort(nextSort(columns, sort, k))} />
    </>
  );
}

function ScoresOverTime({ rows, scores, project }: { rows: ExperimentRow[]; scores: string[]; project: string }) {
  const chart = useMemo(() => {
    const scored = rows
      .filter(
        (r) =>
          !Number.isNaN(r.createdMs) &&
          r.summary &&
          !(r.summary instanceof Error) &&
          Object.keys(r.summary.scores).length > 0,
      )
      .sort((a, b) => a.createdMs - b.createdMs);
    return {
      points: scored.map((r) => ({ label: r.exp.name, time: r.createdMs })),
      series: scores.map((name) => ({
        label: name,
        values: scored.map((r) => {
          const s = r.summary;
          return s && !(s instanceof Error) && typeof s.scores[name]?.score === 'number' ? s.scores[name].score : null;
        }),
      })),
    };
  }, [rows, scores]);
  if (!scores.length) return <Empty>No scores logged in these experiments yet, so there is nothing to chart.</Empty>;
  return (
    <ScoreChart
      caption={`Mean scores over time: ${project}'s ${chart.points.length} ${chart.points.length === 1 ? 'experiment' : 'experiments'} with scores (${scores.join(', ')})`}
      pointLabel="Experiment"
      points={chart.points}
      series={chart.series}
    />
  );
}

function NoExperiments({ org, project }: { org: string; project: string }) {
  const snippet = `import { Eval } from "braintrust";

await Eval(${JSON.stringify(project)}, {
  data: () => [{ input: "Foo", expected: "Hi Foo" }],
  task: async (input) => "Hi " + input,
  scores: [({ output, expected }) => ({ name: "exact", score: output === expected ? 1 : 0 })],
});`;
  const env = `BRAINTRUST_APP_URL=${window.location.origin} BRAINTRUST_ORG_NAME=${JSON.stringify(org)} \\
BRAINTRUST_API_KEY=<your key> npx braintrust eval my.eval.ts`;
  return (
    <Empty>
      <p>
        <strong>No experiments yet.</strong> Run an evaluation with the SDK and it appears here:
      </p>
      <pre className="experiments-snippet" tabIndex={0}>{snippet}</pre>
      <pre className="experiments-snippet" tabIndex={0}>{env}</pre>
    </Empty>
  );
}
