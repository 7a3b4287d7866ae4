// The wire promise for data already on disk: tests/fixtures/datadir-v1/ is a
// data directory written once by an earlier build (segments, an uncompacted
// WAL tail, garbage not yet swept, an attachment; README there). A copy of it
// must start and serve every row exactly as written below — the expected
// values are written here, not derived from the fixture — and keep working:
// new writes, compaction, history reads, the attachment.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { BIN, SKIP_NO_BINARY, makeTmpDir, startServe, testsRoot, withLogs } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { fetchAll, insertRows } from '../lib/rows.mjs';

const run = promisify(execFile);
const FIXTURE = path.join(testsRoot, 'fixtures', 'datadir-v1');
const KEY = 'sk-fixture-datadir-v1-000000000000000000';
const ORG = 'bbcc1443-55fe-4614-8c47-a4717dc0af50';
const PROJECT = '02cf7df8-41d6-4fcf-83ba-fc5989c2fdad';
const EXPERIMENT = '82d72c4a-4623-4ec5-a326-bc316a8d917a';
const DATASET = '72348906-c6b9-4446-b8be-a1944e03b272';

const EXPERIMENT_ROWS = [
  { _xact_id: '1000198339655368708', created: '2026-12-07T22:32:56.235860Z', experiment_id: EXPERIMENT, id: 'e4',
    input: { q: 'unicode ✓ 日本 😀' }, is_root: true, output: 'ok', project_id: PROJECT, scores: { exact: 1 } },
  { _xact_id: '1000198339655368708', created: '2026-12-07T22:32:56.141548Z', expected: 'Paris', experiment_id: EXPERIMENT,
    id: 'e2', input: { q: 'Capital of France?' }, is_root: true, metadata: { model: 'm1' }, output: 'Paris',
    project_id: PROJECT, scores: { exact: 1 } },
  { _xact_id: '1000198339655368705', created: '2026-12-07T22:32:56.141548Z', expected: '4', experiment_id: EXPERIMENT,
    id: 'e1', input: { q: 'What is 2+2?' }, is_root: true, metadata: { model: 'm1', reviewed: true, tags: ['a'] },
    output: '4', project_id: PROJECT, scores: { exact: 1, human: 0.5 } },
  { _xact_id: '1000198339655368704',
    attachment: { content_type: 'text/plain', filename: 'note.txt', key: 'fixture-attachment-key', type: 'braintrust_attachment' },
    created: '2026-12-07T22:32:56.141548Z', experiment_id: EXPERIMENT, id: 'e5', input: 'with attachment', is_root: true,
    output: 'ok', project_id: PROJECT },
];

const DATASET_ROWS = [
  { _xact_id: '1000198339655368709', created: '2026-12-07T22:32:56.246962Z', dataset_id: DATASET, expected: 'chien',
    id: 'd3', input: 'dog', is_root: true, project_id: PROJECT, root_span_id: 'd3', span_id: 'd3' },
  { _xact_id: '1000198339655368706', created: '2026-12-07T22:32:56.162062Z', dataset_id: DATASET, expected: 'chat',
    id: 'd2', input: 'cat', is_root: true, metadata: { pos: 'noun' }, project_id: PROJECT, root_span_id: 'd2', span_id: 'd2' },
  { _xact_id: '1000198339655368706', created: '2026-12-07T22:32:56.162062Z', dataset_id: DATASET, expected: 'bonjour',
    id: 'd1', input: 'hello', is_root: true, project_id: PROJECT, root_span_id: 'd1', span_id: 'd1', tags: ['greeting'] },
];

const LOG_ROWS = [
  { _xact_id: '1000198339655368707', created: '2026-12-07T22:32:56.165672Z', id: 'root', input: 'user asks', is_root: true,
    log_id: 'g', metadata: { user: 'u1' }, output: 'bot answers', project_id: PROJECT, root_span_id: 'root', span_id: 'root' },
  { _xact_id: '1000198339655368707', created: '2026-12-07T22:32:56.165672Z', id: 'child', input: 'llm call', is_root: false,
    log_id: 'g', metrics: { tokens: 12 }, output: 'llm says', project_id: PROJECT, root_span_id: 'root', span_id: 'child',
    span_parents: ['root'] },
];

// Rows in a stable order (fetch pages by trace, newest first).
const sorted = (rows) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));

describe('data dir v1 fixture', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    const tmpDir = makeTmpDir('tracevault-datadir-v1-');
    const dataDir = path.join(tmpDir, 'data');
    fs.cpSync(FIXTURE, dataDir, { recursive: true });
    fs.rmSync(path.join(dataDir, 'README.md'));
    fs.chmodSync(path.join(dataDir, 'control', 'secret.key'), 0o600);
    fs.chmodSync(path.join(dataDir, 'keys', 'master.key'), 0o600);
    dep = await startServe({ dataDir, tmpDir, apiKey: KEY, env: { TRACEVAULT_BACKGROUND_COMPACTION: 'false' } });
  });
  after(async () => {
    await dep?.stop();
  });

  const rows = async (type, id, opts) => (await fetchAll(dep.dataUrl, KEY, type, id, opts)).rows;

  it('serves every row exactly as written', withLogs(async () => {
    assert.deepEqual(sorted(await rows('experiment', EXPERIMENT)), sorted(EXPERIMENT_ROWS));
    assert.deepEqual(sorted(await rows('dataset', DATASET)), sorted(DATASET_ROWS));
    assert.deepEqual(sorted(await rows('project_logs', PROJECT)), sorted(LOG_ROWS));
  }));

  it('serves the history: the experiment as of an earlier transaction', withLogs(async () => {
    const past = sorted(await rows('experiment', EXPERIMENT, { version: '1000198339655368705' }));
    assert.deepEqual(past.map((r) => r.id), ['e1', 'e2', 'e5']);
    const e2 = past.find((r) => r.id === 'e2');
    assert.equal(e2.output, 'Lyon');
    assert.deepEqual(e2.scores, { exact: 0 });
    const first = sorted(await rows('experiment', EXPERIMENT, { version: '1000198339655368704' }));
    assert.deepEqual(first.map((r) => r.id), ['e1', 'e2', 'e3', 'e5']);  // e3 before its delete
  }));

  it('finds the names and the attachment', withLogs(async () => {
    const exp = ok(await api(dep.url, `/v1/experiment/${EXPERIMENT}`, { key: KEY }));
    assert.equal(exp.name, 'fixture-exp');
    assert.equal(exp.project_id, PROJECT);
    const ds = ok(await api(dep.url, `/v1/dataset/${DATASET}`, { key: KEY }));
    assert.equal(ds.name, 'fixture-ds');
    const att = ok(await api(dep.dataUrl, '/attachment', { key: KEY, query: { key: 'fixture-attachment-key', org_id: ORG } }));
    assert.equal(att.status.upload_status, 'done');
    const download = await fetch(att.downloadUrl);
    assert.equal(download.status, 200);
    assert.equal(await download.text(), 'fixture attachment bytes\n');
  }));

  it('takes new writes, compacts and still serves every row', withLogs(async () => {
    await insertRows(dep.dataUrl, KEY, 'experiment', EXPERIMENT, [{ id: 'e6', input: 'new', output: 'row' }]);
    await run(BIN, ['admin', 'compact', '--url', dep.dataUrl, '--api-key', KEY, '--wait']);
    const now = sorted(await rows('experiment', EXPERIMENT));
    assert.deepEqual(now.filter((r) => r.id !== 'e6'), sorted(EXPERIMENT_ROWS));
    const e6 = now.find((r) => r.id === 'e6');
    assert.equal(e6.input, 'new');
    assert.ok(e6._xact_id > '1000198339655368709', e6._xact_id);
    assert.deepEqual(sorted(await rows('dataset', DATASET)), sorted(DATASET_ROWS));
    assert.deepEqual(sorted(await rows('project_logs', PROJECT)), sorted(LOG_ROWS));
  }));
});
