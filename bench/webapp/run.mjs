// bench/webapp/run.sh's driver (read its header). Prints one report.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { repoRoot, startServe } from '../../tests/lib/server.mjs';
import { api, ok } from '../../tests/lib/http.mjs';

// playwright-core is a test dependency (tests/node_modules).
const { chromium } = createRequire(path.join(repoRoot, 'tests', 'package.json'))('playwright-core');

const RUNS = Number(process.env.RUNS ?? 7);
const ROWS = 10_000;
const SPANS = 10_000;
const LOGS = 10_000; // one-span traces in the project's logs, beside the big trace
const CHROMIUM = process.env.TRACEVAULT_CHROMIUM ?? '/usr/bin/chromium';
const PGURL = process.env.PGURL;

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const fmt = (xs) => `p50 ${pct(xs, 0.5).toFixed(0)} ms, p95 ${pct(xs, 0.95).toFixed(0)} ms`;

// --- the corpus: one experiment of 10,000 one-span traces, one 10,000-span trace in the project's logs
function experimentRow(i, experimentId) {
  const id = `row-${String(i).padStart(5, '0')}`;
  const t = 1_700_000_000 + i;
  return {
    id,
    span_id: id,
    root_span_id: id,
    experiment_id: experimentId,
    created: new Date(t * 1000).toISOString(),
    input: { question: `What is ${i} plus ${i}?`, context: 'x'.repeat(200) },
    output: `The answer is ${2 * i}. ${'words '.repeat(30)}`,
    expected: String(2 * i),
    scores: { accuracy: (i % 10) / 10, relevance: (i % 7) / 7 },
    metrics: { start: t, end: t + 0.5 + (i % 5) / 10, prompt_tokens: 100 + (i % 50), completion_tokens: 20 },
    span_attributes: { name: 'eval', type: 'eval' },
  };
}

// A production log line: a one-span trace in the project's logs.
function logRow(i, projectId) {
  const id = `log-${String(i).padStart(5, '0')}`;
  const t = 1_700_100_000 + i;
  return {
    id,
    span_id: id,
    root_span_id: id,
    project_id: projectId,
    log_id: 'g',
    created: new Date(t * 1000).toISOString(),
    input: { question: `request ${i}`, user: `u${i % 97}` },
    output: `reply ${i} ${'text '.repeat(20)}`,
    scores: { helpful: (i % 4) / 4 },
    metrics: { start: t, end: t + 0.2, prompt_tokens: 50, completion_tokens: 30 },
    span_attributes: { name: 'handle-request', type: 'task' },
  };
}

function traceSpan(i, projectId) {
  const root = 'trace-root';
  const id = i === 0 ? root : `span-${String(i).padStart(5, '0')}`;
  const t = 1_700_000_000 + i / 1000;
  return {
    id,
    span_id: id,
    root_span_id: root,
    span_parents: i === 0 ? undefined : [i < 100 ? root : `span-${String(1 + (i % 99)).padStart(5, '0')}`],
    project_id: projectId,
    log_id: 'g',
    created: new Date(t * 1000).toISOString(),
    input: { step: i },
    output: { text: `step ${i} done` },
    metrics: { start: t, end: t + 0.01 },
    span_attributes: { name: id, type: i % 3 === 0 ? 'llm' : 'task' },
  };
}

async function insert(dep, rows) {
  for (let i = 0; i < rows.length; i += 2000) {
    ok(await api(dep.url, '/logs3', { key: dep.apiKey, body: { rows: rows.slice(i, i + 2000), api_version: 2 } }));
  }
}

function loadPeer(rows) {
  if (!PGURL) return;
  const file = path.join(fs.mkdtempSync('/tmp/webbench-'), 'rows.tsv');
  const esc = (s) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
  fs.writeFileSync(file, rows.map((r) => [r.id, r.root_span_id, r.created, esc(JSON.stringify(r))].join('\t')).join('\n') + '\n');
  execFileSync('psql', ['-qX', PGURL, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy spans FROM '${file}'`, '-c', 'ANALYZE spans']);
  fs.rmSync(path.dirname(file), { recursive: true });
}

// Each query RUNS times in one psql session; the server-side times \timing prints.
function peerTimes(sql) {
  if (!PGURL) return null;
  const script = ['\\timing on', ...Array.from({ length: RUNS }, () => sql)].join('\n');
  const out = execFileSync('psql', ['-qX', PGURL, '-o', '/dev/null'], { input: script, encoding: 'utf8' });
  return [...out.matchAll(/Time: ([\d.]+) ms/g)].map((m) => Number(m[1]));
}

async function btqlTimes(dep, query) {
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    ok(await api(dep.url, '/btql', { key: dep.apiKey, body: { query, fmt: 'json' }, validate: false }));
    ms.push(performance.now() - t0);
  }
  return ms;
}

// --- the browser
async function signedInState(browser, dep) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${dep.url}/app/signin`);
  await page.getByLabel('Email').fill(dep.userEmail);
  await page.getByLabel('Password').fill(dep.userPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/app/signin'));
  const state = await ctx.storageState();
  await ctx.close();
  return state;
}

async function timePage(browser, state, url, ready, runs) {
  const cold = [];
  const warm = [];
  const after = [];
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext({ storageState: state });
    const page = await ctx.newPage();
    let t0 = performance.now();
    await page.goto(url);
    await ready.first(page);
    cold.push(performance.now() - t0);
    if (ready.then) {
      t0 = performance.now();
      await ready.then(page);
      after.push(performance.now() - t0);
    }
    t0 = performance.now();
    await page.reload();
    await ready.first(page);
    warm.push(performance.now() - t0);
    await ctx.close();
  }
  return { cold, warm, after };
}

function bundle() {
  const dir = path.join(repoRoot, 'web', 'dist', 'assets');
  let raw = 0;
  let gz = 0;
  for (const f of fs.readdirSync(dir)) {
    const b = fs.readFileSync(path.join(dir, f));
    raw += b.length;
    gz += zlib.gzipSync(b, { level: 9 }).length;
  }
  return { raw, gz };
}

const dep = await startServe({ extraArgs: ['--no-access-log'] });
try {
  const project = (await api(dep.url, '/v1/project', { key: dep.apiKey, body: { name: 'webbench' } })).json;
  const experiment = (
    await api(dep.url, '/v1/experiment', { key: dep.apiKey, body: { project_id: project.id, name: 'ten-thousand' } })
  ).json;
  const expRows = Array.from({ length: ROWS }, (_, i) => experimentRow(i, experiment.id));
  const spans = Array.from({ length: SPANS }, (_, i) => traceSpan(i, project.id));
  const logs = Array.from({ length: LOGS }, (_, i) => logRow(i, project.id));
  await insert(dep, expRows);
  await insert(dep, spans);
  await insert(dep, logs);
  loadPeer([...expRows, ...spans, ...logs]);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const state = await signedInState(browser, dep);
  const org = encodeURIComponent(dep.orgName);
  const expUrl = `${dep.url}/app/${org}/p/webbench/experiments/ten-thousand`;
  const traceUrl = `${dep.url}/app/${org}/p/webbench/trace/project_logs/${project.id}/trace-root`;
  const firstRow = { first: (p) => p.locator('[role=grid][aria-label="Rows"] [role=row][aria-rowindex="2"]').waitFor() };
  const tree = (p) => p.locator('[role=tree][aria-label="Spans"] [role=treeitem]').first().waitFor();
  // In tree order the last span is span-09998 (the last child of span-00099).
  const lastSpan = async (p) => {
    await p.locator('[role=tree][aria-label="Spans"]').focus();
    await p.keyboard.press('End');
    await p.locator('[role=treeitem]', { hasText: 'span-09998' }).waitFor();
  };
  const logsUrl = `${dep.url}/app/${org}/p/webbench/logs`;
  const firstLog = { first: (p) => p.locator('[role=grid][aria-label="Logs"] [role=row][aria-rowindex="2"]').waitFor() };
  const expPage = await timePage(browser, state, expUrl, firstRow, RUNS);
  const logsPage = await timePage(browser, state, logsUrl, firstLog, RUNS);
  const tracePage = await timePage(browser, state, traceUrl, { first: tree, then: lastSpan }, RUNS);
  await browser.close();

  // What those pages ask first, on each side.
  const tvSummary = await btqlTimes(dep, `select: * | from: experiment('${experiment.id}') summary | limit: 100`);
  const tvTrace = await btqlTimes(
    dep,
    `select: id, span_id, span_parents, root_span_id, span_attributes, metrics, scores, created, error | from: project_logs('${project.id}') spans | filter: root_span_id = 'trace-root' | limit: 100000`,
  );
  // The Logs screen's first page (summary shape, newest first), and the same
  // newest-first read over spans with an explicit sort.
  const tvLogs = await btqlTimes(dep, `select: * | from: project_logs('${project.id}') summary | limit: 100`);
  const tvLogSpans = await btqlTimes(
    dep,
    `select: * | from: project_logs('${project.id}') spans | sort: created desc | limit: 100`,
  );
  const pgLogs = peerTimes(
    `SELECT root_span_id, max(created) AS created, avg((row->'scores'->>'helpful')::float8) AS helpful, left(min(row->>'input'), 124) AS input, left(min(row->>'output'), 124) AS output FROM spans WHERE row->>'project_id' = '${project.id}' GROUP BY root_span_id ORDER BY created DESC LIMIT 100;`,
  );
  const pgLogSpans = peerTimes(
    `SELECT row FROM spans WHERE row->>'project_id' = '${project.id}' ORDER BY created DESC LIMIT 100;`,
  );
  const pgSummary = peerTimes(
    `SELECT root_span_id, min(created) AS created, avg((row->'scores'->>'accuracy')::float8) AS accuracy, avg((row->'scores'->>'relevance')::float8) AS relevance, max((row->'metrics'->>'end')::float8) - min((row->'metrics'->>'start')::float8) AS duration, left(min(row->>'input'), 124) AS input, left(min(row->>'output'), 124) AS output FROM spans WHERE row->>'experiment_id' = '${experiment.id}' GROUP BY root_span_id ORDER BY created DESC LIMIT 100;`,
  );
  const pgTrace = peerTimes(
    `SELECT id, row->'span_parents', row->'span_attributes', row->'metrics', row->'scores', created FROM spans WHERE root_span_id = 'trace-root' LIMIT 100000;`,
  );
  const size = bundle();

  console.log(`\nweb app bench: ${ROWS} experiment rows, a ${SPANS}-span trace and ${LOGS} log traces, ${RUNS} runs each`);
  console.log(`  experiment page, first rows shown   cold ${fmt(expPage.cold)} | warm ${fmt(expPage.warm)}`);
  console.log(`  logs page, first rows shown         cold ${fmt(logsPage.cold)} | warm ${fmt(logsPage.warm)}`);
  console.log(`  10,000-span trace, tree shown       cold ${fmt(tracePage.cold)} | warm ${fmt(tracePage.warm)}`);
  console.log(`  10,000-span trace, End → last span  ${fmt(tracePage.after)}`);
  console.log(`  bundle: ${(size.raw / 1024).toFixed(0)} KiB raw, ${(size.gz / 1024).toFixed(0)} KiB gzip`);
  console.log(`  first reads (HTTP round trip for tracevault; server time for PostgreSQL):`);
  const line = (name, tv, pg) =>
    console.log(
      `    ${name.padEnd(34)} tracevault ${fmt(tv)}` +
        (pg ? ` | PostgreSQL ${fmt(pg)} | ratio p50 ${(pct(tv, 0.5) / pct(pg, 0.5)).toFixed(2)}` : ''),
    );
  line('experiment summary, first 100', tvSummary, pgSummary);
  line('trace, 10,000 spans without payloads', tvTrace, pgTrace);
  line('logs, newest 100 traces (summary)', tvLogs, pgLogs);
  line('logs, newest 100 spans (sort created)', tvLogSpans, pgLogSpans);
} finally {
  await dep.stop();
}
