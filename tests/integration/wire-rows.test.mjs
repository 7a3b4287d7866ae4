// The wire promise for rows: whatever a client leaves out, a fetch answers
// rows that validate against the OpenAPI schemas. Rows inserted without
// span_id / root_span_id get them as the SDK would (span_id a new id,
// root_span_id = span_id), project-log rows carry org_id, and merges keep the
// span ids of the row they update.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, uniqueName, withLogs } from '../lib/server.mjs';
import { api, client, ok } from '../lib/http.mjs';
import { assertPathResponse } from '../lib/schema.mjs';

const FETCH_PATHS = {
  experiment: '/v1/experiment/{experiment_id}/fetch',
  dataset: '/v1/dataset/{dataset_id}/fetch',
  project_logs: '/v1/project_logs/{project_id}/fetch',
};

describe('rows read back valid against the OpenAPI schemas', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let c;
  let org;
  const ids = {};
  before(async () => {
    dep = await startServe();
    c = client(dep.dataUrl, dep.apiKey);
    org = ok(await api(dep.dataUrl, '/api/apikey/login', { method: 'POST', key: dep.apiKey })).org_info[0];
    const project = ok(await c.post('/v1/project', { name: uniqueName('wire') }));
    ids.project_logs = project.id;
    ids.experiment = ok(await c.post('/v1/experiment', { project_id: project.id, name: 'e' })).id;
    ids.dataset = ok(await c.post('/v1/dataset', { project_id: project.id, name: 'd' })).id;
  });
  after(async () => {
    await dep?.stop();
  });

  for (const kind of Object.keys(FETCH_PATHS)) {
    it(`${kind}: rows without span ids get them; the fetch validates`, withLogs(async () => {
      const oid = ids[kind];
      ok(await c.post(`/v1/${kind}/${oid}/insert`, { events: [{ id: 'bare', input: 'no span ids' }, { id: 'half', span_id: 'sp-half', input: 'no root' }] }));
      const objectField = kind === 'project_logs' ? { project_id: oid, log_id: 'g' } : { [`${kind}_id`]: oid };
      ok(await c.post('/logs3', { rows: [{ id: 'via-logs3', ...objectField, input: 'no span ids' }], api_version: 2 }));
      ok(await c.post(`/v1/${kind}/${oid}/insert`, { events: [{ id: 'bare', _is_merge: true, output: 'merged' }] }));
      for (const method of ['get', 'post']) {
        const body = ok(method === 'get' ? await c.get(`/v1/${kind}/${oid}/fetch`) : await c.post(`/v1/${kind}/${oid}/fetch`, {}));
        assertPathResponse(FETCH_PATHS[kind], method, body);
        const byId = Object.fromEntries(body.events.map((r) => [r.id, r]));
        for (const id of ['bare', 'via-logs3']) {
          const r = byId[id];
          assert.ok(typeof r.span_id === 'string' && r.span_id.length > 0, `${id}: span_id ${JSON.stringify(r)}`);
          assert.equal(r.root_span_id, r.span_id, `${id}: a root span is its own root`);
        }
        assert.equal(byId.bare.output, 'merged');
        assert.equal(byId.half.span_id, 'sp-half');
        // Dataset rows have no spans: a missing root_span_id is the row's id there.
        assert.equal(byId.half.root_span_id, kind === 'dataset' ? 'half' : 'sp-half');
        if (kind === 'project_logs') for (const r of body.events) assert.equal(r.org_id, org.id, `${r.id}: org_id`);
      }
    }));
  }

  it('a merge keeps the span ids the row was written with', withLogs(async () => {
    const oid = ids.experiment;
    const first = ok(await c.get(`/v1/experiment/${oid}/fetch`)).events.find((r) => r.id === 'bare');
    ok(await c.post(`/v1/experiment/${oid}/insert`, { events: [{ id: 'bare', _is_merge: true, scores: { s: 1 } }] }));
    const now = ok(await c.get(`/v1/experiment/${oid}/fetch`)).events.find((r) => r.id === 'bare');
    assert.equal(now.span_id, first.span_id);
    assert.equal(now.root_span_id, first.root_span_id);
  }));
});
