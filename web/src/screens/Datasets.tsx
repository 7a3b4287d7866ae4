// The project's datasets: name (a link to its rows), description, row count
// (GET /dataset-summary on the data plane, one per dataset) and when it was
// created. Empty: how to make one with the SDK.
import { useEffect, useState } from 'react';
import { listDatasets, projectByName, type Dataset } from '../api/objects';
import { Empty, ErrorView, Loading } from '../components/States';
import { useAsync } from '../components/useAsync';
import { formatTime } from '../components/format';
import { Link, pathOf, useParams } from '../router';
import { rowCount } from './datasets/rows';
import './Datasets.css';

export function Datasets() {
  const { org, project } = useParams();
  const state = useAsync(
    async () => {
      const p = await projectByName(org, project);
      const datasets = await listDatasets(p.id);
      datasets.sort((a, b) => a.name.localeCompare(b.name));
      return datasets;
    },
    [org, project],
  );

  if (state.status === 'error') return <ErrorView error={state.error} onRetry={state.reload} />;
  if (state.status === 'loading') return <Loading what="datasets" />;
  const datasets = state.value;
  return (
    <section className="datasets">
      <h1>Datasets</h1>
      {datasets.length === 0 ? (
        <EmptyDatasets project={project} />
      ) : (
        <table className="table datasets-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col" className="num">
                Rows
              </th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link href={pathOf('app', org, 'p', project, 'datasets', d.name)}>{d.name}</Link>
                </td>
                <td className="datasets-description">{d.description ?? ''}</td>
                <td className="num">
                  <RowCount dataset={d} />
                </td>
                <td>{formatTime(d.created)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RowCount({ dataset }: { dataset: Dataset }) {
  const [count, setCount] = useState<number | Error | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    rowCount(dataset.id, ctl.signal).then(
      (n) => !ctl.signal.aborted && setCount(n),
      (e: Error) => !ctl.signal.aborted && setCount(e),
    );
    return () => ctl.abort();
  }, [dataset.id]);
  if (count === null) return <span className="datasets-muted">…</span>;
  if (count instanceof Error)
    return (
      <span className="form-error" title={count.message}>
        unavailable
      </span>
    );
  return <span data-testid="dataset-row-count">{count.toLocaleString('en-US')}</span>;
}

function EmptyDatasets({ project }: { project: string }) {
  const snippet = `import { initDataset } from 'braintrust';

const dataset = initDataset(${JSON.stringify(project)}, { dataset: 'my-dataset' });
dataset.insert({ input: { question: 'What is 2 + 2?' }, expected: { answer: 4 } });
await dataset.flush();`;
  return (
    <Empty>
      <p>This project has no datasets yet. Create one with the SDK:</p>
      <pre className="datasets-snippet">{snippet}</pre>
    </Empty>
  );
}
