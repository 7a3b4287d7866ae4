// Crash suite: concurrent ingest through POST /logs3, kill -9 at a random
// moment, restart on the same data directory, and check that
//   * every acknowledged batch is present, row for row, byte for byte;
//   * no batch is half applied (every batch is all there or not there at all);
//   * no row appears twice.
// Optionally with object-store faults injected (TRACEVAULT_OBJECT_STORE_FAULTS).
// Compaction runs all the time (a fold every few hundred rows, no grace
// period for superseded objects), so kills land during compactions and
// merges too; the report counts the segments on disk.
//
// Usage: node crash/crash.mjs [--cycles N] [--faults SPEC] [--writers N]
// Prints one summary line per cycle and a final JSON report; exits 1 on loss.
// Under `make tsan` (TV_TSAN_REPORT_DIR set) the server writes ThreadSanitizer
// reports there and exits at the first: a server that died of a report rather
// than of its kill -9, or any report file, fails the run too.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startServe, sleep } from '../lib/server.mjs';
import { TSAN_EXIT_CODE, assertNoTsanReports, tsanEnv } from '../lib/tsan.mjs';

const { values: opt } = parseArgs({
  options: {
    cycles: { type: 'string', default: '5' },
    writers: { type: 'string', default: '8' },
    faults: { type: 'string', default: '' },
    'min-ms': { type: 'string', default: '300' },
    'max-ms': { type: 'string', default: '1500' },
  },
});
const CYCLES = Number(opt.cycles);
const WRITERS = Number(opt.writers);
const MIN_MS = Number(opt['min-ms']);
const MAX_MS = Number(opt['max-ms']);

const batches = new Map(); // batch id → {rows: [{id, payload}], acked}

function makeBatch(writer, seq) {
  const batchId = `${writer}-${seq}-${crypto.randomBytes(3).toString('hex')}`;
  const n = 1 + Math.floor(Math.random() * 20);
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({ id: `${batchId}-${i}`, payload: crypto.randomBytes(16 + Math.floor(Math.random() * 200)).toString('base64') });
  }
  return { batchId, rows, acked: false };
}

async function post(url, key, path, body) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function writer(dep, projectId, w, stop) {
  let seq = 0;
  while (!stop.now) {
    const b = makeBatch(w, seq++);
    batches.set(b.batchId, b);
    const rows = b.rows.map((r) => ({
      id: r.id,
      project_id: projectId,
      log_id: 'g',
      span_id: r.id,
      root_span_id: b.batchId,
      input: { payload: r.payload },
      metadata: { batch: b.batchId },
    }));
    try {
      const res = await post(dep.url, dep.apiKey, '/logs3', { rows, api_version: 2 });
      if (res.status === 200) b.acked = true;
    } catch {
      // connection refused / reset: the outcome of this batch is unknown
      return;
    }
  }
}

async function readAll(dep, projectId) {
  const seen = new Map();
  let cursor;
  for (let page = 0; page < 10000; page++) {
    const query = {
      select: [{ op: 'star' }],
      from: { op: 'function', name: { op: 'ident', name: ['project_logs'] }, args: [{ op: 'literal', value: projectId }] },
      limit: 10000,
    };
    if (cursor) query.cursor = cursor;
    const res = await post(dep.url, dep.apiKey, '/btql', { query });
    assert.equal(res.status, 200, `btql read failed: ${res.text.slice(0, 300)}`);
    const body = JSON.parse(res.text);
    for (const row of body.data) {
      assert.ok(!seen.has(row.id), `row ${row.id} returned twice`);
      seen.set(row.id, row);
    }
    if (!body.cursor) break;
    cursor = body.cursor;
  }
  return seen;
}

function verify(seen) {
  let ackedRows = 0, lost = 0, half = 0, present = 0, corrupt = 0;
  for (const b of batches.values()) {
    const here = b.rows.filter((r) => seen.has(r.id));
    if (b.acked) ackedRows += b.rows.length;
    if (here.length > 0) present++;
    if (here.length !== 0 && here.length !== b.rows.length) half++;
    if (b.acked && here.length !== b.rows.length) lost += b.rows.length - here.length;
    for (const r of here) if (seen.get(r.id).input?.payload !== r.payload) corrupt++;
  }
  return { ackedRows, lost, half, present, corrupt };
}

async function main() {
  const env = { ...(opt.faults ? { TRACEVAULT_OBJECT_STORE_FAULTS: opt.faults } : {}), ...tsanEnv() };
  // Short commit deadline under faults so a stuck commit meets the kill too.
  const extraArgs = ['--no-access-log', '--commit-deadline-ms', opt.faults ? '3000' : '20000',
    '--compact-fold-rows', '300', '--compact-fold-age-s', '0', '--gc-grace-s', '0'];
  let dep = await startServe({ env, extraArgs });
  const dataDir = dep.dataDir, tmpDir = dep.tmpDir, apiKey = dep.apiKey;
  const reg = await post(dep.url, apiKey, '/api/project/register', { project_name: `crash-${Date.now()}` });
  const projectId = JSON.parse(reg.text).project.id;
  let totalAcked = 0;
  const segmentFiles = () => {
    let n = 0;
    const walk = (d) => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.tvseg')) n++;
      }
    };
    walk(path.join(dataDir, 'data', 'objects', 'seg'));
    return n;
  };
  const report = { segments: 0, cycles: 0, batches: 0, acked_batches: 0, acked_rows: 0, lost_rows: 0, half_applied: 0, corrupt_rows: 0, faults: opt.faults || null };
  try {
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const stop = { now: false };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(dep, projectId, `c${cycle}w${w}`, stop));
      await sleep(MIN_MS + Math.random() * (MAX_MS - MIN_MS));
      const diedBefore = dep.proc.exited;
      dep.proc.signal('SIGKILL');
      await dep.proc.waitExit();
      if (diedBefore?.code === TSAN_EXIT_CODE) {
        assertNoTsanReports(`cycle ${cycle}: the server died before its kill`);
        throw new Error(`cycle ${cycle}: the server exited ${TSAN_EXIT_CODE} (a ThreadSanitizer report) before its kill`);
      }
      assertNoTsanReports(`cycle ${cycle}`);
      stop.now = true;
      await Promise.all(writers);
      dep = await startServe({ dataDir, tmpDir, apiKey, env, extraArgs, name: `serve-${cycle}` });
      const seen = await readAll(dep, projectId);
      const v = verify(seen);
      totalAcked = v.ackedRows;
      report.cycles = cycle;
      report.batches = batches.size;
      report.acked_batches = [...batches.values()].filter((b) => b.acked).length;
      report.acked_rows = v.ackedRows;
      report.lost_rows = v.lost;
      report.half_applied = v.half;
      report.corrupt_rows = v.corrupt;
      report.segments = segmentFiles();
      console.log(`cycle ${cycle}: batches ${batches.size}, acked rows ${v.ackedRows}, rows stored ${seen.size}, lost ${v.lost}, half-applied ${v.half}, corrupt ${v.corrupt}, segments ${report.segments}`);
      if (v.lost || v.half || v.corrupt) break;
    }
  } finally {
    await dep.stop();
  }
  assertNoTsanReports('after the last cycle');
  console.log(JSON.stringify(report));
  if (report.lost_rows || report.half_applied || report.corrupt_rows || totalAcked === 0) {
    console.error('crash suite FAILED');
    process.exit(1);
  }
}

await main();
