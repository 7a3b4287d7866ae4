// The organization's projects (`/app/:org`): each with its experiment and
// dataset counts and its last activity, a link to its experiments, and a
// form that creates a project. Experiments and datasets are listed once for
// the whole organization and grouped by project; the newest project-log row
// is read per project afterwards (one streamed BTQL query each, two at a
// time, up to LOG_ACTIVITY_LIMIT projects) and fills its cell in when it
// arrives.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { btql, quote } from '../api/btql';
import { ApiError, control } from '../api/client';
import type { Dataset, Experiment, Project } from '../api/objects';
import { ErrorView, Empty, Loading } from '../components/States';
import { useAsync } from '../components/useAsync';
import { formatAgo, formatTime } from '../components/format';
import { Link, navigate, pathOf, useParams } from '../router';
import { listAll, newest } from './projects/lists';
import { forEachLimited, HEAVY_IN_FLIGHT, retryBusy } from './projects/pool';
import './Projects.css';

// Past this many projects the per-project log queries are skipped: the
// column then shows experiment and dataset activity only.
const LOG_ACTIVITY_LIMIT = 50;

interface ProjectRow {
  project: Project;
  experiments: number;
  datasets: number;
  lastObject: string | null; // newest experiment or dataset `created`
}

interface OrgProjects {
  rows: ProjectRow[];
}

async function loadOrgProjects(org: string, signal: AbortSignal): Promise<OrgProjects> {
  const q = { org_name: org };
  const [projects, experiments, datasets] = await Promise.all([
    listAll<Project>('project', q, signal),
    listAll<Experiment>('experiment', q, signal),
    listAll<Dataset>('dataset', q, signal),
  ]);
  const byProject = new Map<string, ProjectRow>(
    projects.map((p) => [p.id, { project: p, experiments: 0, datasets: 0, lastObject: null }]),
  );
  for (const e of experiments) {
    const row = byProject.get(e.project_id);
    if (!row) continue;
    row.experiments++;
    row.lastObject = newest(row.lastObject, e.created);
  }
  for (const d of datasets) {
    const row = byProject.get(d.project_id);
    if (!row) continue;
    row.datasets++;
    row.lastObject = newest(row.lastObject, d.created);
  }
  return { rows: [...byProject.values()] };
}

/** The `created` of a project's newest log row, or null when it has none. */
async function newestLogRow(projectId: string, signal: AbortSignal): Promise<string | null> {
  const r = await btql<{ created?: string }>(
    `from: project_logs(${quote(projectId)}) spans | select: created | limit: 1`,
    signal,
  );
  return r.data[0]?.created ?? null;
}

/** project id → the newest log row's time (null: none; undefined: not yet known). */
function useLogActivity(rows: ProjectRow[] | undefined): Map<string, string | null> {
  const [activity, setActivity] = useState(() => new Map<string, string | null>());
  useEffect(() => {
    if (!rows || rows.length > LOG_ACTIVITY_LIMIT) return;
    const ctl = new AbortController();
    setActivity(new Map());
    void forEachLimited(
      rows,
      HEAVY_IN_FLIGHT,
      async (row) => {
        let t: string | null = null;
        try {
          t = await retryBusy(() => newestLogRow(row.project.id, ctl.signal), ctl.signal);
        } catch {
          // Activity is a hint: a failed query leaves the experiment/dataset time.
        }
        if (!ctl.signal.aborted) setActivity((m) => new Map(m).set(row.project.id, t));
      },
      ctl.signal,
    );
    return () => ctl.abort();
  }, [rows]);
  return activity;
}

export function Projects() {
  const { org } = useParams();
  const state = useAsync((signal) => loadOrgProjects(org, signal), [org]);
  const rows = state.value?.rows;
  const logActivity = useLogActivity(rows);

  return (
    <section className="projects">
      <div className="projects-head">
        <h1>Projects</h1>
        <CreateProject org={org} />
      </div>
      {state.status === 'error' && !rows ? (
        <ErrorView error={state.error} onRetry={state.reload} />
      ) : !rows ? (
        <Loading what="projects" />
      ) : rows.length === 0 ? (
        <NoProjects org={org} />
      ) : (
        <ProjectTable
          org={org}
          rows={rows}
          logActivity={logActivity}
          logsChecked={rows.length <= LOG_ACTIVITY_LIMIT}
        />
      )}
    </section>
  );
}

function ProjectTable({
  org,
  rows,
  logActivity,
  logsChecked,
}: {
  org: string;
  rows: ProjectRow[];
  logActivity: Map<string, string | null>;
  logsChecked: boolean;
}) {
  const now = Date.now();
  const sorted = useMemo(
    () => [...rows].sort((a, b) => a.project.name.localeCompare(b.project.name)),
    [rows],
  );
  return (
    <table className="table projects-table" aria-label="Projects">
      <thead>
        <tr>
          <th scope="col">Project</th>
          <th scope="col" className="num">
            Experiments
          </th>
          <th scope="col" className="num">
            Datasets
          </th>
          <th scope="col">Last activity</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((row) => {
          const id = row.project.id;
          const pending = logsChecked && !logActivity.has(id);
          const last = newest(row.lastObject, logActivity.get(id), row.project.created);
          return (
            <tr key={id} data-project-id={id}>
              <th scope="row">
                <Link href={pathOf('app', org, 'p', row.project.name, 'experiments')}>{row.project.name}</Link>
              </th>
              <td className="num">{row.experiments}</td>
              <td className="num">{row.datasets}</td>
              <td className="last-activity" title={last ? formatTime(last) : undefined}>
                {formatAgo(last, now)}
                {pending && (
                  <span className="pending">
                    {' …'}
                    <span className="visually-hidden"> (checking logs)</span>
                  </span>
                )}
              </td>
              <td>{formatTime(row.project.created)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function NoProjects({ org }: { org: string }) {
  const snippet = `import { initLogger } from "braintrust";

const logger = initLogger({
  projectName: "my-project",
  appUrl: "${window.location.origin}",
  apiKey: process.env.BRAINTRUST_API_KEY,
  orgName: ${JSON.stringify(org)},
});
logger.log({ input: "hello", output: "world" });
await logger.flush();`;
  return (
    <Empty>
      <p>
        <strong>No projects yet.</strong> Create one above, or log to one with the SDK (it creates the project on its
        first write):
      </p>
      <pre className="projects-snippet" tabIndex={0}>{snippet}</pre>
    </Empty>
  );
}

function CreateProject({ org }: { org: string }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const p = await control<Project>('/v1/project', { body: { name, org_name: org } });
      navigate(pathOf('app', org, 'p', p.name, 'experiments'));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : (err as Error).message);
      setBusy(false);
    }
  }

  return (
    <form className="create-project" onSubmit={submit} aria-label="Create project">
      <label htmlFor="create-project-name">Project name</label>
      <input id="create-project-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      <button type="submit" disabled={busy}>
        Create project
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
