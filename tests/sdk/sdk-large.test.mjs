// The SDK with large data, against `serve` and the split deployment:
//   - a 20,000,000-character span input: above /version's logs3_payload_max_bytes,
//     so the SDK sends it through /logs3/overflow + PUT signedUrl + /logs3 {key};
//     read back byte-exact through BTQL and /v1 fetch;
//   - a 10,000-span trace (one root, 9,999 children) flushed once; read back
//     through BTQL with cursor paging and /v1 fetch (limit counts traces, so the
//     whole trace is one page).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { sdkSandbox } from '../lib/sdk-sandbox.mjs';
import { after, before, describe, it } from 'node:test';
import * as bt from 'braintrust';
import { SKIP_NO_BINARY, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, ok, recordingFetch } from '../lib/http.mjs';
import { assertXact, ast, btqlAll, fetchAll } from '../lib/rows.mjs';

const BIG_CHARS = 20_000_000;
const SPANS = 10_000;

function defineLargeSuite(mode) {
  describe(`braintrust SDK 3.35.0, large data, against tracevault ${mode}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let key;
    let state;
    const calls = []; // {method, path, url, status, rows?, overflowRef?}
    const sandbox = sdkSandbox('sdk-large');

    const recFetch = recordingFetch(calls, (entry, u, init) => {
      if (u.pathname === '/logs3' && typeof init?.body === 'string') {
        // Keep only what the assertions need from (possibly huge) bodies.
        const body = JSON.parse(init.body);
        if (Array.isArray(body.rows)) entry.rowIds = body.rows.map((r) => r.id);
        else entry.overflowRef = body.rows;
        entry.bytes = Buffer.byteLength(init.body);
      }
      if (u.pathname.startsWith('/upload/')) entry.bytes = typeof init?.body === 'string' ? Buffer.byteLength(init.body) : undefined;
    });
    const failedWrites = () => calls.filter((c) => (c.path.startsWith('/logs3') || c.path.startsWith('/upload/')) && !(c.status >= 200 && c.status < 300))
      .map((c) => `${c.method} ${c.path} → ${c.status}`);

    before(async () => {
      sandbox.enter();
      // initLogger enforces the SDK's in-memory queue limit (15,000 items by
      // default; a span costs 2-3 items until flushed): raise it so a single
      // flush of 10,000 spans drops nothing on the client side.
      process.env.BRAINTRUST_QUEUE_DROP_EXCEEDING_MAXSIZE = '200000';
      dep = mode === 'serve' ? await startServe() : await startSplit();
      key = dep.apiKey;
      state = await bt.loginToState({ appUrl: dep.appUrl, apiKey: key, fetch: recFetch });
    });
    after(async () => {
      sandbox.leave();
      await dep?.stop();
    });

    it(`a ${BIG_CHARS.toLocaleString('en')}-character span goes through the overflow upload and reads back byte-exact`, withLogs(async () => {
      const limit = ok(await api(dep.dataUrl, '/version')).logs3_payload_max_bytes;
      assert.ok(limit > 0 && limit < BIG_CHARS, `the data plane advertises a limit below the span size: ${limit}`);
      const head = `BEGIN-${crypto.randomUUID()}-`;
      const tail = `-END-${crypto.randomUUID()}`;
      const fill = crypto.randomBytes(Math.ceil((BIG_CHARS * 3) / 4)).toString('base64').slice(0, BIG_CHARS - head.length - tail.length);
      const big = head + fill + tail;
      assert.equal(big.length, BIG_CHARS);

      const logger = bt.initLogger({ projectName: uniqueName('sdk-big'), state, setCurrent: false });
      const pid = await logger.id;
      const spanId = logger.traced((sp) => {
        sp.log({ input: big, output: 'small output', metadata: { size: big.length } });
        return sp.id;
      }, { name: 'big-span' });
      const mark = calls.length;
      await logger.flush();
      const mine = calls.slice(mark);
      assert.deepEqual(failedWrites(), [], 'every write request was accepted');
      const ovReq = mine.filter((c) => c.path === '/logs3/overflow');
      assert.equal(ovReq.length, 1, `one POST /logs3/overflow: ${mine.map((c) => `${c.method} ${c.path}`).join(', ')}`);
      const puts = mine.filter((c) => c.method === 'PUT' && c.path.startsWith('/upload/'));
      assert.equal(puts.length, 1, 'one PUT to the signed URL');
      assert.ok(puts[0].url.startsWith(dep.dataUrl), `the signed URL is on the data plane: ${puts[0].url}`);
      assert.ok(puts[0].bytes > BIG_CHARS, `the PUT carried the payload (${puts[0].bytes} bytes)`);
      const refs = mine.filter((c) => c.overflowRef);
      assert.equal(refs.length, 1, 'one /logs3 naming the overflow key');
      assert.equal(refs[0].overflowRef.type, 'logs3_overflow');
      assert.ok(!mine.some((c) => c.path === '/logs3' && c.bytes > limit), 'no /logs3 body above the limit was sent inline');

      const same = (got, what) => {
        assert.equal(typeof got, 'string', `${what}: input is a string`);
        assert.equal(got.length, big.length, `${what}: length`);
        assert.ok(got.startsWith(head) && got.endsWith(tail), `${what}: markers at both ends`);
        assert.ok(got === big, `${what}: byte-exact`);
      };
      const viaBtql = (await btqlAll(dep.dataUrl, key, 'project_logs', pid, { filter: ast.eq('id', spanId) })).rows;
      assert.equal(viaBtql.length, 1);
      same(viaBtql[0].input, 'BTQL');
      assert.equal(viaBtql[0].output, 'small output');
      assert.deepEqual(viaBtql[0].metadata, { size: BIG_CHARS });
      assertXact(viaBtql[0]._xact_id);
      const viaFetch = (await fetchAll(dep.dataUrl, key, 'project_logs', pid)).rows;
      assert.equal(viaFetch.length, 1);
      same(viaFetch[0].input, '/v1 fetch');
      // The overflow key was consumed: a replay is refused.
      const replay = await api(dep.dataUrl, '/logs3', { key, body: { rows: refs[0].overflowRef, api_version: 2 } });
      assert.ok([400, 404].includes(replay.status), `replayed overflow key: ${replay.status}`);
    }));

    it(`a ${SPANS.toLocaleString('en')}-span trace flushed once reads back whole through BTQL paging and /v1 fetch`, withLogs(async () => {
      const logger = bt.initLogger({ projectName: uniqueName('sdk-10k'), state, setCurrent: false });
      const pid = await logger.id;
      const mark = calls.length;
      const root = logger.startSpan({ name: 'root', event: { input: 'root-in' } });
      const children = [];
      for (let i = 0; i < SPANS - 1; i++) {
        const c = root.startSpan({ name: `child-${i}`, event: { input: { i }, output: `out-${i}`, metadata: { even: i % 2 === 0 } } });
        children.push({ id: c.id, spanId: c.spanId });
        c.end();
      }
      root.log({ output: 'root-out' });
      root.end();
      await logger.flush();
      assert.deepEqual(failedWrites(), [], 'every /logs3 request was accepted');
      const sent = new Set(calls.slice(mark).flatMap((c) => c.rowIds ?? []));
      assert.equal(sent.size, SPANS, 'the SDK sent every span (none dropped client-side)');

      const check = (rows, what) => {
        assert.equal(rows.length, SPANS, `${what}: row count`);
        const m = new Map(rows.map((r) => [r.id, r]));
        assert.equal(m.size, SPANS, `${what}: each span once`);
        const roots = rows.filter((r) => r.is_root);
        assert.equal(roots.length, 1, `${what}: one root`);
        assert.equal(roots[0].id, root.id);
        assert.equal(roots[0].input, 'root-in');
        assert.equal(roots[0].output, 'root-out');
        for (const r of rows) {
          assert.equal(r.root_span_id, root.rootSpanId, `${what}: ${r.id} in the trace`);
          if (r.id !== root.id) assert.deepEqual(r.span_parents, [root.spanId], `${what}: ${r.id} under the root`);
        }
        for (const i of [0, 1, 4999, SPANS - 2]) {
          const r = m.get(children[i].id);
          assert.ok(r, `${what}: child ${i} present`);
          assert.equal(r.span_id, children[i].spanId);
          assert.deepEqual(r.input, { i });
          assert.equal(r.output, `out-${i}`);
          assert.deepEqual(r.metadata, { even: i % 2 === 0 });
          assert.equal(r.span_attributes.name, `child-${i}`);
          assert.equal(typeof r.metrics.end, 'number', `${what}: end() merged into child ${i}`);
        }
      };
      const paged = await btqlAll(dep.dataUrl, key, 'project_logs', pid, { limit: 1000 });
      assert.ok(paged.pages >= 10, `BTQL paged: ${paged.pages} pages`);
      check(paged.rows, 'BTQL (1000 per page)');
      // Pushed-down trace filter in one page.
      const one = await btqlAll(dep.dataUrl, key, 'project_logs', pid, { limit: SPANS, filter: ast.eq('root_span_id', root.rootSpanId) });
      assert.equal(one.pages, 1);
      check(one.rows, 'BTQL root_span_id filter');
      // /v1 fetch: limit counts traces; one trace = one page with every span.
      const f1 = ok(await api(dep.dataUrl, `/v1/project_logs/${pid}/fetch`, { key, query: { limit: 1 } }));
      check(f1.events, '/v1 fetch limit=1');
      if (f1.cursor) {
        const rest = ok(await api(dep.dataUrl, `/v1/project_logs/${pid}/fetch`, { key, query: { limit: 1, cursor: f1.cursor } }));
        assert.deepEqual(rest.events, [], 'nothing after the only trace');
      }
      check((await fetchAll(dep.dataUrl, key, 'project_logs', pid, { method: 'POST' })).rows, '/v1 fetch (POST, default limit)');
    }));
  });
}

defineLargeSuite('serve');
defineLargeSuite('split');
