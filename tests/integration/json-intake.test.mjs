// JSON bodies on every plane: a number outside the double range and a key
// repeated in one object are refused with a 400 naming the field, and nothing
// is written; the SDK's "NaN"/"Infinity" strings stay strings; an object that
// was sent such a body stays readable, compactable and purgeable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, startSplit } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { currentXact, fetchAll, insertRows, makeObjects } from '../lib/rows.mjs';

const DIGITS_309 = '9'.repeat(309);
// [label, raw value text, what the message shows]
const HUGE = [
  ['1e999', '1e999'],
  ['-1e999', '-1e999'],
  ['309-digit integer', DIGITS_309],
  ['309-digit negative', `-${DIGITS_309}`],
];

function expect400(res, re, what) {
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json?.Code, 'BadRequestError', `${what}: ${res.text}`);
  assert.match(res.json.Message, re, what);
}

function defineTests(label, start) {
  describe(`JSON bodies: huge numbers and duplicate keys (${label})`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let key;
    let objs;
    let E;
    let P;

    before(async () => {
      dep = await start();
      url = dep.dataUrl;
      key = dep.apiKey;
      objs = await makeObjects(url, key, 'jsonin');
      E = objs.experiment.id;
      P = objs.project.id;
      await insertRows(url, key, 'experiment', E, [{ id: 'seed', input: 'seed', metadata: { n: 1 } }]);
    });
    after(async () => {
      await dep?.stop();
    });

    const post = (path, text, base = url, method = 'POST') =>
      api(base, path, { key, method, body: text, headers: { 'Content-Type': 'application/json' }, validate: false });

    it('a row number outside the double range is a 400 naming the field, on every row route', async () => {
      const before = { xact: await currentXact(url, key), rows: (await fetchAll(url, key, 'experiment', E)).rows };
      for (const [what, n] of HUGE) {
        expect400(await post(`/v1/experiment/${E}/insert`, `{"events":[{"id":"bad","metadata":{"n":${n}}}]}`),
          /'events\[0\]\.metadata\.n'.*outside the range of a double/, `insert ${what}`);
        expect400(await post('/logs3', `{"rows":[{"id":"ok","experiment_id":"${E}"},{"id":"bad","experiment_id":"${E}","output":[1,${n}]}]}`),
          /'rows\[1\]\.output\[1\]'/, `logs3 ${what}`);
        expect400(await post(`/v1/project_logs/${P}/insert`, `{"events":[{"id":"bad","scores":{"s":${n}}}]}`),
          /'events\[0\]\.scores\.s'/, `project logs ${what}`);
        expect400(await post(`/v1/experiment/${E}/feedback`, `{"feedback":[{"id":"seed","metadata":{"n":${n}}}]}`),
          /'feedback\[0\]\.metadata\.n'/, `feedback ${what}`);
      }
      // Nothing was written, and the object still reads, compacts and summarizes.
      assert.equal(await currentXact(url, key), before.xact);
      assert.deepEqual((await fetchAll(url, key, 'experiment', E)).rows, before.rows);
      ok(await api(url, '/v1/admin/compact', { key, body: {} }), 'compact');
      const q = ok(await api(url, '/btql', { key, body: { query: `select: id, metadata | from: experiment('${E}')` } }), 'btql');
      assert.deepEqual(q.data.map((r) => r.id), ['seed']);
      ok(await api(url, `/v1/experiment/${E}/summarize`, { key }), 'summarize');
    });

    it('a duplicate key is a 400 naming it (rows, queries, control-plane objects)', async () => {
      const xact = await currentXact(url, key);
      expect400(await post(`/v1/experiment/${E}/insert`, '{"events":[{"id":"a","id":"b"}]}'),
        /'events\[0\]\.id' appears twice/, 'row id twice');
      expect400(await post(`/v1/experiment/${E}/insert`, '{"events":[{"id":"a","metadata":{"k":1,"k":{"x":1}}}]}'),
        /'events\[0\]\.metadata\.k' appears twice/, 'nested key twice');
      expect400(await post('/logs3', `{"rows":[{"id":"a","experiment_id":"${E}"}],"rows":[]}`), /'rows' appears twice/, 'logs3');
      expect400(await post('/btql', `{"query":"select: * | from: experiment('${E}')","query":"x"}`), /'query' appears twice/, 'btql');
      expect400(await post('/v1/project', '{"name":"dup-a","name":"dup-b"}', dep.url), /'name' appears twice/, 'project create');
      assert.equal(await currentXact(url, key), xact);
      const names = ok(await api(dep.url, '/v1/project', { key, query: { project_name: 'dup-a' } })).objects;
      assert.equal(names.length, 0);
    });

    it('control-plane metadata and settings refuse huge numbers instead of storing null', async () => {
      for (const base of new Set([dep.url, url])) {
        for (const [what, n] of HUGE) {
          expect400(await post(`/v1/experiment/${E}`, `{"metadata":{"n":${n}}}`, base, 'PATCH'),
            /'metadata\.n'.*outside the range of a double/, `patch experiment ${what}`);
          expect400(await post('/v1/experiment', `{"project_id":"${P}","name":"x-${what}","metadata":{"n":${n}}}`, base),
            /'metadata\.n'/, `create experiment ${what}`);
          expect400(await post(`/v1/project/${P}`, `{"settings":{"baseline":${n}}}`, base, 'PATCH'),
            /'settings\.baseline'/, `patch project ${what}`);
        }
      }
      const e = ok(await api(dep.url, `/v1/experiment/${E}`, { key }));
      assert.equal(e.metadata ?? null, objs.experiment.metadata ?? null);
    });

    it('a prompt with a huge number is refused; the org\'s prompt list keeps working', async () => {
      const good = ok(await api(url, '/v1/prompt', {
        key, body: { project_id: P, name: 'p-good', slug: 'p-good', prompt_data: { options: { params: { temperature: 0.5 } } } },
      }));
      for (const [what, n] of HUGE) {
        expect400(await post('/v1/prompt', `{"project_id":"${P}","name":"p","slug":"p-bad","prompt_data":{"options":{"params":{"temperature":${n}}}}}`),
          /'prompt_data\.options\.params\.temperature'/, `prompt ${what}`);
        expect400(await post(`/v1/prompt/${good.id}`, `{"metadata":{"n":${n}}}`, url, 'PATCH'), /'metadata\.n'/, `patch prompt ${what}`);
      }
      const list = ok(await api(url, '/v1/prompt', { key, query: { project_id: P } }));
      assert.deepEqual(list.objects.map((p) => p.slug), ['p-good']);
      ok(await api(url, `/v1/prompt/${good.id}`, { key, method: 'DELETE' }), 'delete prompt');
    });

    it('the Python SDK\'s "NaN" / "Infinity" strings stay strings, and extreme finite numbers round-trip', async () => {
      const text = '{"events":[{"id":"py","metadata":{"a":"NaN","b":"Infinity","c":"-Infinity","max":1.7976931348623157e308,"tiny":1e-999}}]}';
      ok(await post(`/v1/experiment/${E}/insert`, text), 'insert');
      const row = (await fetchAll(url, key, 'experiment', E)).rows.find((r) => r.id === 'py');
      assert.deepEqual(row.metadata, { a: 'NaN', b: 'Infinity', c: '-Infinity', max: 1.7976931348623157e308, tiny: 0 });
      ok(await api(url, '/v1/admin/compact', { key, body: {} }), 'compact');
      const again = (await fetchAll(url, key, 'experiment', E)).rows.find((r) => r.id === 'py');
      assert.deepEqual(again.metadata, row.metadata);
    });
  });
}

defineTests('serve', () => startServe());
defineTests('split', () => startSplit());
