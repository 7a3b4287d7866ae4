// Tenancy probe: keys of other orgs must not see or touch anything of org A.
//
// PROBES is the single table of id-taking endpoints; add rows here when new
// endpoints appear. Each row is called by two "denied" principals, which must
// be refused and must not see any of A's ids/names:
//   B: the admin of org B (created with `tracevault admin create-org` while serving);
//   C: a key of A's *own user* restricted to another org C (create-api-key --org-name C);
// and then with A's key (control: must succeed; deletes run last).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, randomSuffix, sleep, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, ok } from '../lib/http.mjs';

/**
 * Probe rows.
 *   name    label
 *   phase   'read' | 'write' | 'delete'  (A's control calls run in this order; deletes last)
 *   method, path(A, who), body?(A, who)   who = 'A' (control) | 'B' (any denied principal;
 *           A.other is then the denied principal's own org)
 *   denied  statuses accepted for B (default [404])
 *   deniedEmpty  also accept 200 with an empty array/list body for B (list-like lookups)
 *   deniedIf(res, A)  also accept B's response when this returns true
 */
export const PROBES = [
  // --- REST by id
  { name: 'GET project', phase: 'read', method: 'GET', path: (A) => `/v1/project/${A.project.id}` },
  { name: 'GET experiment', phase: 'read', method: 'GET', path: (A) => `/v1/experiment/${A.experiment.id}` },
  { name: 'GET dataset', phase: 'read', method: 'GET', path: (A) => `/v1/dataset/${A.dataset.id}` },
  { name: 'GET organization', phase: 'read', method: 'GET', path: (A) => `/v1/organization/${A.org.id}` },
  { name: 'GET api_key', phase: 'read', method: 'GET', path: (A) => `/v1/api_key/${A.apiKey2.id}` },
  { name: 'PATCH project', phase: 'write', method: 'PATCH', path: (A) => `/v1/project/${A.project.id}`, body: (A, who) => ({ description: `patched-by-${who}` }) },
  { name: 'PATCH experiment', phase: 'write', method: 'PATCH', path: (A) => `/v1/experiment/${A.experiment.id}`, body: (A, who) => ({ description: `patched-by-${who}` }) },
  { name: 'PATCH dataset', phase: 'write', method: 'PATCH', path: (A) => `/v1/dataset/${A.dataset.id}`, body: (A, who) => ({ description: `patched-by-${who}` }) },
  { name: 'PATCH organization', phase: 'write', method: 'PATCH', path: (A) => `/v1/organization/${A.org.id}`, body: (A, who) => ({ name: who === 'A' ? A.org.name : `pwned-${randomSuffix(3)}` }) },
  // --- REST creates inside A's project
  { name: 'POST /v1/experiment in A project', phase: 'write', method: 'POST', path: () => '/v1/experiment', body: (A, who) => ({ project_id: A.project.id, name: `${who}-probe-exp` }) },
  { name: 'POST /v1/dataset in A project', phase: 'write', method: 'POST', path: () => '/v1/dataset', body: (A, who) => ({ project_id: A.project.id, name: `${who}-probe-ds` }) },
  // --- REST lists scoped to A
  { name: 'list experiments project_id=A', phase: 'read', method: 'GET', path: (A) => `/v1/experiment?project_id=${A.project.id}` },
  { name: 'list datasets project_id=A', phase: 'read', method: 'GET', path: (A) => `/v1/dataset?project_id=${A.project.id}` },
  { name: 'list projects org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/project?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list experiments org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/experiment?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list datasets org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/dataset?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list organizations org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/organization?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  { name: 'list api_keys org_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/api_key?org_name=${encodeURIComponent(A.org.name)}`, denied: [403, 404] },
  // --- SDK control-plane routes
  { name: 'GET /api/project?id=', phase: 'read', method: 'GET', path: (A) => `/api/project?id=${A.project.id}` },
  { name: '/api/project/get', phase: 'read', method: 'POST', path: () => '/api/project/get', body: (A) => ({ id: A.project.id }) },
  { name: '/api/base_experiment/get_id', phase: 'read', method: 'POST', path: () => '/api/base_experiment/get_id', body: (A) => ({ id: A.experiment2.id }) },
  { name: '/api/self/get_object_info', phase: 'read', method: 'POST', path: () => '/api/self/get_object_info', body: (A) => ({ object_type: 'dataset', object_ids: [A.dataset.id] }), deniedEmpty: true },
  { name: '/api/experiment/get by project_id', phase: 'read', method: 'POST', path: () => '/api/experiment/get', body: (A) => ({ project_id: A.project.id, experiment_name: A.experiment.name }), deniedEmpty: true },
  { name: '/api/experiment/register with A project_id', phase: 'write', method: 'POST', path: () => '/api/experiment/register', body: (A, who) => ({ project_id: A.project.id, org_id: who === 'A' ? A.org.id : A.other.id, experiment_name: `${who}-probe-reg`, ancestor_commits: [] }) },
  { name: '/api/dataset/register with A project_id', phase: 'write', method: 'POST', path: () => '/api/dataset/register', body: (A, who) => ({ project_id: A.project.id, org_id: who === 'A' ? A.org.id : A.other.id, dataset_name: `${who}-probe-dsreg` }) },
  { name: '/api/experiment/get by A project_name + org_name', phase: 'read', method: 'POST', path: () => '/api/experiment/get', body: (A) => ({ project_name: A.project.name, org_name: A.org.name, experiment_name: A.experiment.name }), denied: [403, 404], deniedEmpty: true },
  { name: 'list experiments project_name=A', phase: 'read', method: 'GET', path: (A) => `/v1/experiment?project_name=${encodeURIComponent(A.project.name)}`, deniedEmpty: true },
  // --- rows: the span store's id-taking endpoints (data plane).
  { name: 'GET /v1/experiment/{id}/fetch', phase: 'read', method: 'GET', path: (A) => `/v1/experiment/${A.experiment.id}/fetch` },
  { name: 'POST /v1/experiment/{id}/fetch', phase: 'read', method: 'POST', path: (A) => `/v1/experiment/${A.experiment.id}/fetch`, body: () => ({ limit: 10 }) },
  { name: 'GET /v1/dataset/{id}/fetch', phase: 'read', method: 'GET', path: (A) => `/v1/dataset/${A.dataset.id}/fetch` },
  { name: 'GET /v1/project_logs/{id}/fetch', phase: 'read', method: 'GET', path: (A) => `/v1/project_logs/${A.project.id}/fetch?limit=5` },
  { name: 'POST /btql from experiment(A)', phase: 'read', method: 'POST', path: () => '/btql', body: (A) => ({ query: btqlFrom('experiment', A.experiment.id) }) },
  { name: 'POST /btql from dataset(A) (text, filtered)', phase: 'read', method: 'POST', path: () => '/btql', body: (A) => ({ query: `select: * | from: dataset('${A.dataset.id}') | filter: id = 'a-row-ds'` }) },
  { name: 'POST /btql from project_logs(A) at a version', phase: 'read', method: 'POST', path: () => '/btql', body: (A) => ({ query: btqlFrom('project_logs', A.project.id), version: A.rows.xact }) },
  { name: 'GET /dataset-summary', phase: 'read', method: 'GET', path: (A) => `/dataset-summary?dataset_id=${A.dataset.id}` },
  { name: 'GET /attachment with A org_id', phase: 'read', method: 'GET', path: (A) => `/attachment?key=${A.attachment.key}&org_id=${A.org.id}&filename=a.txt&content_type=text%2Fplain` },
  { name: 'POST /logs3 row in A experiment', phase: 'write', method: 'POST', path: () => '/logs3', body: (A, who) => ({ rows: [{ id: `${who}-logs3-exp`, experiment_id: A.experiment.id, input: who }], api_version: 2 }) },
  { name: 'POST /logs3 merge into A experiment row', phase: 'write', method: 'POST', path: () => '/logs3', body: (A, who) => ({ rows: [{ id: 'a-row-exp', experiment_id: A.experiment.id, _is_merge: true, output: `merged-by-${who}`, tags: [who] }], api_version: 2 }) },
  { name: 'POST /logs3 row in A dataset', phase: 'write', method: 'POST', path: () => '/logs3', body: (A, who) => ({ rows: [{ id: `${who}-logs3-ds`, dataset_id: A.dataset.id, input: who }], api_version: 2 }) },
  { name: 'POST /logs3 row in A project logs', phase: 'write', method: 'POST', path: () => '/logs3', body: (A, who) => ({ rows: [{ id: `${who}-logs3-log`, project_id: A.project.id, log_id: 'g', input: who }], api_version: 2 }) },
  { name: "POST /logs3 row in A's prompt session", phase: 'write', method: 'POST', path: () => '/logs3', body: (A, who) => ({ rows: [{ id: `${who}-logs3-ps`, prompt_session_id: A.promptSession, log_id: 'x', input: who }], api_version: 2 }) },
  { name: "POST /logs3 with A's overflow key", phase: 'write', method: 'POST', path: () => '/logs3', body: (A) => ({ rows: { type: 'logs3_overflow', key: A.overflow.key }, api_version: 2 }) },
  { name: 'POST /logs3/overflow naming A experiment', phase: 'write', method: 'POST', path: () => '/logs3/overflow', body: (A) => ({ content_type: 'application/json', size_bytes: 10, rows: [{ object_ids: { experiment_id: A.experiment.id } }] }) },
  { name: 'POST /logs3/overflow naming A project logs', phase: 'write', method: 'POST', path: () => '/logs3/overflow', body: (A) => ({ content_type: 'application/json', size_bytes: 10, rows: [{ object_ids: { project_id: A.project.id, log_id: 'g' } }] }) },
  { name: 'POST /v1/experiment/{id}/insert', phase: 'write', method: 'POST', path: (A) => `/v1/experiment/${A.experiment.id}/insert`, body: (A, who) => ({ events: [{ id: `${who}-rest-exp`, input: who }] }) },
  { name: 'POST /v1/experiment/{id}/feedback', phase: 'write', method: 'POST', path: (A) => `/v1/experiment/${A.experiment.id}/feedback`, body: (A, who) => ({ feedback: [{ id: 'a-row-exp', scores: { s: 1 }, comment: `comment-by-${who}`, tags: [who] }] }) },
  { name: 'POST /v1/dataset/{id}/insert', phase: 'write', method: 'POST', path: (A) => `/v1/dataset/${A.dataset.id}/insert`, body: (A, who) => ({ events: [{ id: `${who}-rest-ds`, input: who }] }) },
  { name: 'POST /v1/dataset/{id}/feedback', phase: 'write', method: 'POST', path: (A) => `/v1/dataset/${A.dataset.id}/feedback`, body: (A, who) => ({ feedback: [{ id: 'a-row-ds', expected: who, comment: `comment-by-${who}` }] }) },
  { name: 'POST /v1/project_logs/{id}/insert', phase: 'write', method: 'POST', path: (A) => `/v1/project_logs/${A.project.id}/insert`, body: (A, who) => ({ events: [{ id: `${who}-rest-log`, input: who }] }) },
  { name: 'POST /v1/project_logs/{id}/feedback', phase: 'write', method: 'POST', path: (A) => `/v1/project_logs/${A.project.id}/feedback`, body: (A, who) => ({ feedback: [{ id: 'a-row-log', scores: { s: 0 } }] }) },
  { name: 'POST /v1/insert into A experiment', phase: 'write', method: 'POST', path: () => '/v1/insert', body: (A, who) => ({ experiment: { [A.experiment.id]: { events: [{ id: `${who}-x-exp`, input: who }], feedback: [{ id: 'a-row-exp', scores: { s: 0 } }] } } }) },
  { name: 'POST /v1/insert into A dataset + project logs', phase: 'write', method: 'POST', path: () => '/v1/insert', body: (A, who) => ({ dataset: { [A.dataset.id]: { events: [{ id: `${who}-x-ds` }] } }, project_logs: { [A.project.id]: { events: [{ id: `${who}-x-log` }] } } }) },
  { name: 'POST /attachment with A org_id', phase: 'write', method: 'POST', path: () => '/attachment', body: (A, who) => ({ key: `${who}-att-${A.suffix}`, filename: 'x.txt', content_type: 'text/plain', org_id: A.org.id }), denied: [400, 403, 404] },
  { name: "POST /attachment/status of A's attachment", phase: 'write', method: 'POST', path: () => '/attachment/status', body: (A, who) => ({ key: A.attachment.key, org_id: A.org.id, status: who === 'A' ? { upload_status: 'done' } : { upload_status: 'error', error_message: 'pwned' } }) },
  { name: "POST /attachment re-requesting A's attachment key", phase: 'write', method: 'POST', path: () => '/attachment', body: (A) => ({ key: A.attachment.key, filename: 'evil.txt', content_type: 'text/html', org_id: A.org.id }), denied: [400, 403, 404] },
  { name: 'POST /logs3 delete of A experiment row', phase: 'delete', method: 'POST', path: () => '/logs3', body: (A) => ({ rows: [{ id: 'a-row-exp', experiment_id: A.experiment.id, _object_delete: true }], api_version: 2 }) },
  { name: 'POST /v1/dataset/{id}/insert delete of A row', phase: 'delete', method: 'POST', path: (A) => `/v1/dataset/${A.dataset.id}/insert`, body: () => ({ events: [{ id: 'a-row-ds', _object_delete: true }] }) },
  // --- creates that name A's org explicitly (org_id / org_name in the body).
  // B must either be refused, or (if the server ignores the field) get an object in B's own org.
  { name: '/api/project/register with A org_id', phase: 'write', method: 'POST', path: () => '/api/project/register', body: (A, who) => ({ project_name: `${who}-probe-proj-reg`, org_id: A.org.id }), denied: [400, 403, 404], deniedIf: inOwnOrg('project') },
  { name: '/api/experiment/register with A org_id + new project name', phase: 'write', method: 'POST', path: () => '/api/experiment/register', body: (A, who) => ({ project_name: `${who}-probe-proj-exp`, org_id: A.org.id, experiment_name: 'x', ancestor_commits: [] }), denied: [400, 403, 404], deniedIf: inOwnOrg('project') },
  { name: '/api/dataset/register with A org_id + new project name', phase: 'write', method: 'POST', path: () => '/api/dataset/register', body: (A, who) => ({ project_name: `${who}-probe-proj-ds`, org_id: A.org.id, dataset_name: 'x' }), denied: [400, 403, 404], deniedIf: inOwnOrg('project') },
  { name: 'POST /v1/project with A org_name', phase: 'write', method: 'POST', path: () => '/v1/project', body: (A, who) => ({ name: `${who}-probe-proj-rest`, org_name: A.org.name }), denied: [400, 403, 404] },
  { name: 'POST /v1/api_key with A org_name', phase: 'write', method: 'POST', path: () => '/v1/api_key', body: (A, who) => ({ name: `${who}-probe-key`, org_name: A.org.name }), denied: [400, 403, 404] },
  // --- deletes (A's control deletes run last, project last of all)
  { name: 'DELETE experiment', phase: 'delete', method: 'DELETE', path: (A) => `/v1/experiment/${A.experiment.id}` },
  { name: 'DELETE dataset', phase: 'delete', method: 'DELETE', path: (A) => `/v1/dataset/${A.dataset.id}` },
  { name: 'DELETE api_key', phase: 'delete', method: 'DELETE', path: (A) => `/v1/api_key/${A.apiKey2.id}` },
  { name: 'DELETE project', phase: 'delete', method: 'DELETE', path: (A) => `/v1/project/${A.project.id}` },
];

const PHASES = ['read', 'write', 'delete'];

function btqlFrom(objectType, id) {
  return { select: [{ op: 'star' }], from: { op: 'function', name: { op: 'ident', name: [objectType] }, args: [{ op: 'literal', value: id }] } };
}

/** deniedIf helper: a 2xx is acceptable only if the created object landed in B's org. */
function inOwnOrg(field) {
  return (r, A) => {
    const obj = r.json?.[field];
    return r.status === 200 && obj && obj.org_id === A.other.id;
  };
}

function secretsOf(A) {
  // Everything of A's that B must never see (unless B itself put it in the request).
  return [
    A.org.id, A.org.name, A.userEmail,
    A.project.id, A.project.name,
    A.experiment.id, A.experiment.name,
    A.experiment2.id, A.experiment2.name,
    A.dataset.id, A.dataset.name,
    A.apiKey2.id, A.apiKey2.name, A.key, A.apiKey2.key,
    A.rowSecret, A.attachment?.key, A.attachment?.bytes, A.overflow?.key, A.promptSession,
  ].filter(Boolean);
}

/** Writes A's rows, an uploaded attachment, an uploaded (unconsumed) overflow payload and a prompt-session row. */
async function seedRows(A, a, url) {
  A.suffix = randomSuffix(4);
  A.rowSecret = `a-secret-${randomSuffix(8)}`;
  ok(await a.post(`/v1/experiment/${A.experiment.id}/insert`, { events: [{ id: 'a-row-exp', input: A.rowSecret, scores: { s: 0.5 }, tags: ['a'] }] }), 'seed experiment row');
  ok(await a.post(`/v1/dataset/${A.dataset.id}/insert`, { events: [{ id: 'a-row-ds', input: A.rowSecret, expected: 'a' }] }), 'seed dataset row');
  ok(await a.post(`/v1/project_logs/${A.project.id}/insert`, { events: [{ id: 'a-row-log', input: A.rowSecret, scores: { s: 1 } }] }), 'seed log row');
  ok(await a.post(`/v1/experiment/${A.experiment.id}/feedback`, { feedback: [{ id: 'a-row-exp', comment: `a-comment-${A.rowSecret}` }] }), 'seed comment');
  A.promptSession = crypto.randomUUID();
  ok(await a.post('/logs3', { rows: [{ id: 'a-row-ps', prompt_session_id: A.promptSession, log_id: 'x', input: A.rowSecret }] }), 'seed prompt session');
  // An attachment, uploaded and done.
  A.attachment = { key: `a-att-${randomSuffix(8)}`, bytes: `a-bytes-${randomSuffix(8)}` };
  const att = ok(await a.post('/attachment', { key: A.attachment.key, filename: 'a.txt', content_type: 'text/plain', org_id: A.org.id }), 'seed attachment');
  const put = await fetch(att.signedUrl, { method: 'PUT', headers: att.headers, body: A.attachment.bytes });
  assert.ok(put.ok, `attachment PUT ${put.status}`);
  ok(await a.post('/attachment/status', { key: A.attachment.key, org_id: A.org.id, status: { upload_status: 'done' } }), 'seed attachment status');
  // An overflow payload, uploaded but not yet referenced by /logs3.
  A.overflow = ok(await a.post('/logs3/overflow', { content_type: 'application/json', size_bytes: 100, rows: [{ object_ids: { experiment_id: A.experiment.id } }] }), 'seed overflow');
  const body = JSON.stringify({ rows: [{ id: 'a-row-overflow', experiment_id: A.experiment.id, input: A.rowSecret }], api_version: 2 });
  const oput = await fetch(A.overflow.signedUrl, { method: 'PUT', headers: A.overflow.headers, body });
  assert.ok(oput.ok, `overflow PUT ${oput.status}`);
  A.rows = await rowState(A, url);
  assert.equal(A.rows.experiment.length, 1);
  assert.equal(A.rows.experiment[0].comments?.length, 1, 'seeded comment listed');
}

/** What of A's row data a denied principal must not change (read with A's key). */
async function rowState(A, url) {
  const a = client(url, A.key);
  const state = {};
  state.experiment = ok(await a.get(`/v1/experiment/${A.experiment.id}/fetch`)).events;
  state.dataset = ok(await a.get(`/v1/dataset/${A.dataset.id}/fetch`)).events;
  state.project_logs = ok(await a.get(`/v1/project_logs/${A.project.id}/fetch`)).events;
  state.summary = ok(await a.get('/dataset-summary', { query: { dataset_id: A.dataset.id } }));
  const meta = ok(await a.get('/attachment', { query: { key: A.attachment.key, org_id: A.org.id } }));
  state.attachmentStatus = meta.status;
  const dl = await fetch(meta.downloadUrl);
  state.attachmentBytes = `${dl.status} ${await dl.text()} ${dl.headers.get('content-type')}`;
  state.xactOfRows = [...state.experiment, ...state.dataset, ...state.project_logs].map((r) => r._xact_id).sort().pop();
  if (!A.rows) state.xact = state.xactOfRows;
  else state.xact = A.rows.xact;
  return state;
}

function isEmptyListBody(json) {
  if (Array.isArray(json)) return json.length === 0;
  if (json && Array.isArray(json.objects)) return json.objects.length === 0;
  return false;
}

function defineTenancyTests(label, startDeployment) {
  describe(`tenancy probe: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let A; // org A's fixtures
    let B; // {key, org:{id,name}}: another org's admin
    let C; // {key, org}: A's own user, key restricted to another org C
    before(async () => {
      dep = await startDeployment();
      url = dep.dataUrl;
      const a = client(url, dep.apiKey);
      const login = await api(url, '/api/apikey/login', { method: 'POST', key: dep.apiKey });
      const org = ok(login, 'login A').org_info[0];
      const project = ok(await a.post('/v1/project', { name: uniqueName('tenant-a-proj'), description: 'a-desc' }));
      const experiment = ok(await a.post('/api/experiment/register', {
        project_id: project.id, org_id: org.id, experiment_name: uniqueName('tenant-a-exp1'), ancestor_commits: [],
      })).experiment;
      await sleep(15);
      const experiment2 = ok(await a.post('/api/experiment/register', {
        project_id: project.id, org_id: org.id, experiment_name: uniqueName('tenant-a-exp2'), base_exp_id: experiment.id,
      })).experiment;
      ok(await a.patch(`/v1/experiment/${experiment.id}`, { description: 'a-exp-desc' }));
      const dataset = ok(await a.post('/v1/dataset', { project_id: project.id, name: uniqueName('tenant-a-ds'), description: 'a-ds-desc' }));
      // A second key of A's user, restricted to org A (so it is org A's object).
      const apiKey2 = ok(await a.post('/v1/api_key', { name: uniqueName('tenant-a-key2'), org_name: org.name }));
      assert.equal(apiKey2.org_id, org.id, 'POST /v1/api_key with org_name restricts the key to that org');
      A = { key: dep.apiKey, userEmail: dep.userEmail, org, project, experiment, experiment2, dataset, apiKey2 };
      await seedRows(A, a, url);

      // Org B, created with the admin CLI while the server runs.
      const out = await dep.admin(['create-org', '--org-name', uniqueName('tenant-b-org'), '--user-email', `b-${randomSuffix(3)}@example.test`]);
      B = { key: out.api_key, org: { id: out.org_id, name: out.org_name } };

      // Org C joined by A's own user, plus a key of A's user restricted to org C.
      // That key must be as blind to org A as B's key is.
      const outC = await dep.admin(['create-org', '--org-name', uniqueName('tenant-c-org'), '--user-email', dep.userEmail]);
      const kc = await dep.admin(['create-api-key', '--user-email', dep.userEmail, '--org-name', outC.org_name, '--name', 'c-only']);
      C = { key: kc.api_key ?? kc.key, org: { id: outC.org_id, name: outC.org_name } };
    });
    after(async () => {
      await dep?.stop();
    });

    it('B key logs in to org B only', withLogs(async () => {
      const l = await api(url, '/api/apikey/login', { method: 'POST', key: B.key });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.json.org_info.map((o) => o.id), [B.org.id]);
      for (const s of secretsOf(A)) assert.ok(!l.text.includes(s), `login(B) leaks ${s}`);
    }));

    async function deniedProbeFailures(principal, { includeUserEmail = true } = {}) {
      A.other = principal.org; // for bodies/deniedIf that name the caller's own org
      const secrets = secretsOf(A).filter((x) => includeUserEmail || x !== A.userEmail);
      const failures = [];
      for (const p of PROBES) {
        const path = p.path(A, 'B');
        const body = p.body?.(A, 'B');
        const r = await api(url, path, { method: p.method, key: principal.key, body });
        const allowed = p.denied ?? [404];
        const deniedOk =
          allowed.includes(r.status) ||
          (p.deniedEmpty && r.status === 200 && isEmptyListBody(r.json)) ||
          (p.deniedIf && p.deniedIf(r, A));
        if (!deniedOk) failures.push(`${p.name}: ${p.method} ${path} ${body ? JSON.stringify(body) : ''} → ${r.status} (want ${allowed.join('|')}${p.deniedEmpty ? ' or 200 []' : ''}) ${r.text.slice(0, 300)}`);
        const request = `${path} ${JSON.stringify(body ?? '')}`;
        const leaks = secrets.filter((x) => !request.includes(x) && r.text.includes(x));
        if (leaks.length) failures.push(`${p.name}: response leaks A's ${JSON.stringify(leaks)}: ${r.text.slice(0, 300)}`);
        if (r.status >= 400 && !(r.json && typeof r.json.Code === 'string' && typeof r.json.Message === 'string')) {
          failures.push(`${p.name}: error body is not {Code, Message}: ${r.text.slice(0, 200)}`);
        }
      }
      return failures;
    }

    it('every probe with B key is denied and leaks nothing of A', withLogs(async () => {
      const failures = await deniedProbeFailures(B);
      assert.deepEqual(failures, [], `tenancy violations:\n${failures.join('\n')}`);
    }));

    it("the org-C-restricted key's lists contain nothing of A", withLogs(async () => {
      const cc = client(url, C.key);
      const secrets = secretsOf(A).filter((x) => x !== A.userEmail);
      const failures = [];
      for (const path of ['/v1/project', '/v1/experiment', '/v1/dataset', '/v1/organization', '/v1/api_key']) {
        const r = await cc.get(path);
        if (r.status !== 200 || !Array.isArray(r.json?.objects)) failures.push(`${path}: ${r.status} ${r.text.slice(0, 200)}`);
        const leaks = secrets.filter((x) => r.text.includes(x));
        if (leaks.length) failures.push(`${path} leaks ${JSON.stringify(leaks)}`);
      }
      const orgs = ok(await cc.get('/v1/organization')).objects.map((o) => o.id);
      if (JSON.stringify(orgs) !== JSON.stringify([C.org.id])) failures.push(`/v1/organization lists ${JSON.stringify(orgs)}, want only org C`);
      assert.deepEqual(failures, [], failures.join('\n'));
    }));

    it("A's user's key restricted to org C: logs in to C only and every probe is denied", withLogs(async () => {
      assert.ok(C.key, 'create-api-key printed no key');
      const l = await api(url, '/api/apikey/login', { method: 'POST', key: C.key });
      assert.equal(l.status, 200, l.text);
      assert.deepEqual(l.json.org_info.map((o) => o.id), [C.org.id], 'an org-restricted key sees only its org');
      const failures = await deniedProbeFailures(C, { includeUserEmail: false });
      assert.deepEqual(failures, [], `tenancy violations with an org-restricted key:\n${failures.join('\n')}`);
    }));

    it("the denied probes changed nothing of A", withLogs(async () => {
      const a = client(url, A.key);
      const problems = [];
      const expectEq = (actual, expected, msg) => {
        if (JSON.stringify(actual) !== JSON.stringify(expected)) problems.push(`${msg}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
      };
      expectEq(ok(await a.get(`/v1/project/${A.project.id}`)).description, 'a-desc', 'project description');
      expectEq(ok(await a.get(`/v1/experiment/${A.experiment.id}`)).description, 'a-exp-desc', 'experiment description');
      expectEq(ok(await a.get(`/v1/dataset/${A.dataset.id}`)).description, 'a-ds-desc', 'dataset description');
      expectEq(ok(await a.get(`/v1/organization/${A.org.id}`)).name, A.org.name, 'org name');
      const exps = ok(await a.get('/v1/experiment', { query: { project_id: A.project.id } })).objects.map((e) => e.id).sort();
      expectEq(exps, [A.experiment.id, A.experiment2.id].sort(), "experiments in A's project");
      const dss = ok(await a.get('/v1/dataset', { query: { project_id: A.project.id } })).objects.map((d) => d.id);
      expectEq(dss, [A.dataset.id], "datasets in A's project");
      const aProjects = ok(await a.get('/v1/project', { query: { org_name: A.org.name } })).objects;
      expectEq(aProjects.filter((p) => p.name.startsWith('B-probe')).map((p) => p.name), [], "probe projects in A's org");
      const aKeys = ok(await a.get('/v1/api_key')).objects;
      expectEq(aKeys.filter((k) => k.name === 'B-probe-key').map((k) => k.id), [], "probe API keys in A's org");
      const keyStillWorks = await api(url, '/v1/project', { key: A.apiKey2.key });
      if (keyStillWorks.status !== 200) {
        problems.push(`A's org-A-restricted API key ${A.apiKey2.id} was revoked by a denied principal (now ${keyStillWorks.status})`);
        // Recreate it so the control probes below still test something live.
        A.apiKey2 = ok(await a.post('/v1/api_key', { name: uniqueName('tenant-a-key3'), org_name: A.org.name }));
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    }));

    it("the denied probes changed none of A's rows, attachments or uploads", withLogs(async () => {
      const now = await rowState(A, url);
      const problems = [];
      for (const k of Object.keys(A.rows)) {
        if (JSON.stringify(now[k]) !== JSON.stringify(A.rows[k])) problems.push(`${k} changed:\n  was ${JSON.stringify(A.rows[k]).slice(0, 600)}\n  now ${JSON.stringify(now[k]).slice(0, 600)}`);
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    }));

    it("B's own lists contain nothing of A", withLogs(async () => {
      const b = client(url, B.key);
      for (const path of ['/v1/project', '/v1/experiment', '/v1/dataset', '/v1/organization', '/v1/api_key']) {
        const r = await b.get(path);
        assert.equal(r.status, 200, `${path}: ${r.text}`);
        assert.ok(Array.isArray(r.json?.objects), `${path}: ${r.text}`);
        for (const s of secretsOf(A)) assert.ok(!r.text.includes(s), `B's ${path} leaks ${s}`);
      }
      const orgs = ok(await b.get('/v1/organization')).objects.map((o) => o.id);
      assert.deepEqual(orgs, [B.org.id]);
      // Registering A's project *name* under B makes B's own project.
      const reg = ok(await b.post('/api/project/register', { project_name: A.project.name, org_id: B.org.id }));
      assert.notEqual(reg.project.id, A.project.id);
      const mine = ok(await b.post('/v1/project', { name: A.project.name }));
      assert.equal(mine.id, reg.project.id);
      assert.equal(mine.org_id, B.org.id);
      // And the project list of A still has exactly one project with that name.
      const aList = ok(await api(url, '/v1/project', { key: A.key, query: { project_name: A.project.name } }));
      assert.deepEqual(aList.objects.map((p) => p.id), [A.project.id]);
    }));

    it('every probe with A key (control) succeeds', withLogs(async () => {
      const failures = [];
      for (const phase of PHASES) {
        const rows = PROBES.filter((p) => p.phase === phase);
        // Delete the project after everything inside it.
        rows.sort((x, y) => (x.name === 'DELETE project') - (y.name === 'DELETE project'));
        for (const p of rows) {
          const path = p.path(A, 'A');
          const body = p.body?.(A, 'A');
          const r = await api(url, path, { method: p.method, key: A.key, body });
          if (r.status < 200 || r.status >= 300) failures.push(`${p.name}: ${p.method} ${path} → ${r.status} ${r.text.slice(0, 300)}`);
        }
      }
      assert.deepEqual(failures, [], `A's own requests failed:\n${failures.join('\n')}`);
    }));
  });
}

defineTenancyTests('serve', () => startServe());
defineTenancyTests('control + data (via data-plane URL)', () => startSplit());
