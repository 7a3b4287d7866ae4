// The rows API by raw HTTP: /v1/{experiment,dataset,project_logs}/{id}/insert,
// /feedback and /fetch, the cross-object POST /v1/insert, fetch order and
// paging (limit counts traces; cursors pin a snapshot), and transaction ids.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, startSplit, withLogs } from '../lib/server.mjs';
import { api, assertUuid, client, ok } from '../lib/http.mjs';
import { assertXact, byId, content, currentXact, fetchAll, insertRows, makeObjects, btqlAll } from '../lib/rows.mjs';

const KINDS = ['experiment', 'dataset', 'project_logs'];

function defineRowsTests(label, start) {
  describe(`rows API: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let key;
    let c;
    const idOf = (objs, kind) => (kind === 'project_logs' ? objs.project.id : objs[kind].id);

    before(async () => {
      dep = await start();
      url = dep.dataUrl;
      key = dep.apiKey;
      c = client(url, key);
    });
    after(async () => {
      await dep?.stop();
    });

    it('insert → fetch round trip for experiment, dataset and project_logs', withLogs(async () => {
      const objs = await makeObjects(url, key, 'rt');
      for (const kind of KINDS) {
        const oid = idOf(objs, kind);
        const events = [
          { id: `given-${kind}`, input: { q: 'é ✓ 😀', n: [1, 2.5, null] }, expected: { a: true }, metadata: { m: { deep: 'x' } }, tags: ['a', 'b'] },
          { input: 'no id given' },
        ];
        if (kind !== 'dataset') {
          events.push({ id: `span-${kind}`, span_id: 'sp1', root_span_id: 'tr1', input: 'root', output: { o: 1 }, scores: { s: 0.25, n: null }, metrics: { start: 1.5, end: 2.75, tokens: 7 } });
        }
        const rowIds = await insertRows(url, key, kind, oid, events);
        assert.equal(rowIds.length, events.length, `${kind}: one row id per event`);
        assert.equal(rowIds[0], `given-${kind}`, `${kind}: a given id is kept`);
        assertUuid(rowIds[1], `${kind}: generated id`);
        if (kind !== 'dataset') assert.equal(rowIds[2], `span-${kind}`);

        const { rows } = await fetchAll(url, key, kind, oid);
        const m = byId(rows, kind);
        assert.deepEqual([...m.keys()].sort(), [...rowIds].sort(), `${kind}: fetch returns exactly the inserted rows`);
        const xacts = new Set(rows.map((r) => r._xact_id));
        assert.equal(xacts.size, 1, `${kind}: the rows of one request share one _xact_id: ${[...xacts]}`);
        for (const r of rows) {
          assertXact(r._xact_id, `${kind} row ${r.id} _xact_id`);
          assert.equal(typeof r.created, 'string', `${kind}: created is set`);
          assert.ok(!Number.isNaN(Date.parse(r.created)), `${kind}: created parses: ${r.created}`);
          assert.equal(r.is_root, true, `${kind}: a row without span_parents is a root`);
          for (const f of ['_is_merge', '_object_delete', '_merge_paths', '_array_delete']) assert.ok(!(f in r), `${kind}: ${f} is not returned`);
          if (kind === 'experiment') assert.equal(r.experiment_id, oid);
          if (kind === 'dataset') assert.equal(r.dataset_id, oid);
          if (kind === 'project_logs') assert.equal(r.log_id, 'g');
          assert.equal(r.project_id, objs.project.id, `${kind}: project_id is filled`);
        }
        const g = m.get(`given-${kind}`);
        assert.deepEqual(content(g), { id: `given-${kind}`, ...content(events[0], ['id']) }, `${kind}: content kept byte for byte`);
        assert.equal(m.get(rowIds[1]).input, 'no id given');
        if (kind === 'dataset') {
          // Dataset rows have no spans; readers still get span ids (the row id).
          assert.equal(g.span_id, g.id);
          assert.equal(g.root_span_id, g.id);
        } else {
          const s = m.get(`span-${kind}`);
          assert.equal(s.span_id, 'sp1');
          assert.equal(s.root_span_id, 'tr1');
          assert.deepEqual(s.scores, { s: 0.25, n: null });
          assert.deepEqual(s.metrics, { start: 1.5, end: 2.75, tokens: 7 });
          assert.deepEqual(s.output, { o: 1 });
        }
        // POST fetch answers the same rows as GET.
        const viaPost = await fetchAll(url, key, kind, oid, { method: 'POST' });
        assert.deepEqual(viaPost.rows, rows, `${kind}: POST fetch = GET fetch`);
        // BTQL sees the same rows.
        const viaBtql = await btqlAll(url, key, kind, oid);
        assert.deepEqual(byId(viaBtql.rows), m, `${kind}: BTQL = fetch`);
      }
    }));

    it('feedback merges scores / expected / tags, keeps its metadata out, lists comments under the row', withLogs(async () => {
      const objs = await makeObjects(url, key, 'fb');
      const eid = objs.experiment.id;
      await insertRows(url, key, 'experiment', eid, [
        { id: 'r1', input: 'in', output: 'out', expected: 'old', scores: { a: 0.1 }, tags: ['x'], metadata: { k: 1 } },
        { id: 'r2', input: 'other' },
      ]);
      const before1 = byId((await fetchAll(url, key, 'experiment', eid)).rows).get('r1');
      const fb = await c.post(`/v1/experiment/${eid}/feedback`, {
        feedback: [
          { id: 'r1', scores: { b: 0.9 }, expected: 'new', tags: ['y', 'x'], comment: 'first comment', metadata: { user: 'u1' }, source: 'app' },
          { id: 'r1', comment: 'second comment' },
          { id: 'r2', tags: ['only-tag'] },
        ],
      });
      assert.deepEqual(ok(fb, 'feedback'), { status: 'success' });
      const rows = (await fetchAll(url, key, 'experiment', eid)).rows;
      const m = byId(rows);
      assert.deepEqual([...m.keys()].sort(), ['r1', 'r2'], 'comments are not rows of their own');
      const r1 = m.get('r1');
      assert.deepEqual(r1.scores, { a: 0.1, b: 0.9 }, 'scores merged');
      assert.equal(r1.expected, 'new', 'expected replaced');
      assert.deepEqual([...r1.tags].sort(), ['x', 'y'], 'tags unioned');
      assert.deepEqual(r1.metadata, { k: 1 }, "feedback metadata is not merged into the row's metadata");
      assert.equal(r1.input, 'in');
      assert.equal(r1.output, 'out');
      assert.equal(r1.created, before1.created, 'created kept');
      assert.ok(r1._xact_id > before1._xact_id, 'feedback gives the row a newer _xact_id');
      assert.ok(Array.isArray(r1.comments), `comments listed: ${JSON.stringify(r1)}`);
      assert.deepEqual(r1.comments.map((x) => x.comment?.text), ['first comment', 'second comment'], 'comments oldest first');
      for (const cm of r1.comments) {
        assert.equal(cm.origin?.id, 'r1');
        assertUuid(cm.id, 'comment id');
        assertXact(cm._xact_id, 'comment _xact_id');
        assert.equal(typeof cm.created, 'string');
      }
      assert.equal(r1.comments[0]._audit_source, 'app', 'a comment keeps who wrote it');
      assert.deepEqual(r1.comments[0]._audit_metadata, { user: 'u1' });
      assert.equal(r1.comments[1]._audit_source, 'external', 'feedback source defaults to external');
      assert.deepEqual(m.get('r2').tags, ['only-tag']);
      assert.ok(!('comments' in m.get('r2')));

      // Datasets take no scores.
      await insertRows(url, key, 'dataset', objs.dataset.id, [{ id: 'd1', input: 1, expected: 2 }]);
      const bad = await c.post(`/v1/dataset/${objs.dataset.id}/feedback`, { feedback: [{ id: 'd1', scores: { s: 1 } }] });
      assert.equal(bad.status, 400, bad.text);
      const dfb = ok(await c.post(`/v1/dataset/${objs.dataset.id}/feedback`, { feedback: [{ id: 'd1', expected: 3, comment: 'ds comment' }] }));
      assert.deepEqual(dfb, { status: 'success' });
      const d = (await fetchAll(url, key, 'dataset', objs.dataset.id)).rows;
      assert.equal(d.length, 1, `dataset comment is not a row: ${JSON.stringify(d)}`);
      assert.equal(d[0].expected, 3);
      assert.deepEqual(d[0].comments.map((x) => x.comment.text), ['ds comment']);
      // Project logs feedback.
      await insertRows(url, key, 'project_logs', objs.project.id, [{ id: 'l1', input: 'q', scores: { z: 0 } }]);
      ok(await c.post(`/v1/project_logs/${objs.project.id}/feedback`, { feedback: [{ id: 'l1', scores: { z: 1 } }] }));
      const l = (await fetchAll(url, key, 'project_logs', objs.project.id)).rows;
      assert.deepEqual(l.map((r) => [r.id, r.scores]), [['l1', { z: 1 }]]);
    }));

    it('POST /v1/insert writes several objects in one transaction and answers row ids per object', withLogs(async () => {
      const objs = await makeObjects(url, key, 'x');
      const E = objs.experiment.id;
      const D = objs.dataset.id;
      const P = objs.project.id;
      await insertRows(url, key, 'experiment', E, [{ id: 'e0', input: 'pre', scores: { a: 0 } }]);
      const r = await c.post('/v1/insert', {
        experiment: { [E]: { events: [{ id: 'e1', input: 1 }, { input: 2 }], feedback: [{ id: 'e0', scores: { a: 1 } }] } },
        dataset: { [D]: { events: [{ id: 'd1', input: 'di', expected: 'de' }] } },
        project_logs: { [P]: { events: [{ id: 'p1', input: 'pi' }, { id: 'p2', input: 'pj' }] } },
      });
      const body = ok(r, '/v1/insert');
      assert.deepEqual(Object.keys(body).sort(), ['dataset', 'experiment', 'project_logs']);
      const eIds = body.experiment[E].row_ids;
      assert.equal(eIds.length, 2, `experiment row ids are the events' ids: ${JSON.stringify(body)}`);
      assert.equal(eIds[0], 'e1');
      assertUuid(eIds[1]);
      assert.deepEqual(body.dataset[D].row_ids, ['d1']);
      assert.deepEqual(body.project_logs[P].row_ids, ['p1', 'p2']);

      const e = byId((await fetchAll(url, key, 'experiment', E)).rows);
      const d = byId((await fetchAll(url, key, 'dataset', D)).rows);
      const p = byId((await fetchAll(url, key, 'project_logs', P)).rows);
      assert.deepEqual([...e.keys()].sort(), ['e0', 'e1', eIds[1]].sort());
      assert.deepEqual(e.get('e0').scores, { a: 1 }, 'feedback in /v1/insert merged');
      assert.equal(d.get('d1').expected, 'de');
      assert.deepEqual([...p.keys()].sort(), ['p1', 'p2']);
      // One request, one transaction: every row it wrote has the same _xact_id.
      const xs = new Set([e.get('e0'), e.get('e1'), e.get(eIds[1]), d.get('d1'), p.get('p1'), p.get('p2')].map((x) => x._xact_id));
      assert.equal(xs.size, 1, `rows of one /v1/insert share one _xact_id: ${[...xs]}`);
    }));

    it('fetch is newest first; limit counts traces (a whole trace per page); BTQL limit counts rows', withLogs(async () => {
      const objs = await makeObjects(url, key, 'order');
      const P = objs.project.id;
      const trace = (t, n) => [
        { id: `${t}-root`, span_id: `${t}-root`, root_span_id: t, input: `${t} root` },
        ...Array.from({ length: n }, (_, i) => ({ id: `${t}-c${i}`, span_id: `${t}-c${i}`, root_span_id: t, span_parents: [`${t}-root`], input: i })),
      ];
      await insertRows(url, key, 'project_logs', P, trace('t1', 2));
      await insertRows(url, key, 'project_logs', P, trace('t2', 1));
      await insertRows(url, key, 'project_logs', P, trace('t3', 0));
      const pages = [];
      let cursor;
      do {
        const r = ok(await c.get(`/v1/project_logs/${P}/fetch`, { query: { limit: 1, cursor } }));
        pages.push(r.events);
        cursor = r.cursor;
        assert.ok(pages.length <= 4, 'paging ends');
      } while (cursor && pages[pages.length - 1].length);
      const nonEmpty = pages.filter((p) => p.length);
      assert.deepEqual(nonEmpty.map((p) => [...new Set(p.map((r) => r.root_span_id))]), [['t3'], ['t2'], ['t1']], 'one whole trace per page, newest first');
      assert.deepEqual(nonEmpty.map((p) => p.length), [1, 2, 3]);
      const all = nonEmpty.flat();
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]._xact_id >= all[i]._xact_id, 'newest first');
      for (const r of all) assert.equal(r.is_root, r.id.endsWith('-root'), `is_root of ${r.id}`);
      // limit=2 → two traces (3 rows)
      const two = ok(await c.get(`/v1/project_logs/${P}/fetch`, { query: { limit: 2 } }));
      assert.deepEqual([...new Set(two.events.map((r) => r.root_span_id))], ['t3', 't2']);
      assert.equal(two.events.length, 3);
      assert.ok(two.cursor, 'a cursor when more traces follow');
      // Updating one span of t1 makes t1 the newest trace.
      await insertRows(url, key, 'project_logs', P, [{ id: 't1-c1', _is_merge: true, output: 'late' }]);
      const first = ok(await c.get(`/v1/project_logs/${P}/fetch`, { query: { limit: 1 } }));
      assert.deepEqual([...new Set(first.events.map((r) => r.root_span_id))], ['t1']);
      assert.equal(first.events.length, 3, 'the whole trace, not only the updated span');
      assert.equal(first.events[0].id, 't1-c1', 'newest row first within the trace');
      // BTQL: limit counts rows.
      const b = await btqlAll(url, key, 'project_logs', P, { limit: 2 });
      assert.equal(b.rows.length, 6);
      assert.equal(b.pages, 3, 'six rows at two per page');
      assert.equal(new Set(b.rows.map((r) => r.id)).size, 6);
      assert.equal(b.rows[0].id, 't1-c1');
      for (let i = 1; i < b.rows.length; i++) assert.ok(b.rows[i - 1]._xact_id >= b.rows[i]._xact_id, 'BTQL newest first');
      // limit=0 → nothing, no cursor.
      const zero = ok(await c.get(`/v1/project_logs/${P}/fetch`, { query: { limit: 0 } }));
      assert.deepEqual(zero.events, []);
      assert.ok(!zero.cursor);
    }));

    async function snapshotPagingUnderWrites(kind, readPage) {
      const objs = await makeObjects(url, key, `cur-${kind}`);
      const oid = idOf(objs, kind);
      // 24 single-row traces in 8 requests.
      for (let b = 0; b < 8; b++) {
        await insertRows(url, key, kind, oid, [0, 1, 2].map((i) => ({ id: `r${b * 3 + i}`, input: `v0-${b * 3 + i}`, metadata: { b } })));
      }
      const snapshot = byId((await fetchAll(url, key, kind, oid)).rows);
      assert.equal(snapshot.size, 24);
      const seen = [];
      let page = await readPage(oid, undefined);
      seen.push(...page.rows);
      let writer = 0;
      while (page.cursor) {
        // Between pages (and while a page is read): new rows, updates of
        // rows not yet seen, a delete — none may show up under this cursor.
        const w = writer++;
        const writes = Promise.all([
          insertRows(url, key, kind, oid, [{ id: `new-${w}`, input: 'new' }]),
          insertRows(url, key, kind, oid, [{ id: `r${w}`, _is_merge: true, input: `changed-${w}` }]),
          w === 3 ? insertRows(url, key, kind, oid, [{ id: 'r20', _object_delete: true }]) : null,
        ]);
        const [next] = await Promise.all([readPage(oid, page.cursor), writes]);
        page = next;
        seen.push(...page.rows);
        assert.ok(writer < 40, 'paging ends');
      }
      assert.ok(writer >= 3, `expected several pages, got ${writer + 1}`);
      const got = byId(seen, `${kind} pages`);
      assert.deepEqual([...got.keys()].sort(), [...snapshot.keys()].sort(), `${kind}: pages = the rows of the first page's snapshot`);
      for (const [id, row] of got) assert.deepEqual(row, snapshot.get(id), `${kind}: ${id} as of the snapshot`);
      // A fresh read sees the writes.
      const now = byId((await fetchAll(url, key, kind, oid)).rows);
      assert.ok(now.has('new-0'));
      assert.ok(!now.has('r20'));
      assert.equal(now.get('r0').input, 'changed-0');
    }

    it('fetch cursors page a fixed snapshot while rows are inserted, updated and deleted', withLogs(async () => {
      await snapshotPagingUnderWrites('experiment', async (oid, cursor) => {
        const r = ok(await c.get(`/v1/experiment/${oid}/fetch`, { query: { limit: 5, cursor } }));
        return { rows: r.events, cursor: r.events.length ? r.cursor : undefined };
      });
    }));

    it('BTQL cursors page a fixed snapshot while rows are inserted, updated and deleted', withLogs(async () => {
      await snapshotPagingUnderWrites('dataset', async (oid, cursor) => {
        const r = ok(await c.post('/btql', { query: { select: [{ op: 'star' }], from: { op: 'function', name: { op: 'ident', name: ['dataset'] }, args: [{ op: 'literal', value: oid }] }, limit: 5, cursor } }));
        return { rows: r.data, cursor: r.cursor ?? undefined };
      });
    }));

    it('transaction ids: one per request, increasing across requests, /xact-id is text and ≥ every _xact_id', withLogs(async () => {
      const objs = await makeObjects(url, key, 'xact');
      const E = objs.experiment.id;
      const x0 = await currentXact(url, key);
      // Sequential requests: strictly increasing.
      const seq = [];
      for (let i = 0; i < 4; i++) {
        await insertRows(url, key, 'experiment', E, [{ id: `s${i}a`, input: i }, { id: `s${i}b`, input: i }]);
        seq.push(await currentXact(url, key));
      }
      // Concurrent requests: each its own id, shared by its rows.
      const par = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        insertRows(url, key, 'experiment', E, Array.from({ length: 5 }, (_, j) => ({ id: `p${i}-${j}`, input: j })))));
      const m = byId((await fetchAll(url, key, 'experiment', E)).rows);
      assert.equal(m.size, 8 + 40);
      const reqX = [];
      for (let i = 0; i < 4; i++) {
        const a = m.get(`s${i}a`)._xact_id;
        assert.equal(m.get(`s${i}b`)._xact_id, a, `request s${i}: rows share one _xact_id`);
        assert.ok(a > x0, 'newer than the watermark before the writes');
        assert.ok(a <= seq[i], `/xact-id after request ${i} is ≥ its _xact_id`);
        if (i > 0) assert.ok(a > reqX[i - 1], 'increasing across sequential requests');
        reqX.push(a);
      }
      const parX = par.map((ids) => {
        const xs = new Set(ids.map((id) => m.get(id)._xact_id));
        assert.equal(xs.size, 1, `concurrent request rows share one _xact_id: ${[...xs]}`);
        return [...xs][0];
      });
      assert.equal(new Set(parX).size, 8, `concurrent requests get distinct _xact_ids: ${parX}`);
      for (const x of parX) assert.ok(x > reqX[3]);
      const wm = await api(url, '/xact-id', { key });
      assert.equal(wm.status, 200);
      assert.match(wm.headers.get('content-type') ?? '', /^text\/plain/, '/xact-id is text');
      const top = wm.text.trim();
      assertXact(top, '/xact-id');
      for (const r of m.values()) assert.ok(top >= r._xact_id, `/xact-id ${top} ≥ ${r._xact_id}`);
      // An empty events list writes nothing and keeps the watermark.
      const empty = ok(await c.post(`/v1/experiment/${E}/insert`, { events: [] }));
      assert.deepEqual(empty.row_ids, []);
      assert.equal(await currentXact(url, key), top);
    }));

    it('ids are opaque strings: unicode, slashes, long ids round-trip; fetch by another id type is separate', withLogs(async () => {
      const objs = await makeObjects(url, key, 'ids');
      const E = objs.experiment.id;
      const ids = ['with/slash', 'ünïcødé-😀', 'x'.repeat(1000), ' spaced ', crypto.randomUUID()];
      const rowIds = await insertRows(url, key, 'experiment', E, ids.map((id, i) => ({ id, input: i })));
      assert.deepEqual(rowIds, ids);
      const m = byId((await fetchAll(url, key, 'experiment', E)).rows);
      assert.deepEqual([...m.keys()].sort(), [...ids].sort());
      ids.forEach((id, i) => assert.equal(m.get(id).input, i));
      // The same id in another object is another row.
      await insertRows(url, key, 'dataset', objs.dataset.id, [{ id: ids[0], input: 'ds' }]);
      assert.equal(byId((await fetchAll(url, key, 'experiment', E)).rows).get(ids[0]).input, 0);
    }));
  });
}

defineRowsTests('serve', () => startServe());
defineRowsTests('control + data (via data-plane URL)', () => startSplit());
