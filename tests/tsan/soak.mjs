// Concurrent soak for the ThreadSanitizer build (`make tsan`): one server, for
// SOAK_SECONDS (default 120), with
//   * writers posting batches to /logs3 (an experiment and the project's logs),
//   * readers running /btql queries and /v1/.../fetch on both objects,
//   * a compactor calling POST /v1/admin/compact over and over, while the
//     background compactor folds every few hundred rows too;
// then a graceful stop. Fails when the server wrote a TSan report (or died),
// when a request got an unexpected answer, or when an acknowledged row is not
// readable at the end.
//
// Usage: TRACEVAULT_BIN=build-tsan/bin/tracevault node tsan/soak.mjs [--writers N] [--readers N]
// Prints one progress line every 10 s and a final JSON report; exits 1 on failure.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import { api, ok } from '../lib/http.mjs';
import { btql, btqlAll, makeObjects } from '../lib/rows.mjs';
import { makeTmpDir, sleep, startServe } from '../lib/server.mjs';
import { assertNoTsanReports, tsanEnv, tsanReportDir } from '../lib/tsan.mjs';

const { values: opt } = parseArgs({
  options: {
    writers: { type: 'string', default: '4' },
    readers: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const WRITERS = Number(opt.writers);
const READERS = Number(opt.readers);
// A TSan-built server is slow: a busy answer (429/503) is back-pressure, not a fault.
const BUSY = new Set([429, 503]);

const counts = { writes: 0, acked_rows: 0, reads: 0, compactions: 0, busy: 0 };
const acked = new Set(); // experiment row ids acknowledged by /logs3

function check(res, what) {
  if (BUSY.has(res.status)) {
    counts.busy++;
    return false;
  }
  assert.equal(res.status, 200, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  return true;
}

async function writer(dep, objs, w, until) {
  for (let seq = 0; Date.now() < until; seq++) {
    const root = `w${w}-${seq}-${crypto.randomBytes(3).toString('hex')}`;
    const n = 1 + Math.floor(Math.random() * 10);
    const rows = [];
    for (let i = 0; i < n; i++) {
      const id = `${root}-${i}`;
      const common = { id, span_id: id, root_span_id: root, input: { q: `question ${seq} ${i}` }, output: `answer ${i}` };
      if (i % 2 === 0) rows.push({ ...common, experiment_id: objs.experiment.id, scores: { acc: Math.random() } });
      else rows.push({ ...common, project_id: objs.project.id, log_id: 'g', metadata: { writer: w } });
    }
    const res = await api(dep.dataUrl, '/logs3', { key: dep.apiKey, body: { rows, api_version: 2 } });
    if (!check(res, `writer ${w} /logs3`)) continue;
    counts.writes++;
    counts.acked_rows += rows.length;
    for (const r of rows) if (r.experiment_id) acked.add(r.id);
  }
}

async function reader(dep, objs, r, until) {
  const E = objs.experiment.id;
  const P = objs.project.id;
  const queries = [
    `select: * | from: experiment('${E}') | limit: 50`,
    `select: * | from: experiment('${E}') | filter: scores.acc > 0.5 | limit: 20`,
    `select: * | from: project_logs('${P}') | filter: metadata.writer = ${r % Math.max(1, WRITERS)} | limit: 20`,
    `select: * | from: experiment('${E}') | filter: input.q MATCH 'question' | limit: 10`,
  ];
  for (let i = 0; Date.now() < until; i++) {
    const q = queries[i % queries.length];
    check(await btql(dep.dataUrl, dep.apiKey, q), `reader ${r} btql`);
    const path = i % 2 ? `/v1/experiment/${E}/fetch` : `/v1/project_logs/${P}/fetch`;
    check(await api(dep.dataUrl, path, { key: dep.apiKey, query: { limit: 20 } }), `reader ${r} fetch`);
    counts.reads += 2;
  }
}

async function compactor(dep, until) {
  while (Date.now() < until) {
    const res = await api(dep.dataUrl, '/v1/admin/compact', { key: dep.apiKey, body: { wait: true } });
    if (check(res, 'POST /v1/admin/compact')) counts.compactions++;
    await sleep(200);
  }
}

async function main() {
  // Reports land in TV_TSAN_REPORT_DIR (scripts/tsan.sh), else in a temp dir of our own.
  const reportDir = tsanReportDir() ?? makeTmpDir('tracevault-tsan-');
  const extraArgs = ['--no-access-log', '--compact-fold-rows', '200', '--compact-fold-age-s', '0', '--gc-grace-s', '0'];
  const dep = await startServe({ extraArgs, env: tsanEnv(reportDir), name: 'soak' });
  const started = Date.now();
  let report;
  try {
    const objs = await makeObjects(dep.dataUrl, dep.apiKey, 'soak');
    const until = started + SECONDS * 1000;
    const progress = setInterval(() => {
      console.log(`${Math.round((Date.now() - started) / 1000)}s: ${JSON.stringify(counts)}`);
    }, 10_000);
    try {
      await Promise.all([
        ...Array.from({ length: WRITERS }, (_, w) => writer(dep, objs, w, until)),
        ...Array.from({ length: READERS }, (_, r) => reader(dep, objs, r, until)),
        compactor(dep, until),
      ]);
    } finally {
      clearInterval(progress);
    }
    ok(await api(dep.dataUrl, '/v1/admin/compact', { key: dep.apiKey, body: { wait: true } }), 'final compaction');
    const { rows } = await btqlAll(dep.dataUrl, dep.apiKey, 'experiment', objs.experiment.id, { limit: 1000 });
    const seen = new Set(rows.map((r) => r.id));
    const missing = [...acked].filter((id) => !seen.has(id));
    assert.equal(missing.length, 0, `acknowledged rows not readable: ${missing.slice(0, 10).join(', ')}`);
    report = { seconds: Math.round((Date.now() - started) / 1000), ...counts, experiment_rows: seen.size };
  } finally {
    // A report explains a failure better than what followed it (a refused
    // connection, a server that died before stop()), so it is checked first.
    let stopError;
    try {
      await dep.stop();
    } catch (e) {
      stopError = e;
    }
    assertNoTsanReports('soak', reportDir);
    if (stopError) throw stopError;
  }
  assert.ok(counts.writes > 0 && counts.reads > 0 && counts.compactions > 0, `the soak did too little: ${JSON.stringify(counts)}`);
  console.log(JSON.stringify(report));
}

await main();
