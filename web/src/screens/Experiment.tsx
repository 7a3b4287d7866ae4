// One experiment: the page the link Eval() prints opens. The summary the SDK
// prints (against the base: ?compare=<name>, else the experiment's
// base_exp_id), a "Compare with" choice among the project's experiments, and
// the rows (experiment/Rows.tsx) matched to the base's rows by input.
import { useMemo } from 'react';
import { control } from '../api/client';
import { experimentByName, listExperiments, projectByName, type Experiment as Exp } from '../api/objects';
import { ErrorView, Loading } from '../components/States';
import { formatTime } from '../components/format';
import { useAsync } from '../components/useAsync';
import { Link, pathOf, setQueryParam, useLocation, useParams } from '../router';
import { comparison, type Comparison } from './experiment/query';
import { Rows } from './experiment/Rows';
import { Summary } from './experiment/Summary';
import './Experiment.css';

async function loadExperiment(org: string, projectName: string, name: string) {
  const project = await projectByName(org, projectName);
  const [experiment, experiments] = await Promise.all([
    experimentByName(project.id, name),
    listExperiments(project.id),
  ]);
  return { project, experiment, experiments };
}

/** The base: the named experiment, else base_exp_id (which may live in another project). */
async function loadBase(experiment: Exp, experiments: Exp[], compare: string | null): Promise<Exp | null> {
  if (compare) {
    const named = experiments.find((e) => e.name === compare);
    if (!named) throw new Error(`No experiment named '${compare}' in this project to compare with`);
    return named;
  }
  if (!experiment.base_exp_id) return null;
  const known = experiments.find((e) => e.id === experiment.base_exp_id);
  return known ?? (await control<Exp>(`/v1/experiment/${encodeURIComponent(experiment.base_exp_id)}`));
}

export function Experiment() {
  const { org, project: projectName, experiment: name } = useParams();
  const loc = useLocation();
  const compare = loc.search.get('compare');

  const meta = useAsync(() => loadExperiment(org, projectName, name), [org, projectName, name]);
  const experiment = meta.value?.experiment;
  const experiments = meta.value?.experiments;

  // The base is resolved for one (experiment, compare) pair; the summary waits
  // for the pair on screen, so it never asks for a comparison it would drop.
  const baseKey = experiment && experiments ? `${experiment.id}\u0000${compare ?? ''}` : null;
  const base = useAsync(
    async () => ({ key: baseKey, exp: experiment && experiments ? await loadBase(experiment, experiments, compare) : null }),
    [baseKey],
  );
  const baseReady = baseKey !== null && base.status === 'done' && base.value.key === baseKey;
  const baseExp = baseReady && base.status === 'done' ? base.value.exp : null;
  const baseSettled = baseReady || (baseKey !== null && base.status === 'error');

  const summary = useAsync(
    (signal) =>
      experiment && baseSettled ? comparison(experiment.id, baseExp?.id ?? null, signal) : never<Comparison>(),
    [experiment?.id, baseExp?.id, baseSettled],
  );
  const scoreNames = useMemo(
    () => Object.keys(summary.value?.scores ?? {}),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [Object.keys(summary.value?.scores ?? {}).join('\u0000')],
  );

  if (meta.status === 'error') return <ErrorView error={meta.error} onRetry={meta.reload} />;
  if (!meta.value) return <Loading what="the experiment" />;
  const exp = meta.value.experiment;
  const others = meta.value.experiments.filter((e) => e.id !== exp.id);
  const selected = compare ?? (baseExp && others.some((e) => e.id === baseExp.id) ? baseExp.name : '');

  return (
    <div className="experiment">
      <header className="exp-header">
        <div>
          <h1>{exp.name}</h1>
          <p className="exp-note">
            Created {formatTime(exp.created)}
            {exp.commit || exp.repo_info?.commit ? ` · commit ${(exp.commit ?? exp.repo_info?.commit ?? '').slice(0, 10)}` : ''}
            {' · '}
            <Link href={pathOf('app', org, 'p', projectName, 'experiments')}>All experiments</Link>
          </p>
          {exp.description && <p>{exp.description}</p>}
        </div>
        <div className="exp-compare">
          <label htmlFor="exp-compare">Compare with</label>
          <select
            id="exp-compare"
            value={selected}
            onChange={(e) => setQueryParam('compare', e.target.value || null)}
          >
            {!selected && (
              <option value="">{baseExp ? `${baseExp.name} (base, another project)` : 'No comparison'}</option>
            )}
            {others.map((e) => (
              <option key={e.id} value={e.name}>
                {e.name}
                {e.id === exp.base_exp_id ? ' (base)' : ''}
              </option>
            ))}
          </select>
        </div>
      </header>

      <section aria-label="Experiment summary" className="exp-summary-section">
        <h2>
          Summary
          {baseExp ? (
            <span className="exp-note">
              {' '}
              {baseExp.name} (base) ← {exp.name}
            </span>
          ) : (
            <span className="exp-note"> no base experiment</span>
          )}
        </h2>
        {base.status === 'error' && <ErrorView error={base.error} />}
        {summary.status === 'error' ? (
          <ErrorView error={summary.error} onRetry={summary.reload} />
        ) : !summary.value || summary.status === 'loading' ? (
          <Loading what="the summary" />
        ) : (
          <Summary summary={summary.value} baseName={baseExp?.name ?? null} />
        )}
      </section>

      <h2>Rows</h2>
      {/* The rows load beside the summary; until it answers, their score columns come from the rows. */}
      <Rows
        org={org}
        project={projectName}
        experimentId={exp.id}
        scoreNames={scoreNames}
        base={baseExp ? { id: baseExp.id, name: baseExp.name } : null}
      />
    </div>
  );
}

/** A promise that never settles: a load that waits for its inputs. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
