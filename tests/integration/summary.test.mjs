// Experiment and dataset summaries over HTTP: GET /experiment-comparison2,
// GET /v1/experiment/{id}/summarize, GET /v1/dataset/{id}/summarize
// (docs/api.md, "Summaries and comparisons"). Scores are averaged per trace
// over its spans (the SDK writes them on scorer children), then over traces;
// traces are matched to the base by their root input; estimated_cost comes
// from a span's own metric, else from the price table (defaults plus
// --model-prices) for llm spans with metadata.model.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, makeTmpDir, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, expectError, ok } from '../lib/http.mjs';
import { insertRows, makeObjects } from '../lib/rows.mjs';
import { assertPathResponse } from '../lib/schema.mjs';

const near = (actual, expected, what) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, want ${expected}`);

// House prices given with --model-prices (USD per million tokens).
const HOUSE = { input: 1, output: 2 };
const GPT4O = { input: 2.5, output: 10 }; // the default table's gpt-4o

// One trace: a root (input, duration), scorer children, optional llm spans.
function trace(name, { input, start = 1000, duration, scores = {}, llm = [] }) {
  const root = `${name}-root`;
  const rows = [{
    id: root, span_id: root, root_span_id: root, input, output: `out-${input}`,
    span_attributes: { name: 'eval', type: 'eval' }, metrics: { start, end: start + duration },
  }];
  for (const [score, value] of Object.entries(scores)) {
    const id = `${name}-score-${score}`;
    rows.push({
      id, span_id: id, root_span_id: root, span_parents: [root],
      span_attributes: { name: score, type: 'score', purpose: 'scorer' },
      output: { score: value }, scores: { [score]: value }, metrics: { start: start + 0.1, end: start + 0.2 },
    });
  }
  llm.forEach((call, i) => {
    const id = `${name}-llm-${i}`;
    rows.push({
      id, span_id: id, root_span_id: root, span_parents: [root],
      span_attributes: { name: 'chat', type: 'llm' },
      metadata: { model: call.model },
      metrics: {
        start: start + 0.5, end: start + 0.5 + call.seconds,
        prompt_tokens: call.prompt, completion_tokens: call.completion, total_tokens: call.prompt + call.completion,
        ...(call.cost !== undefined ? { estimated_cost: call.cost } : {}),
      },
    });
  });
  return rows;
}

const cost = (price, prompt, completion) => (prompt * price.input + completion * price.output) / 1e6;

// Current: t1..t3; base: b1 (same input as t1), b2 (as t2), b4 (unmatched).
const CURRENT = [
  trace('t1', { input: 'q1', duration: 2, scores: { acc: 1, fmt: 0.5 }, llm: [{ model: 'gpt-4o-2024-08-06', seconds: 1, prompt: 1000, completion: 500 }] }),
  trace('t2', { input: 'q2', duration: 4, scores: { acc: 0 }, llm: [{ model: 'house-llm', seconds: 1.5, prompt: 2000, completion: 1000 }] }),
  trace('t3', { input: 'q3', duration: 1, scores: { acc: 0.5, fmt: 1 }, llm: [{ model: 'gpt-4o', seconds: 0.25, prompt: 100, completion: 100, cost: 0.5 }] }),
];
const BASE = [
  trace('b1', { input: 'q1', duration: 3, scores: { acc: 0, fmt: 0.5 } }),
  trace('b2', { input: 'q2', duration: 4, scores: { acc: 1 } }),
  trace('b4', { input: 'q4', duration: 10, scores: { acc: 1 } }),
];
const COSTS = [cost(GPT4O, 1000, 500), cost(HOUSE, 2000, 1000), 0.5];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('experiment and dataset summaries', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let url;
  let key;
  let A; // {project, experiment, dataset} of the init org
  let baseExp;
  let emptyExp;
  let other; // {key, experiment, dataset} of another org
  let tmp;

  const get = (p, query, k = key) => api(url, p, { key: k, query });

  before(async () => {
    tmp = makeTmpDir('tracevault-summary-');
    const pricesFile = path.join(tmp, 'prices.json');
    fs.writeFileSync(pricesFile, JSON.stringify({ 'house-llm': HOUSE }));
    dep = await startServe({ extraArgs: ['--model-prices', pricesFile] });
    url = dep.dataUrl;
    key = dep.apiKey;
    A = await makeObjects(url, key, 'summary');
    baseExp = ok(await api(url, '/v1/experiment', { key, body: { project_id: A.project.id, name: uniqueName('summary-base') } }));
    emptyExp = ok(await api(url, '/v1/experiment', { key, body: { project_id: A.project.id, name: uniqueName('summary-empty') } }));
    await insertRows(url, key, 'experiment', A.experiment.id, CURRENT.flat());
    await insertRows(url, key, 'experiment', baseExp.id, BASE.flat());
    await insertRows(url, key, 'dataset', A.dataset.id, [
      { id: 'd1', input: 'a', expected: 'A' },
      { id: 'd2', input: 'b', expected: 'B' },
      { id: 'd3', input: 'c', expected: 'C' },
    ]);
    await insertRows(url, key, 'dataset', A.dataset.id, [{ id: 'd3', _object_delete: true }]);

    const out = await dep.admin(['create-org', '--org-name', uniqueName('summary-org-b'), '--user-email', `b-${crypto.randomUUID().slice(0, 6)}@example.test`]);
    const bProject = ok(await api(url, '/v1/project', { key: out.api_key, body: { name: uniqueName('b-proj') } }));
    other = {
      key: out.api_key,
      experiment: ok(await api(url, '/v1/experiment', { key: out.api_key, body: { project_id: bProject.id, name: uniqueName('b-exp') } })),
      dataset: ok(await api(url, '/v1/dataset', { key: out.api_key, body: { project_id: bProject.id, name: uniqueName('b-ds') } })),
    };
    await insertRows(url, out.api_key, 'experiment', other.experiment.id, BASE[0]);
  });
  after(async () => {
    await dep?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('experiment-comparison2 without a base: means over traces, no diff key at all', withLogs(async () => {
    const r = ok(await get('/experiment-comparison2', { experiment_id: A.experiment.id }));
    assert.deepEqual(Object.keys(r).sort(), ['metrics', 'scores']);
    assert.deepEqual(Object.keys(r.scores).sort(), ['acc', 'fmt']);
    near(r.scores.acc.score, mean([1, 0, 0.5]), 'acc');
    near(r.scores.fmt.score, mean([0.5, 1]), 'fmt: over the traces that have it');
    for (const s of Object.values(r.scores)) {
      assert.ok(!('diff' in s), `no diff without a base: ${JSON.stringify(s)}`);
      assert.equal(s.improvements, 0);
      assert.equal(s.regressions, 0);
    }
    for (const m of Object.values(r.metrics)) assert.ok(!('diff' in m), `no diff without a base: ${JSON.stringify(m)}`);
  }));

  it('metrics: names, units and means (lower is better)', withLogs(async () => {
    const { metrics } = ok(await get('/experiment-comparison2', { experiment_id: A.experiment.id }));
    const units = Object.fromEntries(Object.values(metrics).map((m) => [m.name, m.unit]));
    assert.deepEqual(units, {
      duration: 's', llm_duration: 's', prompt_tokens: 'tok', completion_tokens: 'tok', total_tokens: 'tok', estimated_cost: '$',
    });
    near(metrics.duration.metric, mean([2, 4, 1]), 'duration (s): the longest span of each trace');
    near(metrics.llm_duration.metric, mean([1, 1.5, 0.25]), 'llm_duration');
    near(metrics.prompt_tokens.metric, mean([1000, 2000, 100]), 'prompt_tokens');
    near(metrics.completion_tokens.metric, mean([500, 1000, 100]), 'completion_tokens');
    near(metrics.total_tokens.metric, mean([1500, 3000, 200]), 'total_tokens');
    for (const m of Object.values(metrics)) assert.equal(typeof m.metric, 'number');
  }));

  it('estimated_cost: a logged cost wins; else the price table by model (dated names by prefix, --model-prices entries)', withLogs(async () => {
    const { metrics } = ok(await get('/experiment-comparison2', { experiment_id: A.experiment.id }));
    near(metrics.estimated_cost.metric, mean(COSTS), 'estimated_cost');
  }));

  it('with a base: diff = current − base, improvements/regressions of traces matched by input', withLogs(async () => {
    const r = ok(await get('/experiment-comparison2', { experiment_id: A.experiment.id, base_experiment_id: baseExp.id }));
    // acc: t1 1 vs 0 (up), t2 0 vs 1 (down), t3 unmatched.
    near(r.scores.acc.diff, mean([1, 0, 0.5]) - mean([0, 1, 1]), 'acc diff');
    assert.equal(r.scores.acc.improvements, 1);
    assert.equal(r.scores.acc.regressions, 1);
    // fmt: t1 equal to b1; t3 unmatched.
    near(r.scores.fmt.diff, mean([0.5, 1]) - 0.5, 'fmt diff');
    assert.equal(r.scores.fmt.improvements, 0);
    assert.equal(r.scores.fmt.regressions, 0);
    // duration: t1 2 s vs 3 s is an improvement (lower is better), t2 equal.
    near(r.metrics.duration.diff, mean([2, 4, 1]) - mean([3, 4, 10]), 'duration diff');
    assert.equal(r.metrics.duration.improvements, 1);
    assert.equal(r.metrics.duration.regressions, 0);
    // The base has no tokens or cost: no diff for those.
    for (const name of ['prompt_tokens', 'estimated_cost', 'llm_duration']) {
      assert.ok(!('diff' in r.metrics[name]), `${name}: no diff when the base lacks it`);
      assert.equal(r.metrics[name].improvements, 0);
    }
    // Reversed, the counts swap sides.
    const rev = ok(await get('/experiment-comparison2', { experiment_id: baseExp.id, base_experiment_id: A.experiment.id }));
    assert.equal(rev.scores.acc.improvements, 1);
    assert.equal(rev.scores.acc.regressions, 1);
    assert.equal(rev.metrics.duration.improvements, 0);
    assert.equal(rev.metrics.duration.regressions, 1);
    near(rev.scores.acc.diff, -r.scores.acc.diff, 'reversed diff');
  }));

  it('an experiment without rows summarizes to empty scores and metrics', withLogs(async () => {
    const r = ok(await get('/experiment-comparison2', { experiment_id: emptyExp.id, base_experiment_id: baseExp.id }));
    assert.deepEqual(r, { scores: {}, metrics: {} });
  }));

  it('bad or missing parameters are 400 JSON errors', withLogs(async () => {
    expectError(await get('/experiment-comparison2', {}), 400, 'no experiment_id');
    expectError(await get('/experiment-comparison2', { experiment_id: '' }), 400, 'empty experiment_id');
    expectError(await get('/experiment-comparison2', { experiment_id: 'not-a-uuid' }), 400, 'malformed experiment_id');
    expectError(await get('/experiment-comparison2', { experiment_id: A.experiment.id, base_experiment_id: 'nope' }), 400, 'malformed base');
    expectError(await get('/experiment-comparison2', { experiment_id: A.experiment.id, base_experiment_id: '' }), 400, 'empty base');
    expectError(await get(`/v1/experiment/${A.experiment.id}/summarize`, { summarize_scores: 'yes' }), 400, 'summarize_scores');
    expectError(await get(`/v1/experiment/${A.experiment.id}/summarize`, { summarize_scores: 'true', comparison_experiment_id: 'x' }), 400, 'comparison id');
    expectError(await get(`/v1/dataset/${A.dataset.id}/summarize`, { summarize_data: 'maybe' }), 400, 'summarize_data');
  }));

  it('another organization\'s ids are 404, exactly like unknown ids', withLogs(async () => {
    const theirs = other.experiment.id;
    const unknown = crypto.randomUUID();
    for (const id of [theirs, unknown]) {
      expectError(await get('/experiment-comparison2', { experiment_id: id }), 404, 'experiment_id');
      expectError(await get('/experiment-comparison2', { experiment_id: A.experiment.id, base_experiment_id: id }), 404, 'base_experiment_id');
      expectError(await get(`/v1/experiment/${id}/summarize`, { summarize_scores: 'true' }), 404, 'summarize');
      expectError(await get(`/v1/experiment/${A.experiment.id}/summarize`, { summarize_scores: 'true', comparison_experiment_id: id }), 404, 'comparison');
    }
    expectError(await get(`/v1/dataset/${other.dataset.id}/summarize`, { summarize_data: 'true' }), 404, 'dataset');
    // And the other way round.
    expectError(await get('/experiment-comparison2', { experiment_id: A.experiment.id }, other.key), 404, 'B reads A');
    const mine = ok(await get('/experiment-comparison2', { experiment_id: theirs }, other.key));
    near(mine.scores.acc.score, 0, 'B reads its own');
  }));

  it('GET /v1/experiment/{id}/summarize matches the OpenAPI SummarizeExperimentResponse', withLogs(async () => {
    const projectUrl = `${url}/app/${encodeURIComponent(dep.orgName)}/p/${encodeURIComponent(A.project.name)}`;
    const meta = ok(await get(`/v1/experiment/${A.experiment.id}/summarize`));
    assertPathResponse('/v1/experiment/{experiment_id}/summarize', 'get', meta);
    assert.deepEqual(meta, {
      project_name: A.project.name,
      experiment_name: A.experiment.name,
      project_url: projectUrl,
      experiment_url: `${projectUrl}/experiments/${encodeURIComponent(A.experiment.name)}`,
    }, 'summarize_scores defaults to false: metadata only');

    const full = ok(await get(`/v1/experiment/${A.experiment.id}/summarize`, { summarize_scores: 'true', comparison_experiment_id: baseExp.id }));
    assertPathResponse('/v1/experiment/{experiment_id}/summarize', 'get', full);
    assert.equal(full.comparison_experiment_name, baseExp.name);
    const cmp = ok(await get('/experiment-comparison2', { experiment_id: A.experiment.id, base_experiment_id: baseExp.id }));
    assert.deepEqual(full.scores, cmp.scores);
    assert.deepEqual(full.metrics, cmp.metrics);

    const alone = ok(await get(`/v1/experiment/${A.experiment.id}/summarize`, { summarize_scores: 'true' }));
    assertPathResponse('/v1/experiment/{experiment_id}/summarize', 'get', alone);
    assert.equal(alone.comparison_experiment_name, null);
    for (const s of Object.values(alone.scores)) assert.ok(!('diff' in s));
  }));

  it('GET /v1/dataset/{id}/summarize matches the OpenAPI SummarizeDatasetResponse; total_records counts live rows', withLogs(async () => {
    const meta = ok(await get(`/v1/dataset/${A.dataset.id}/summarize`));
    assertPathResponse('/v1/dataset/{dataset_id}/summarize', 'get', meta);
    assert.equal(meta.dataset_name, A.dataset.name);
    assert.equal(meta.project_name, A.project.name);
    assert.ok(meta.dataset_url.endsWith(`/datasets/${encodeURIComponent(A.dataset.name)}`));
    assert.ok(!('data_summary' in meta));
    const full = ok(await get(`/v1/dataset/${A.dataset.id}/summarize`, { summarize_data: 'true' }));
    assertPathResponse('/v1/dataset/{dataset_id}/summarize', 'get', full);
    assert.deepEqual(full.data_summary, { total_records: 2 });
    // The SDK's own route agrees.
    assert.deepEqual(ok(await get('/dataset-summary', { dataset_id: A.dataset.id })), { total_records: 2 });
  }));

  it('a malformed --model-prices file stops the server at startup with a clear message', withLogs(async () => {
    const bad = path.join(tmp, 'bad-prices.json');
    fs.writeFileSync(bad, JSON.stringify({ 'my-model': { input: -1, output: 2 } }));
    await assert.rejects(startServe({ extraArgs: ['--model-prices', bad] }), /'my-model'\.input must not be negative/);
    await assert.rejects(startServe({ extraArgs: ['--model-prices', path.join(tmp, 'missing.json')] }), /--model-prices: cannot read/);
  }));
});

describe('summaries on a split data plane', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  after(async () => {
    await dep?.stop();
  });

  it('the data plane answers the summary routes itself (not the control-plane proxy)', withLogs(async () => {
    dep = await startSplit();
    const url = dep.dataUrl;
    const key = dep.apiKey;
    const objs = await makeObjects(url, key, 'summary-split');
    await insertRows(url, key, 'experiment', objs.experiment.id, CURRENT.flat());
    const cmp = ok(await api(url, '/experiment-comparison2', { key, query: { experiment_id: objs.experiment.id } }));
    near(cmp.scores.acc.score, mean([1, 0, 0.5]), 'acc');
    const sum = ok(await api(url, `/v1/experiment/${objs.experiment.id}/summarize`, { key, query: { summarize_scores: true } }));
    assertPathResponse('/v1/experiment/{experiment_id}/summarize', 'get', sum);
    assert.equal(sum.experiment_name, objs.experiment.name);
    // Links point at the web app, which the control plane serves: by default its URL.
    assert.ok(sum.experiment_url.startsWith(`${dep.controlUrl}/app/`), sum.experiment_url);
    assert.deepEqual(sum.scores, cmp.scores);
    const ds = ok(await api(url, `/v1/dataset/${objs.dataset.id}/summarize`, { key, query: { summarize_data: true } }));
    assert.deepEqual(ds.data_summary, { total_records: 0 });
  }));
});

describe('the links summaries return (--app-public-url)', { skip: SKIP_NO_BINARY }, () => {
  const deps = [];
  after(async () => {
    for (const d of deps) await d.stop();
  });

  async function experimentUrl(dep) {
    const objs = await makeObjects(dep.url, dep.apiKey, 'summary-links');
    const sum = ok(await api(dep.url, `/v1/experiment/${objs.experiment.id}/summarize`, { key: dep.apiKey }));
    return { sum, objs };
  }

  it('--app-public-url is the base of project and experiment links (a trailing / dropped)', withLogs(async () => {
    const dep = await startServe({ extraArgs: ['--app-public-url', 'https://app.example.test:8443/'] });
    deps.push(dep);
    const { sum, objs } = await experimentUrl(dep);
    const project = `https://app.example.test:8443/app/${encodeURIComponent(dep.orgName)}/p/${encodeURIComponent(objs.project.name)}`;
    assert.equal(sum.project_url, project);
    assert.equal(sum.experiment_url, `${project}/experiments/${encodeURIComponent(objs.experiment.name)}`);
  }));

  it('BRAINTRUST_APP_PUBLIC_URL is read when the flag and TRACEVAULT_APP_PUBLIC_URL are not set', withLogs(async () => {
    const dep = await startServe({ env: { BRAINTRUST_APP_PUBLIC_URL: 'http://bt-app.example.test' } });
    deps.push(dep);
    const { sum } = await experimentUrl(dep);
    assert.ok(sum.experiment_url.startsWith('http://bt-app.example.test/app/'), sum.experiment_url);
  }));

  it('TRACEVAULT_APP_PUBLIC_URL wins over BRAINTRUST_APP_PUBLIC_URL', withLogs(async () => {
    const dep = await startServe({
      env: { TRACEVAULT_APP_PUBLIC_URL: 'http://tv-app.example.test', BRAINTRUST_APP_PUBLIC_URL: 'http://bt-app.example.test' },
    });
    deps.push(dep);
    const { sum } = await experimentUrl(dep);
    assert.ok(sum.experiment_url.startsWith('http://tv-app.example.test/app/'), sum.experiment_url);
  }));

  it('without any, serve links to its own public URL', withLogs(async () => {
    const dep = await startServe();
    deps.push(dep);
    const { sum } = await experimentUrl(dep);
    assert.ok(sum.experiment_url.startsWith(`${dep.url}/app/`), sum.experiment_url);
  }));
});
