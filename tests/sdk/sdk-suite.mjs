// The official braintrust SDK (3.35.0) against tracevault. Shared by
// sdk-serve.test.mjs and sdk-split.test.mjs.
//
// Control-plane metadata paths (login, register, lazily resolved ids) and the
// data plane: logging spans, experiments and datasets through /logs3, reading
// them back through /btql (and the REST /v1 fetch), dataset versions and
// summaries, attachments. A recording fetch sees every SDK request (except the
// attachment PUT, which the SDK sends with the global fetch; the access log
// shows that one). Experiment summaries (/experiment-comparison2) are not
// served yet, so nothing here calls summarize() on an experiment. The 20 MB
// span and the 10,000-span trace live in sdk-large.test.mjs.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sdkSandbox } from '../lib/sdk-sandbox.mjs';
import { after, before, describe, it } from 'node:test';
import * as bt from 'braintrust';
import { SKIP_NO_BINARY, sleep, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, assertUuid, ok, recordingFetch } from '../lib/http.mjs';
import { assertXact, ast, btqlAll, byId, fetchAll, prettyXact, waitForAccessLog } from '../lib/rows.mjs';

const TICK = 15;

export function defineSdkSuite(mode) {
  describe(`braintrust SDK 3.35.0 against tracevault ${mode}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let appUrl;
    let key;
    let orgA; // {id, name}
    let orgB; // {id, name}: second org of the same user
    let stateA;
    const calls = []; // {method, url, path, status, body (small string bodies only)}
    const sandbox = sdkSandbox('sdk');

    const recFetch = recordingFetch(calls, (entry, u, init) => {
      if (typeof init?.body === 'string' && init.body.length < 100_000) entry.body = init.body;
    });
    const callsTo = (path) => calls.filter((c) => c.path === path);
    async function collect(iter) {
      const out = [];
      for await (const r of iter) out.push(r);
      return out;
    }
    const login = (opts = {}) => bt.loginToState({ appUrl, apiKey: key, fetch: recFetch, ...opts });
    const rest = (path, opts = {}) => api(dep.dataUrl, path, { key, ...opts });

    before(async () => {
      // Keep git metadata collection hermetic: run from a non-repo temp dir.
      sandbox.enter();
      dep = mode === 'serve' ? await startServe() : await startSplit();
      appUrl = dep.appUrl;
      key = dep.apiKey;
      // Second org for the same user, created before the key is first used
      // (the server caches a key's memberships for a while; that staleness is
      // covered by integration/lifecycle.test.mjs, not here).
      const out = await dep.admin(['create-org', '--org-name', uniqueName('sdk-org-b'), '--user-email', dep.userEmail]);
      orgB = { id: out.org_id, name: out.org_name };
      const l = ok(await api(appUrl, '/api/apikey/login', { method: 'POST', key }));
      orgA = l.org_info.find((o) => o.name === dep.orgName);
      assert.ok(orgA, `init org ${dep.orgName} not in login response`);
      stateA = await login({ orgName: orgA.name });
    });
    after(async () => {
      sandbox.leave();
      await dep?.stop();
    });

    it('login() works and returns the org', withLogs(async () => {
      const state = await bt.login({ appUrl, apiKey: key, orgName: orgA.name, forceLogin: true, fetch: recFetch });
      assert.equal(state.orgName, orgA.name);
      assert.equal(state.orgId, orgA.id);
      assertUuid(state.orgId, 'orgId');
      assert.equal(String(state.apiUrl).replace(/\/+$/, ''), dep.expectedApiUrl);
      assert.equal(state.loggedIn, true);
      assert.ok(calls.some((c) => c.path === '/api/apikey/login' && c.method === 'POST' && c.url.startsWith(appUrl)));
    }));

    it('login with a wrong key is rejected', withLogs(async () => {
      await assert.rejects(
        bt.loginToState({ appUrl, apiKey: 'sk-wrong-key-123', fetch: recFetch }),
        (e) => {
          assert.equal(e.status, 401, `expected FailedHTTPResponse 401, got ${e}`);
          return true;
        },
      );
      await assert.rejects(bt.login({ appUrl, apiKey: 'sk-wrong-key-456', forceLogin: true, fetch: recFetch }));
    }));

    it('the key of a user in two orgs sees both; orgName / BRAINTRUST_ORG_NAME pick the org', withLogs(async () => {
      const l = ok(await api(appUrl, '/api/apikey/login', { method: 'POST', key }));
      assert.deepEqual(l.org_info.map((o) => o.name).sort(), [orgA.name, orgB.name].sort());
      const sb = await login({ orgName: orgB.name });
      assert.equal(sb.orgName, orgB.name);
      assert.equal(sb.orgId, orgB.id);
      const sa = await login({ orgName: orgA.name });
      assert.equal(sa.orgId, orgA.id);

      process.env.BRAINTRUST_APP_URL = appUrl;
      process.env.BRAINTRUST_API_KEY = key;
      process.env.BRAINTRUST_ORG_NAME = orgB.name;
      try {
        const se = await bt.loginToState({ fetch: recFetch });
        assert.equal(se.orgName, orgB.name);
        assert.equal(se.orgId, orgB.id);
        const g = await bt.login({ forceLogin: true, fetch: recFetch });
        assert.equal(g.orgId, orgB.id);
        // A logger in org B registers its project in org B.
        const logger = bt.initLogger({ projectName: uniqueName('sdk-orgb-proj'), state: se, setCurrent: false });
        const pid = await logger.id;
        const p = ok(await rest(`/v1/project/${pid}`));
        assert.equal(p.org_id, orgB.id);
        // REST org_name filter partitions a multi-org key's projects.
        const inB = ok(await rest('/v1/project', { query: { org_name: orgB.name } })).objects.map((o) => o.id);
        assert.ok(inB.includes(pid), 'org_name=B lists the project');
        const inA = ok(await rest('/v1/project', { query: { org_name: orgA.name } })).objects.map((o) => o.id);
        assert.ok(!inA.includes(pid), 'org_name=A does not list B\'s project');
      } finally {
        delete process.env.BRAINTRUST_APP_URL;
        delete process.env.BRAINTRUST_API_KEY;
        delete process.env.BRAINTRUST_ORG_NAME;
      }
    }));

    it('a bad org name throws', withLogs(async () => {
      await assert.rejects(login({ orgName: uniqueName('no-such-org') }), /not found/i);
    }));

    it('initLogger({projectName}) registers the project', withLogs(async () => {
      const name = uniqueName('sdk-logger');
      const logger = bt.initLogger({ projectName: name, state: stateA, setCurrent: false });
      const id = await logger.id;
      assertUuid(id, 'logger.id');
      const project = await logger.project;
      assert.equal(project.name, name);
      const p = ok(await rest(`/v1/project/${id}`));
      assert.equal(p.name, name);
      assert.equal(p.org_id, orgA.id);
      const byName = ok(await rest('/v1/project', { query: { project_name: name } }));
      assert.deepEqual(byName.objects.map((o) => o.id), [id]);
      // Same name again → same project.
      const again = bt.initLogger({ projectName: name, state: stateA, setCurrent: false });
      assert.equal(await again.id, id);
      // projectId only → GET /api/project?id= fills in the name.
      const byId = bt.initLogger({ projectId: id, state: stateA, setCurrent: false });
      assert.equal((await byId.project).name, name);
      assert.ok(calls.some((c) => c.path === '/api/project' && c.method === 'GET'), 'SDK used GET /api/project?id=');
    }));

    it('init(project, {experiment}) registers an experiment; same name again → a new, different name; update:true reuses', withLogs(async () => {
      const project = uniqueName('sdk-exp-proj');
      const e1 = bt.init(project, { experiment: 'nightly', state: stateA, setCurrent: false });
      const id1 = await e1.id;
      assertUuid(id1, 'experiment.id');
      assert.equal(await e1.name, 'nightly');
      const proj = await e1.project;
      assert.equal(proj.name, project);
      const r = ok(await rest(`/v1/experiment/${id1}`));
      assert.equal(r.name, 'nightly');
      assert.equal(r.project_id, proj.id);
      await sleep(TICK);

      const e2 = bt.init(project, { experiment: 'nightly', state: stateA, setCurrent: false });
      const id2 = await e2.id;
      assert.notEqual(id2, id1);
      const name2 = await e2.name;
      assert.notEqual(name2, 'nightly');
      assert.ok(name2.startsWith('nightly'), name2);
      assert.equal((await e2.project).id, proj.id);
      await sleep(TICK);

      const e3 = bt.init(project, { experiment: 'nightly', update: true, state: stateA, setCurrent: false });
      assert.equal(await e3.id, id1);
      assert.equal(await e3.name, 'nightly');

      // open:true → /api/experiment/get
      const ro = bt.init(project, { experiment: 'nightly', open: true, state: stateA });
      assert.equal(await ro.id, id1);
      assert.equal(await ro.name, 'nightly');

      // projectId instead of a name
      const e4 = bt.init({ projectId: proj.id, experiment: 'by-id', state: stateA, setCurrent: false });
      assertUuid(await e4.id);
      assert.equal((await e4.project).id, proj.id);
    }));

    it('base experiment: baseExperiment name, baseExperimentId, unknown name falls back', withLogs(async () => {
      const project = uniqueName('sdk-base-proj');
      const mk = async (opts) => {
        const e = bt.init(project, { state: stateA, setCurrent: false, ...opts });
        const id = await e.id;
        await sleep(TICK);
        return { e, id, name: await e.name };
      };
      const one = await mk({ experiment: 'b-one' });
      const two = await mk({ experiment: 'b-two' });
      const three = await mk({ experiment: 'b-three', baseExperiment: 'b-one' });
      assert.equal(ok(await rest(`/v1/experiment/${three.id}`)).base_exp_id, one.id);
      const g3 = ok(await api(appUrl, '/api/base_experiment/get_id', { key, body: { id: three.id } }));
      assert.equal(g3.base_exp_id, one.id);
      assert.equal(g3.base_exp_name, 'b-one');
      assert.equal(await three.e._getBaseExperimentId(), one.id, 'register response carries base_exp_id');

      const four = await mk({ experiment: 'b-four', baseExperimentId: two.id });
      assert.equal(ok(await rest(`/v1/experiment/${four.id}`)).base_exp_id, two.id);
      const g4 = ok(await api(appUrl, '/api/base_experiment/get_id', { key, body: { id: four.id } }));
      assert.equal(g4.base_exp_name, 'b-two');

      // Unknown base name: server says 400 "base experiment", the SDK retries without it.
      const five = await mk({ experiment: 'b-five', baseExperiment: 'does-not-exist' });
      assertUuid(five.id);
      assert.equal(ok(await rest(`/v1/experiment/${five.id}`)).base_exp_id, four.id, 'fallback = newest earlier experiment');

      // The very first experiment has no base → 400 from get_id.
      const none = await api(appUrl, '/api/base_experiment/get_id', { key, body: { id: one.id } });
      assert.equal(none.status, 400, none.text);
    }));

    it('initDataset(project, {dataset}) registers a dataset; initDataset({datasetId}) resolves it', withLogs(async () => {
      const project = uniqueName('sdk-ds-proj');
      const ds = bt.initDataset(project, { dataset: 'golden', description: 'gold', metadata: { v: 1 }, state: stateA });
      const id = await ds.id;
      assertUuid(id, 'dataset.id');
      assert.equal(await ds.name, 'golden');
      const proj = await ds.project;
      assert.equal(proj.name, project);
      const r = ok(await rest(`/v1/dataset/${id}`));
      assert.equal(r.name, 'golden');
      assert.equal(r.project_id, proj.id);
      assert.equal(r.description, 'gold');
      assert.deepEqual(r.metadata, { v: 1 });

      const again = bt.initDataset(project, { dataset: 'golden', state: stateA });
      assert.equal(await again.id, id);

      const byId = bt.initDataset({ datasetId: id, state: stateA });
      assert.equal(await byId.id, id);
      assert.equal(await byId.name, 'golden');
      assert.equal((await byId.project).id, proj.id);
      assert.equal((await byId.project).name, project);
      assert.ok(calls.some((c) => c.path === '/api/self/get_object_info'), 'SDK used /api/self/get_object_info');

      const missing = bt.initDataset({ datasetId: crypto.randomUUID(), state: stateA });
      await assert.rejects(missing.id);
    }));

    it('initLogger + nested traced + span.log + logFeedback → spans, merges, feedback and comments via BTQL and /v1 fetch', withLogs(async () => {
      const logger = bt.initLogger({ projectName: uniqueName('sdk-logs'), state: stateA, setCurrent: false });
      const pid = await logger.id;
      const ids = (sp) => ({ id: sp.id, spanId: sp.spanId, rootSpanId: sp.rootSpanId });
      let root;
      let mid;
      let leaf;
      const logs3Before = callsTo('/logs3').length;
      const ret = await logger.traced(async (r) => {
        root = ids(r);
        r.log({ input: { question: 'what? é ✓' }, tags: ['t-root'], metadata: { user: { name: 'ann' } } });
        await r.traced(async (m) => {
          mid = ids(m);
          m.log({ input: 'mid-in', metadata: { step: 1, keep: true } });
          await m.traced(async (l) => {
            leaf = ids(l);
            l.log({ output: { answer: 42 }, scores: { leaf_quality: 0.25 }, metrics: { tokens: 12 } });
          }, { name: 'leaf' });
          m.log({ output: 'mid-out', metadata: { step: 2 } });
        }, { name: 'mid' });
        r.log({ output: 'final', scores: { good: 1 }, metadata: { user: { id: 7 } } });
        return 'returned';
      }, { name: 'root' });
      assert.equal(ret, 'returned');
      await logger.flush();
      assert.ok(callsTo('/logs3').length > logs3Before, 'the spans went out through /logs3');
      logger.logFeedback({ id: root.id, scores: { human: 0.5 }, comment: 'looks right', tags: ['t-feedback'], metadata: { reviewer: 'bob' } });
      logger.logFeedback({ id: leaf.id, scores: { leaf_quality: 0.75 } });
      await logger.flush();
      const bad = calls.filter((c) => c.path.startsWith('/logs3') && !(c.status >= 200 && c.status < 300));
      assert.deepEqual(bad.map((c) => `${c.method} ${c.path} ${c.status}`), [], 'every /logs3 request was accepted');

      const viaBtql = (await btqlAll(dep.dataUrl, key, 'project_logs', pid, { filter: ast.eq('root_span_id', root.rootSpanId) })).rows;
      const viaFetch = (await fetchAll(dep.dataUrl, key, 'project_logs', pid)).rows;
      const all = (await btqlAll(dep.dataUrl, key, 'project_logs', pid)).rows;
      for (const [what, rows] of [['btql (trace filter)', viaBtql], ['/v1 fetch', viaFetch], ['btql (all)', all]]) {
        const m = byId(rows, what);
        assert.deepEqual([...m.keys()].sort(), [root.id, mid.id, leaf.id].sort(), `${what}: exactly the three spans (the comment is not a row)`);
        const r = m.get(root.id);
        const md = m.get(mid.id);
        const lf = m.get(leaf.id);
        // Structure.
        assert.equal(r.span_id, root.spanId);
        for (const x of [r, md, lf]) assert.equal(x.root_span_id, root.rootSpanId, `${what}: one trace`);
        assert.ok(!r.span_parents || r.span_parents.length === 0, `${what}: the root has no parents`);
        assert.deepEqual(md.span_parents, [root.spanId], `${what}: mid's parent is the root`);
        assert.deepEqual(lf.span_parents, [mid.spanId], `${what}: leaf's parent is mid`);
        assert.equal(r.is_root, true);
        assert.equal(md.is_root, false);
        assert.equal(lf.is_root, false);
        assert.equal(r.span_attributes.name, 'root');
        assert.equal(r.span_attributes.type, 'task');
        assert.equal(md.span_attributes.name, 'mid');
        assert.equal(lf.span_attributes.name, 'leaf');
        // Merged content.
        assert.deepEqual(r.input, { question: 'what? é ✓' });
        assert.equal(r.output, 'final');
        assert.deepEqual(r.metadata, { user: { name: 'ann', id: 7 } }, `${what}: metadata deep-merged across span.log calls`);
        assert.deepEqual(r.scores, { good: 1, human: 0.5 }, `${what}: feedback scores merged`);
        assert.deepEqual([...r.tags].sort(), ['t-feedback', 't-root'], `${what}: tags unioned`);
        assert.equal(md.input, 'mid-in');
        assert.equal(md.output, 'mid-out');
        assert.deepEqual(md.metadata, { step: 2, keep: true });
        assert.deepEqual(lf.output, { answer: 42 });
        assert.deepEqual(lf.scores, { leaf_quality: 0.75 }, `${what}: a feedback score replaces the logged one`);
        assert.equal(lf.metrics.tokens, 12);
        assert.equal(typeof lf.metrics.start, 'number');
        assert.ok(lf.metrics.end >= lf.metrics.start);
        for (const x of [r, md, lf]) {
          assertXact(x._xact_id, `${what} ${x.span_attributes.name} _xact_id`);
          assert.equal(x.project_id, pid);
          assert.equal(x.log_id, 'g');
        }
        assert.ok(r._xact_id > md._xact_id, `${what}: feedback made the root newer`);
        // The comment is listed under its target.
        assert.equal(r.comments?.length, 1, `${what}: one comment on the root: ${JSON.stringify(r.comments)}`);
        assert.equal(r.comments[0].comment.text, 'looks right');
        assert.equal(r.comments[0].origin.id, root.id);
        assertXact(r.comments[0]._xact_id, 'comment _xact_id');
        assert.ok(!('comments' in md) && !('comments' in lf));
        assert.ok(!rows.some((x) => x.id === r.comments[0].id), `${what}: the comment is not a row`);
      }
      assert.deepEqual(byId(viaFetch), byId(viaBtql), 'BTQL and /v1 fetch agree');
    }));

    it('comments keep their audit fields (_audit_source, _audit_metadata) as docs/storage-format.md lists them', withLogs(async () => {
      const logger = bt.initLogger({ projectName: uniqueName('sdk-comment-audit'), state: stateA, setCurrent: false });
      const id = logger.traced((sp) => { sp.log({ input: 1 }); return sp.id; });
      await logger.flush();
      logger.logFeedback({ id, comment: 'audited', metadata: { reviewer: 'carol' }, source: 'app' });
      await logger.flush();
      const rows = (await fetchAll(dep.dataUrl, key, 'project_logs', await logger.id)).rows;
      const cm = rows.find((r) => r.id === id)?.comments?.[0];
      assert.ok(cm, 'comment listed');
      assert.equal(cm._audit_source, 'app');
      assert.deepEqual(cm._audit_metadata, { reviewer: 'carol' });
    }));

    it('experiment: log ×N and a traced row with a child, flush, fetch() returns every row merged with is_root', withLogs(async () => {
      const project = uniqueName('sdk-exp-rows');
      const e = bt.init(project, { experiment: 'rows', state: stateA, setCurrent: false });
      const eid = await e.id;
      const logged = [];
      for (let i = 0; i < 5; i++) {
        const id = e.log({ input: { i }, output: `out-${i}`, expected: `exp-${i}`, scores: { correct: i % 2, partial: 0.5 }, metadata: { i, group: i < 3 ? 'a' : 'b' } });
        logged.push(id);
      }
      let tracedRoot;
      let tracedChild;
      e.traced((sp) => {
        tracedRoot = sp.id;
        sp.log({ input: 'traced-in', output: 'traced-out', scores: { t: 1 } });
        sp.traced((ch) => {
          tracedChild = ch.id;
          ch.log({ input: 'child-in', output: 'child-out' });
        }, { name: 'child' });
      }, { name: 'traced-root' });
      await e.flush();
      const btqlBefore = callsTo('/btql').length;
      const rows = await collect(e.fetch());
      assert.ok(callsTo('/btql').length > btqlBefore, 'experiment.fetch() reads through /btql');
      const btqlCall = callsTo('/btql').at(-1);
      assert.match(btqlCall.body, /"experiment"/);
      assert.ok(btqlCall.url.startsWith(dep.dataUrl), 'BTQL goes to the data plane');
      const m = byId(rows, 'experiment.fetch()');
      assert.deepEqual([...m.keys()].sort(), [...logged, tracedRoot, tracedChild].sort());
      for (let i = 0; i < 5; i++) {
        const r = m.get(logged[i]);
        assert.deepEqual(r.input, { i });
        assert.equal(r.output, `out-${i}`);
        assert.equal(r.expected, `exp-${i}`);
        assert.deepEqual(r.scores, { correct: i % 2, partial: 0.5 });
        assert.deepEqual(r.metadata, { i, group: i < 3 ? 'a' : 'b' });
        assert.equal(r.is_root, true);
        assert.equal(r.experiment_id, eid);
        assert.equal(r.span_attributes.type, 'eval');
        assertXact(r._xact_id);
      }
      const tr = m.get(tracedRoot);
      const tc = m.get(tracedChild);
      assert.equal(tr.is_root, true);
      assert.equal(tc.is_root, false);
      assert.deepEqual(tc.span_parents, [tr.span_id]);
      assert.equal(tc.root_span_id, tr.root_span_id);
      assert.equal(tr.output, 'traced-out');
      assert.equal(tc.output, 'child-out');
      // The SDK keeps rows with is_root for BaseExperiment-style reads.
      assert.equal(rows.filter((r) => r.is_root ?? r.root_span_id === r.span_id).length, 6);
      // The same rows through REST.
      const rest = byId((await fetchAll(dep.dataUrl, key, 'experiment', eid)).rows);
      assert.deepEqual(rest, m, '/v1 experiment fetch = experiment.fetch()');
    }));

    it('fetch({batchSize: 1}) pages through BTQL cursors and returns each row once', withLogs(async () => {
      const e = bt.init(uniqueName('sdk-paged'), { experiment: 'paged', state: stateA, setCurrent: false });
      const ids = [];
      for (let i = 0; i < 7; i++) ids.push(e.log({ input: i, output: i, scores: { s: 1 } }));
      await e.flush();
      const before1 = callsTo('/btql').length;
      const rows = await collect(e.fetch({ batchSize: 1 }));
      const pageCalls = callsTo('/btql').slice(before1);
      assert.ok(pageCalls.length >= 7, `one BTQL page per row, got ${pageCalls.length} pages`);
      const bodies = pageCalls.map((c) => JSON.parse(c.body));
      assert.ok(bodies.every((b) => b.query.limit === 1), 'batchSize is the BTQL limit');
      assert.ok(!('cursor' in bodies[0].query) || bodies[0].query.cursor === undefined, 'the first page has no cursor');
      assert.ok(bodies.slice(1).every((b) => typeof b.query.cursor === 'string'), 'later pages send the cursor');
      assert.equal(new Set(bodies.slice(1).map((b) => b.query.cursor)).size, bodies.length - 1, 'each page a new cursor');
      assert.equal(rows.length, 7);
      assert.deepEqual(rows.map((r) => r.id).sort(), [...ids].sort(), 'every row exactly once');
      assert.deepEqual(rows.map((r) => r.input).sort(), [0, 1, 2, 3, 4, 5, 6]);
      // Default batch size: one page.
      const before2 = callsTo('/btql').length;
      const all = await collect(e.fetch());
      assert.equal(callsTo('/btql').length - before2, 1);
      assert.deepEqual(all.map((r) => r.id).sort(), [...ids].sort());
    }));

    it('dataset: insert / update (merge) / delete, fetch, version() and pinned versions, summarize()', withLogs(async () => {
      const project = uniqueName('sdk-ds-rows');
      const ds = bt.initDataset(project, { dataset: 'rows', state: stateA });
      const dsId = await ds.id;
      const idA = ds.insert({ input: { q: 'a' }, expected: { a: 1 }, metadata: { src: 'x', nested: { k: 1 } }, tags: ['t1'] });
      const idB = ds.insert({ input: { q: 'b' }, expected: { a: 2 } });
      const idC = ds.insert({ id: 'custom-c', input: 'c', expected: 'C' });
      assert.equal(idC, 'custom-c');
      await ds.flush();
      const first = byId(await collect(ds.fetch()), 'first fetch');
      assert.deepEqual([...first.keys()].sort(), [idA, idB, idC].sort());
      const v1 = await ds.version();
      assertXact(v1, 'dataset.version()');
      assert.equal(v1, [...first.values()].map((r) => r._xact_id).sort().at(-1), 'version() = newest _xact_id');

      ds.update({ id: idA, expected: { a: 10 }, metadata: { nested: { j: 2 } }, tags: ['t2'] });
      ds.delete(idB);
      const idD = ds.insert({ input: 'd', expected: 'D' });
      await ds.flush();
      const now = byId(await collect(ds.fetch()), 'fetch after update');
      assert.deepEqual([...now.keys()].sort(), [idA, idC, idD].sort(), 'the deleted row is gone, the new one is there');
      const a = now.get(idA);
      assert.deepEqual(a.input, { q: 'a' }, 'update keeps fields it does not name');
      assert.deepEqual(a.expected, { a: 10 });
      assert.deepEqual(a.metadata, { src: 'x', nested: { k: 1, j: 2 } }, 'metadata deep-merged');
      assert.deepEqual([...a.tags].sort(), ['t1', 't2'], 'tags unioned');
      assert.equal(a.created, first.get(idA).created, 'created kept');
      assert.equal(now.get(idC).expected, 'C');
      assert.equal(now.get(idD).expected, 'D');
      for (const r of now.values()) assert.equal(r.dataset_id, dsId);
      const v2 = await ds.version();
      assert.ok(v2 > v1, `version moved on: ${v1} → ${v2}`);

      // Pinned to v1: the old state, through BTQL's version.
      for (const version of [v1, prettyXact(v1)]) {
        const before1 = callsTo('/btql').length;
        const pinned = bt.initDataset(project, { dataset: 'rows', version, state: stateA });
        const old = byId(await collect(pinned.fetch()), `pinned ${version}`);
        const sent = callsTo('/btql').slice(before1).map((c) => JSON.parse(c.body));
        assert.ok(sent.length > 0 && sent.every((b) => b.version === version), `the SDK sent version ${version}: ${JSON.stringify(sent.map((b) => b.version))}`);
        assert.deepEqual([...old.keys()].sort(), [idA, idB, idC].sort(), `pinned ${version}: the rows as of v1`);
        assert.deepEqual(old.get(idA).expected, { a: 1 });
        assert.deepEqual(old.get(idA).metadata, { src: 'x', nested: { k: 1 } });
        assert.deepEqual(old.get(idA).tags, ['t1']);
        assert.deepEqual(old.get(idB).expected, { a: 2 });
        assert.equal(await pinned.version(), version);
      }
      // summarize() reads /dataset-summary.
      const before2 = callsTo('/dataset-summary').length;
      const summary = await ds.summarize();
      assert.equal(callsTo('/dataset-summary').length - before2, 1);
      assert.equal(summary.datasetName, 'rows');
      assert.equal(summary.projectName, project);
      assert.equal(summary.dataSummary.totalRecords, 3, `totalRecords: ${JSON.stringify(summary)}`);
      const byIdDs = bt.initDataset({ datasetId: dsId, state: stateA });
      assert.equal((await byIdDs.summarize()).dataSummary.totalRecords, 3);
      assert.equal((await collect(byIdDs.fetch())).length, 3);
    }));

    it('attachments: uploaded after the row, the row holds the reference, GET /attachment and ReadonlyAttachment give the exact bytes', withLogs(async () => {
      const bytes = Buffer.concat([crypto.randomBytes(200_000), Buffer.from('\u0000end\r\n')]);
      // Without `state` an Attachment uploads through the global state (logged in
      // to org B by an earlier test); pass the logger's state.
      const att = new bt.Attachment({ data: new Blob([bytes]), filename: 'random.bin', contentType: 'application/octet-stream', state: stateA });
      const ref = { ...att.reference };
      assert.equal(ref.type, 'braintrust_attachment');
      const e = bt.init(uniqueName('sdk-att'), { experiment: 'att', state: stateA, setCurrent: false });
      const rowId = e.log({ input: { file: att, note: 'with attachment' }, output: 'ok', scores: { s: 1 } });
      const text = 'plain text attachment ✓';
      const att2 = new bt.Attachment({ data: new Blob([text]), filename: 'note.txt', contentType: 'text/plain', state: stateA });
      const ds = bt.initDataset(uniqueName('sdk-att-ds'), { dataset: 'att', state: stateA });
      const dsRow = ds.insert({ input: { doc: att2 }, expected: 'x' });
      const attachBefore = callsTo('/attachment').length;
      await e.flush();
      await ds.flush();
      assert.ok(callsTo('/attachment').filter((c) => c.method === 'POST').length - attachBefore >= 1, 'POST /attachment');
      const statuses = callsTo('/attachment/status').map((c) => JSON.parse(c.body));
      const mine = statuses.find((b) => b.key === ref.key);
      assert.ok(mine, 'POST /attachment/status for the attachment');
      assert.equal(mine.status.upload_status, 'done');
      assert.equal(mine.org_id, orgA.id);
      for (const c of [...callsTo('/attachment'), ...callsTo('/attachment/status')]) assert.ok(c.status >= 200 && c.status < 300, `${c.method} ${c.path} → ${c.status}`);

      // The row holds the reference, not the bytes.
      const eid = await e.id;
      const raw = (await btqlAll(dep.dataUrl, key, 'experiment', eid, { filter: ast.eq('id', rowId) })).rows;
      assert.equal(raw.length, 1);
      assert.deepEqual(raw[0].input, { file: ref, note: 'with attachment' });
      // Raw HTTP read: status done, download = exact bytes; the PUT reached the data plane.
      const meta = ok(await api(dep.dataUrl, '/attachment', { key, query: { key: ref.key, org_id: orgA.id, filename: ref.filename, content_type: ref.content_type } }));
      assert.deepEqual(meta.status, { upload_status: 'done' });
      assert.ok(meta.downloadUrl.startsWith(dep.dataUrl), `downloadUrl on the data plane: ${meta.downloadUrl}`);
      const dl = await fetch(meta.downloadUrl);
      assert.equal(dl.status, 200);
      assert.ok(Buffer.from(await dl.arrayBuffer()).equals(bytes), 'downloaded bytes = uploaded bytes');
      const puts = await waitForAccessLog(dep, (l) => l.method === 'PUT' && l.path.startsWith('/upload/') && l.bytes_in === bytes.length);
      assert.equal(puts.length, 1, 'the SDK PUT the bytes to the signed URL once');
      // SDK read: fetch() turns references into ReadonlyAttachment.
      const fetched = (await collect(e.fetch())).find((r) => r.id === rowId);
      assert.ok(fetched.input.file instanceof bt.ReadonlyAttachment, 'experiment.fetch() gives a ReadonlyAttachment');
      assert.deepEqual(await fetched.input.file.status(), { upload_status: 'done' });
      const blob = await fetched.input.file.data();
      assert.ok(Buffer.from(await blob.arrayBuffer()).equals(bytes), 'ReadonlyAttachment.data() = the bytes');
      const viaRef = await new bt.ReadonlyAttachment(ref, stateA).data();
      assert.ok(Buffer.from(await viaRef.arrayBuffer()).equals(bytes));
      const dsFetched = (await collect(ds.fetch())).find((r) => r.id === dsRow);
      assert.ok(dsFetched.input.doc instanceof bt.ReadonlyAttachment);
      assert.equal(await (await dsFetched.input.doc.data()).text(), text);
    }));

    if (mode === 'split') {
      it('the data-plane URL works as BRAINTRUST_APP_URL (it proxies the control plane)', withLogs(async () => {
        const s = await bt.loginToState({ appUrl: dep.dataUrl, apiKey: key, orgName: orgA.name, fetch: recFetch });
        assert.equal(s.orgId, orgA.id);
        assert.equal(String(s.apiUrl).replace(/\/+$/, ''), dep.dataUrl);
        const project = uniqueName('sdk-via-data');
        const e = bt.init(project, { experiment: 'x', state: s, setCurrent: false });
        const id = await e.id;
        assertUuid(id);
        const d = bt.initDataset(project, { dataset: 'd', state: s });
        assertUuid(await d.id);
        const viaControl = ok(await api(dep.controlUrl, `/v1/experiment/${id}`, { key }));
        assert.equal(viaControl.name, 'x');
        assert.ok(calls.some((c) => c.url.startsWith(dep.dataUrl) && c.path === '/api/experiment/register'));
      }));
    }

    it('the SDK only talked to 127.0.0.1, and wrote through /logs3 and read through /btql on the data plane', () => {
      assert.ok(calls.length > 0);
      for (const c of calls) assert.equal(new URL(c.url).hostname, '127.0.0.1');
      for (const p of ['/logs3', '/btql', '/version', '/dataset-summary', '/attachment', '/attachment/status']) {
        assert.ok(callsTo(p).length > 0, `the SDK called ${p}`);
      }
      const dataPaths = calls.filter((c) => /^\/(logs3|btql|version|dataset-summary|attachment|xact-id|upload)(\/|$)/.test(c.path));
      const elsewhere = dataPaths.filter((c) => !c.url.startsWith(dep.dataUrl));
      assert.deepEqual(elsewhere.map((c) => c.url), [], 'data-plane calls go to the api_url from login');
      const failed = dataPaths.filter((c) => !(c.status >= 200 && c.status < 300));
      assert.deepEqual(failed.map((c) => `${c.method} ${c.path} → ${c.status}`), [], 'no data-plane call failed (the SDK drops failed batches silently)');
      const cp = calls.filter((c) => c.path.startsWith('/api/'));
      assert.ok(cp.every((c) => c.url.startsWith(appUrl) || (mode === 'split' && c.url.startsWith(dep.dataUrl))));
    });
  });
}
