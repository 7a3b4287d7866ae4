// The official braintrust SDK's summaries against `tracevault serve`:
// experiment.summarize() (GET /experiment-comparison2, /api/base_experiment/get_id,
// GET /v1/experiment/{id}), and Eval() over a dataset with two scorers, then a
// second Eval over the first through BaseExperiment(), with the comparison
// numbers the SDK prints and returns checked against values computed here
// from the data. Eval writes scores only on scorer child spans, so these only
// pass when summaries aggregate each trace's spans.
import assert from 'node:assert/strict';
import { sdkSandbox } from '../lib/sdk-sandbox.mjs';
import { after, before, describe, it } from 'node:test';
import * as bt from 'braintrust';
import { SKIP_NO_BINARY, sleep, startServe, uniqueName, withLogs } from '../lib/server.mjs';
import { api, ok, recordingFetch } from '../lib/http.mjs';

const TICK = 15;

const near = (actual, expected, what) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, want ${expected}`);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

// The dataset: expected answers; task one doubles, task two doubles and adds
// one to even numbers (right for even n, and deliberately wrong for n = 1).
const ROWS = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ input: { n }, expected: n % 2 === 0 ? 2 * n + 1 : 2 * n }));
const taskOne = (input) => 2 * input.n;
const taskTwo = (input) => (input.n === 1 ? 0 : input.n % 2 === 0 ? 2 * input.n + 1 : 2 * input.n);

// Scorers: named functions (the SDK takes the score name from the function).
function exact({ output, expected }) {
  return output === expected ? 1 : 0;
}
function closeness({ input, output, expected }) {
  if (input.n % 3 === 0) return null; // not scored for these rows
  return 1 / (1 + Math.abs(output - expected));
}
const SCORERS = { exact, closeness };

// What the server should answer, computed from the data: per score, the mean
// over rows that have it, and per row the change against the same input.
function expectedScores(task, baseTask) {
  const out = {};
  for (const [name, scorer] of Object.entries(SCORERS)) {
    const cur = [];
    const base = [];
    let improvements = 0;
    let regressions = 0;
    for (const row of ROWS) {
      const c = scorer({ ...row, output: task(row.input) });
      const b = baseTask ? scorer({ ...row, output: baseTask(row.input) }) : null;
      if (c !== null) cur.push(c);
      if (b !== null) base.push(b);
      if (c !== null && b !== null && c > b) improvements++;
      if (c !== null && b !== null && c < b) regressions++;
    }
    out[name] = { name, score: mean(cur), improvements, regressions, ...(baseTask ? { diff: mean(cur) - mean(base) } : {}) };
  }
  return out;
}

function assertScores(actual, expected, what) {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: score names`);
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    assert.equal(a.name, name);
    near(a.score, e.score, `${what} ${name}.score`);
    assert.equal(a.improvements, e.improvements, `${what} ${name}.improvements`);
    assert.equal(a.regressions, e.regressions, `${what} ${name}.regressions`);
    if ('diff' in e) near(a.diff, e.diff, `${what} ${name}.diff`);
    else assert.ok(!('diff' in a), `${what} ${name}: no diff without a base`);
  }
}

// Runs `fn` with process.stdout captured (the default reporter prints there).
async function captureStdout(fn) {
  const write = process.stdout.write;
  let text = '';
  process.stdout.write = (chunk, ...rest) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const cb = rest.find((x) => typeof x === 'function');
    if (cb) cb();
    return true;
  };
  try {
    const value = await fn();
    return { value, text };
  } finally {
    process.stdout.write = write;
  }
}

// The reporter's comparison line: name, value, change, improvements, regressions.
function printedRow(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no printed line for ${name} in:\n${text}`);
  return line.trim().split(/\s+/);
}
const pct = (x) => `${(x * 100).toFixed(2)}%`;
const signedPct = (x) => `${x > 0 ? '+' : ''}${pct(x)}`;
const count = (n) => (n > 0 ? String(n) : '-');

describe('braintrust SDK summaries and Eval against tracevault serve', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let appUrl;
  let key;
  let state;
  const calls = [];
  const sandbox = sdkSandbox('sdk-eval');
  const recFetch = recordingFetch(calls);
  const callsTo = (path) => calls.filter((c) => c.path === path);

  before(async () => {
    sandbox.enter();
    dep = await startServe();
    appUrl = dep.appUrl;
    key = dep.apiKey;
    state = await bt.loginToState({ appUrl, apiKey: key, orgName: dep.orgName, fetch: recFetch });
  });
  after(async () => {
    sandbox.leave();
    await dep?.stop();
  });

  it('experiment.summarize(): scores and metrics of logged rows, with and without a comparison', withLogs(async () => {
    const project = uniqueName('sdk-sum-proj');
    const first = bt.init(project, { experiment: 'first', state, setCurrent: false });
    const firstRows = [
      { input: 'a', output: 'x', scores: { acc: 1 }, metrics: { prompt_tokens: 10, completion_tokens: 4 } },
      { input: 'b', output: 'y', scores: { acc: 0 }, metrics: { prompt_tokens: 20, completion_tokens: 6 } },
      { input: 'c', output: 'z', scores: { acc: 0.5 } },
    ];
    for (const r of firstRows) first.log(r);
    const s1 = await first.summarize();
    assert.equal(s1.experimentName, 'first');
    assert.equal(s1.projectName, project);
    assert.equal(s1.comparisonExperimentName, undefined, 'the first experiment of a project has no base');
    assertScores(s1.scores, { acc: { name: 'acc', score: 0.5, improvements: 0, regressions: 0 } }, 'first');
    near(s1.metrics.prompt_tokens.metric, 15, 'prompt_tokens: mean over the traces that have it');
    assert.equal(s1.metrics.prompt_tokens.unit, 'tok');
    near(s1.metrics.completion_tokens.metric, 5, 'completion_tokens');
    assert.equal(s1.metrics.duration.unit, 's');
    assert.ok(s1.metrics.duration.metric >= 0);
    assert.ok(callsTo('/experiment-comparison2').every((c) => c.status === 200));
    await sleep(TICK);

    // A second experiment in the project: its base is the first (newest earlier one).
    const second = bt.init(project, { experiment: 'second', state, setCurrent: false });
    second.log({ input: 'a', output: 'x', scores: { acc: 0 } }); // down
    second.log({ input: 'b', output: 'y', scores: { acc: 1 } }); // up
    second.log({ input: 'c', output: 'z', scores: { acc: 1 } }); // up
    second.log({ input: 'new', output: 'n', scores: { acc: 1 } }); // unmatched
    const s2 = await second.summarize();
    assert.equal(s2.comparisonExperimentName, 'first');
    assertScores(s2.scores, { acc: { name: 'acc', score: 0.75, diff: 0.75 - 0.5, improvements: 2, regressions: 1 } }, 'second');

    // An explicit comparison id, and summarizeScores:false.
    const s3 = await first.summarize({ comparisonExperimentId: await second.id });
    assert.equal(s3.comparisonExperimentName, 'second');
    assertScores(s3.scores, { acc: { name: 'acc', score: 0.5, diff: 0.5 - 0.75, improvements: 1, regressions: 2 } }, 'first vs second');
    const s4 = await first.summarize({ summarizeScores: false });
    assert.deepEqual(s4.scores, {});
  }));

  it('Eval() over a dataset with two scorers, then again over BaseExperiment(): printed and returned comparisons', withLogs(async () => {
    const project = uniqueName('sdk-eval-proj');
    const ds = bt.initDataset(project, { dataset: 'numbers', state });
    for (const r of ROWS) ds.insert(r);
    await ds.flush();
    const dsSummary = await ds.summarize();
    assert.equal(dsSummary.dataSummary.totalRecords, ROWS.length);

    const one = await captureStdout(() => bt.Eval(project, {
      data: ds, task: taskOne, scores: [exact, closeness], experimentName: 'eval-one', state,
    }, { progress: { start() {}, stop() {}, increment() {}, setTotal() {} } }));
    const sum1 = one.value.summary;
    assert.equal(sum1.experimentName, 'eval-one');
    assert.equal(sum1.comparisonExperimentName, undefined);
    assertScores(sum1.scores, expectedScores(taskOne, null), 'eval-one');
    assert.equal(sum1.metrics.duration.unit, 's');
    assert.equal(one.value.results.length, ROWS.length);
    assert.ok(one.value.results.some((r) => typeof r.scores?.closeness !== 'number'), 'some rows unscored by closeness');
    assert.match(one.text, /Experiment summary/);
    const printedExact = printedRow(one.text, 'exact');
    assert.deepEqual(printedExact, ['exact', pct(sum1.scores.exact.score)]);
    await sleep(TICK);

    const two = await captureStdout(() => bt.Eval(project, {
      data: bt.BaseExperiment({ name: 'eval-one' }), task: taskTwo, scores: [exact, closeness], experimentName: 'eval-two', state,
    }, { progress: { start() {}, stop() {}, increment() {}, setTotal() {} } }));
    const sum2 = two.value.summary;
    assert.equal(sum2.experimentName, 'eval-two');
    assert.equal(sum2.comparisonExperimentName, 'eval-one', 'BaseExperiment({name}) is the comparison');
    assert.equal(two.value.results.length, ROWS.length, 'BaseExperiment() yields one datum per root');
    const want = expectedScores(taskTwo, taskOne);
    assert.ok(want.exact.improvements > 0 && want.exact.regressions > 0, 'the data exercises both directions');
    assertScores(sum2.scores, want, 'eval-two vs eval-one');

    // What the default reporter printed.
    assert.match(two.text, /eval-one \(baseline\) <- eval-two \(comparison\)/);
    for (const name of ['exact', 'closeness']) {
      const s = want[name];
      assert.deepEqual(printedRow(two.text, name),
        [name, pct(s.score), signedPct(s.diff), count(s.improvements), count(s.regressions)], `printed ${name}`);
    }
    const durationRow = printedRow(two.text, 'duration');
    assert.match(durationRow[1], /^\d+(\.\d+)?s$/, `duration printed in seconds: ${durationRow}`);

    // The REST summary of the same pair agrees with what the SDK returned.
    const rest = ok(await api(dep.dataUrl, `/v1/experiment/${sum2.experimentId}/summarize`, {
      key, query: { summarize_scores: true, comparison_experiment_id: sum1.experimentId },
    }));
    assert.equal(rest.comparison_experiment_name, 'eval-one');
    assert.deepEqual(rest.scores, sum2.scores);
  }));
});
