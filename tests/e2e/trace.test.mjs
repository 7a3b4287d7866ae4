// The trace view in the browser, on serve and split: an Eval() run by the real
// SDK opens as a span tree with kinds, nesting and durations; a span's input
// and output are fetched when it is selected (a 1 MB output too, cut with
// "show all"), and markup in logged data shows as text; a human score and a
// comment saved in the page are read back by the SDK; a 10,000-span trace
// inserted with POST /logs3 opens and its last span is reachable; an unknown
// trace and another organization's experiment show "Not found".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, ok } from '../lib/http.mjs';
import { SKIP_NO_BINARY, uniqueName } from '../lib/server.mjs';
import {
  SKIP_NO_BROWSER,
  allowStatus,
  axe,
  deployments,
  openBrowser,
  sdk,
  shot,
  signIn,
  startApp,
  withPage,
} from './lib/harness.mjs';

const SKIP = SKIP_NO_BINARY || SKIP_NO_BROWSER;
const MARKUP = '<script>window.__tvPwned = 1</script><img src=x onerror="window.__tvPwned = 2"> **bold** [x](javascript:alert(1))';
const BIG_LENGTH = 1_000_000;
const GROUPS = 99; // the 10,000-span trace: a root, 99 groups, 100 leaves in each
const LEAVES = 100;

let browser;
before(async () => {
  if (!SKIP) browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

async function btqlRows(app, query) {
  const r = await api(app.dataUrl, '/btql', { key: app.apiKey, body: { query, fmt: 'json' } });
  assert.equal(r.status, 200, `btql ${query}: ${r.text.slice(0, 300)}`);
  return r.json.data;
}

/** The rows of a trace of 1 + GROUPS × (1 + LEAVES) spans, one second per group. */
function bigTraceRows(projectId, rootSpanId) {
  const t0 = 1_800_000_000;
  const base = { project_id: projectId, log_id: 'g', root_span_id: rootSpanId };
  const rows = [
    { ...base, id: `${rootSpanId}-row`, span_id: rootSpanId, span_attributes: { name: 'big root', type: 'task' }, metrics: { start: t0, end: t0 + GROUPS }, input: 'root input' },
  ];
  for (let g = 0; g < GROUPS; g++) {
    const gid = `${rootSpanId}-g${g}`;
    rows.push({ ...base, id: `${gid}-row`, span_id: gid, span_parents: [rootSpanId], span_attributes: { name: `group ${g}`, type: 'function' }, metrics: { start: t0 + g, end: t0 + g + 1 } });
    for (let i = 0; i < LEAVES; i++) {
      rows.push({
        ...base,
        id: `${gid}-${i}-row`,
        span_id: `${gid}-${i}`,
        span_parents: [gid],
        span_attributes: { name: `leaf ${g}.${i}`, type: i % 2 ? 'llm' : 'tool' },
        metrics: { start: t0 + g + i / LEAVES, end: t0 + g + (i + 1) / LEAVES },
        output: `output of leaf ${g}.${i}`,
        ...(g === 0 && i === 1 ? { error: 'Timed out <b>upstream</b>' } : {}),
      });
    }
  }
  return rows;
}

/** What the tree shows as a span's duration (web/src/components/format.ts, formatDuration). */
function shownDuration(metrics) {
  const s = Math.max(0, metrics.end - metrics.start);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(2)} s`;
  return `${Math.floor(s / 60)} m ${Math.round(s % 60)} s`;
}

for (const kind of deployments()) {
  describe(`the trace view (${kind})`, { skip: SKIP }, () => {
    let app;
    let project;
    let experiment;
    let experimentId;
    let projectId;
    let markupRoot; // root_span_id of the Eval row whose input holds markup
    let bigRoot; // root_span_id of the Eval row whose output is 1 MB
    const hugeRoot = `huge-${Math.random().toString(16).slice(2)}`;
    const tracePath = (type, id, root) =>
      `/app/${encodeURIComponent(app.orgName)}/p/${encodeURIComponent(project)}/trace/${type}/${encodeURIComponent(id)}/${encodeURIComponent(root)}`;

    before(async () => {
      app = await startApp(kind);
      project = uniqueName('trace-proj');
      experiment = uniqueName('trace-exp');
      const run = await sdk(app).runOk(`
        function exact({ output, expected }) { return output === expected ? 1 : 0; }
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        const r = await bt.Eval(${JSON.stringify(project)}, {
          experimentName: ${JSON.stringify(experiment)},
          data: [
            { input: { q: ${JSON.stringify(MARKUP)} }, expected: 'fine' },
            { input: { q: 'big' }, expected: 'fine' },
          ],
          task: async (input) => {
            await bt.traced(async (s) => {
              s.log({ input: [{ role: 'user', content: input.q }], output: 'answer from the model', metrics: { prompt_tokens: 7, completion_tokens: 3 } });
              await sleep(20);
            }, { name: 'chat', type: 'llm' });
            await bt.traced(async (s) => s.log({ input: 'lookup-in', output: 'lookup-out' }), { name: 'lookup', type: 'tool' });
            return input.q === 'big' ? 'B'.repeat(${BIG_LENGTH}) : 'fine';
          },
          scores: [exact],
        });
        console.log('SEED ' + JSON.stringify({ experimentId: r.summary.experimentId, projectId: r.summary.projectId }));
      `);
      const seed = JSON.parse(/^SEED (.*)$/m.exec(run.stdout)[1]);
      experimentId = seed.experimentId;
      projectId = seed.projectId;
      const roots = await btqlRows(app, `from: experiment('${experimentId}') spans | filter: is_root | select: root_span_id, input`);
      markupRoot = roots.find((r) => r.input?.q === MARKUP).root_span_id;
      bigRoot = roots.find((r) => r.input?.q === 'big').root_span_id;
      const ins = await api(app.dataUrl, '/logs3', { key: app.apiKey, body: { rows: bigTraceRows(projectId, hugeRoot), api_version: 2 } });
      assert.equal(ins.status, 200, ins.text.slice(0, 300));
    });
    after(async () => {
      await app?.stop();
    });

    it('the tree shows the spans with their kinds, nesting and durations, and subtrees collapse', () =>
      withPage(browser, `${kind} trace-tree`, async (page) => {
        const spans = await btqlRows(
          app,
          `from: experiment('${experimentId}') spans | filter: root_span_id = '${markupRoot}' | select: span_attributes, metrics`,
        );
        const metricsOf = (name) => spans.find((s) => s.span_attributes.name === name).metrics;
        await signIn(page, app, { next: tracePath('experiment', experimentId, markupRoot) });
        const tree = page.getByRole('tree', { name: 'Spans' });
        const item = (name) => tree.getByRole('treeitem', { name, exact: true });
        const want = [
          ['eval', 'eval', 1],
          ['task', 'task', 2],
          ['chat', 'llm', 3],
          ['lookup', 'tool', 3],
          ['exact', 'score', 2],
        ];
        for (const [name, type, level] of want) {
          const row = item(`${name}, ${type}, ${shownDuration(metricsOf(name))}`);
          await row.waitFor();
          assert.equal(await row.getAttribute('aria-level'), String(level), `${name} sits at level ${level}`);
          assert.equal(await row.locator('.span-kind').innerText(), type, `${name} shows its kind`);
          assert.equal(await row.locator('.trace-bar').count(), 1, `${name} has a waterfall bar`);
        }
        // In order: the task (and its children) before the scorer, which ran after it.
        const names = await tree.getByRole('treeitem').evaluateAll((els) => els.map((e) => e.querySelector('.trace-row-name').textContent));
        assert.deepEqual(names, ['eval', 'task', 'chat', 'lookup', 'exact']);
        await page.getByText(/^5 spans/).waitFor();
        await shot(page, 'tree');
        await axe(page);

        const toggle = page.getByRole('button', { name: 'Collapse task' });
        assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
        await toggle.click();
        await page.getByRole('button', { name: 'Expand task' }).waitFor();
        assert.equal(await tree.getByRole('treeitem').count(), 3, 'chat and lookup are hidden');
        await page.getByRole('button', { name: 'Expand task' }).click();
        await tree.getByRole('treeitem', { name: /^chat, llm/ }).waitFor();

        // Keyboard: from the root, Down twice reaches chat, Enter selects it.
        await tree.focus();
        await page.keyboard.press('Home');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        await page.getByRole('region', { name: 'Span chat' }).waitFor();
        await page.keyboard.press('ArrowLeft'); // to the parent, task
        await page.keyboard.press('ArrowLeft'); // collapses task
        await page.getByRole('button', { name: 'Expand task' }).waitFor();
        await page.keyboard.press('ArrowRight');
        await page.getByRole('button', { name: 'Collapse task' }).waitFor();
      }));

    it('selecting a span fetches its input and output; markup in them is text', () =>
      withPage(browser, `${kind} trace-detail`, async (page) => {
        const queries = [];
        page.on('request', (r) => {
          if (new URL(r.url()).pathname === '/btql') queries.push(JSON.parse(r.postData()).query);
        });
        await signIn(page, app, { next: tracePath('experiment', experimentId, markupRoot) });
        const detail = page.getByRole('region', { name: 'Span eval' });
        await detail.getByRole('heading', { name: 'Input' }).waitFor();
        const light = queries.find((q) => q.includes(`root_span_id = '${markupRoot}'`));
        assert.ok(light && /select: /.test(light) && !/\binput\b|\boutput\b|\bmetadata\b/.test(light.split('select:')[1]), `the tree's query leaves payloads out: ${light}`);

        await page.getByRole('treeitem', { name: /^chat, llm/ }).click();
        const chat = page.getByRole('region', { name: 'Span chat' });
        await chat.getByText('"answer from the model"').waitFor();
        assert.ok(queries.some((q) => /filter: id = '/.test(q)), 'the span was fetched by its row id');
        const input = chat.locator('section', { has: page.getByRole('heading', { name: 'Input' }) });
        await input.getByText(JSON.stringify(MARKUP), { exact: false }).waitFor(); // a JSON string, as text
        assert.equal(await page.locator('.span-detail img, .span-detail script, .span-detail a[href^="javascript"]').count(), 0);
        assert.equal(await page.evaluate(() => window.__tvPwned), undefined, 'no logged script ran');
        const metrics = chat.locator('section', { has: page.getByRole('heading', { name: 'Metrics' }) });
        await metrics.getByText('"prompt_tokens": ').waitFor();

        // Back to a span seen before: from the cache, no new query.
        const before = queries.length;
        await page.getByRole('treeitem', { name: /^eval, eval/ }).click();
        await page.getByRole('region', { name: 'Span eval' }).getByRole('heading', { name: 'Output' }).waitFor();
        assert.equal(queries.length, before, 'a span is fetched once');
        assert.match(new URL(page.url()).search, /span=/, 'the selection is in the URL');
        await shot(page, 'detail-markup');
        await axe(page);
      }));

    it('a 1 MB output is fetched on demand and cut, with "show all"', () =>
      withPage(browser, `${kind} trace-big`, async (page) => {
        const sizes = [];
        page.on('response', (r) => {
          if (new URL(r.url()).pathname !== '/btql') return;
          const query = JSON.parse(r.request().postData()).query;
          sizes.push(r.body().then((b) => ({ query, bytes: b.length })));
        });
        await signIn(page, app, { next: tracePath('experiment', experimentId, bigRoot) });
        const detail = page.getByRole('region', { name: 'Span eval' });
        const show = detail.getByRole('button', { name: `… show all ${BIG_LENGTH.toLocaleString('en-US')} characters` });
        await show.first().waitFor();
        const answers = await Promise.all(sizes);
        const light = answers.find((s) => s.query.includes('root_span_id ='));
        assert.ok(light && light.bytes < 100_000, `the tree's answer is small: ${light?.bytes}`);
        assert.ok(answers.some((s) => /filter: id = /.test(s.query) && s.bytes > BIG_LENGTH), 'the payload came with the selection');
        const output = detail.locator('section', { has: page.getByRole('heading', { name: 'Output' }) });
        assert.ok((await output.innerText()).length < 10_000, 'the string is cut');
        await shot(page, 'big-cut');

        // The page still answers: another span, then back, then the whole string.
        await page.getByRole('treeitem', { name: /^lookup, tool/ }).click();
        await page.getByRole('region', { name: 'Span lookup' }).getByText('"lookup-out"').waitFor();
        await page.getByRole('treeitem', { name: /^eval, eval/ }).click();
        await show.first().click();
        await page.waitForFunction(
          (n) => [...document.querySelectorAll('.span-detail .json-string')].some((e) => e.textContent.length > n),
          BIG_LENGTH,
        );
        await page.getByRole('treeitem', { name: /^chat, llm/ }).click();
        await page.getByRole('region', { name: 'Span chat' }).getByText('"answer from the model"').waitFor();
        await axe(page);
      }));

    it('a human score and a comment are saved and the SDK reads them back', () =>
      withPage(browser, `${kind} trace-feedback`, async (page) => {
        await signIn(page, app, { next: tracePath('experiment', experimentId, markupRoot) });
        await page.getByRole('treeitem', { name: /^chat, llm/ }).click();
        const chat = page.getByRole('region', { name: 'Span chat' });
        await chat.getByRole('heading', { name: 'Input' }).waitFor();
        const rowId = (await chat.locator('.span-facts dd.mono').innerText()).trim();

        // The scorer's name is offered; a new name is typed.
        const select = chat.getByLabel('Score', { exact: true });
        await select.locator('option', { hasText: 'exact' }).waitFor({ state: 'attached' });
        await select.selectOption({ label: 'New score…' });
        await chat.getByLabel('New score name').fill('helpfulness');
        await chat.getByLabel('Score value (0 to 1)').fill('1.5');
        await chat.getByRole('button', { name: 'Save' }).click();
        await chat.getByRole('alert').getByText('A score is a number from 0 to 1.').waitFor();
        await chat.getByLabel('Score value (0 to 1)').fill('0.75');
        const comment = 'Right answer, <b>too long</b> <img src=x onerror="window.__tvPwned = 3">';
        await chat.getByLabel('Comment', { exact: true }).fill(comment);
        await chat.getByRole('button', { name: 'Save' }).click();
        await chat.getByRole('status').getByText('Saved.').waitFor();
        // Re-fetched: the score in the span's scores, the comment listed as text.
        const scores = chat.locator('section', { has: page.getByRole('heading', { name: 'Scores' }) });
        await scores.getByRole('row', { name: /helpfulness 75\.0%/ }).waitFor();
        await chat.locator('.feedback-comments li').getByText(comment).waitFor();
        assert.equal(await page.locator('.span-detail img').count(), 0);
        await page.getByRole('list', { name: 'Trace scores' }).getByText('helpfulness').waitFor();
        await shot(page, 'feedback');
        await axe(page);

        const read = await sdk(app).runOk(`
          const e = bt.init(${JSON.stringify(project)}, { experiment: ${JSON.stringify(experiment)}, open: true });
          const rows = [];
          for await (const r of e.fetch()) rows.push(r);
          const row = rows.find((r) => r.id === ${JSON.stringify(rowId)});
          console.log('ROW ' + JSON.stringify({ scores: row?.scores, comments: row?.comments }));
        `);
        const row = JSON.parse(/^ROW (.*)$/m.exec(read.stdout)[1]);
        assert.equal(row.scores?.helpfulness, 0.75, `the SDK reads the score: ${JSON.stringify(row)}`);
        assert.equal(row.comments?.length, 1, `the SDK reads the comment: ${JSON.stringify(row)}`);
        assert.equal(row.comments[0].comment.text, comment);
        assert.equal(row.comments[0]._audit_source, 'app');
      }));

    it('a 10,000-span trace opens, and its last span is reachable by scrolling and by keyboard', () =>
      withPage(browser, `${kind} trace-10k`, async (page) => {
        const queries = [];
        page.on('request', (r) => {
          if (new URL(r.url()).pathname === '/btql') queries.push(JSON.parse(r.postData()).query);
        });
        await signIn(page, app, { next: tracePath('project_logs', projectId, hugeRoot) });
        const tree = page.getByRole('tree', { name: 'Spans' });
        await tree.getByRole('treeitem', { name: /^big root, task/ }).waitFor();
        await page.getByRole('region', { name: 'Span big root' }).getByText('"root input"').waitFor();
        // The logs' score names (a scan of every row) are read only when a review starts.
        assert.ok(!queries.some((q) => q.includes('unpivot')), `no score-name scan at open: ${queries.join(' ; ')}`);
        const names = page.waitForRequest((r) => new URL(r.url()).pathname === '/btql' && r.postData().includes('unpivot'));
        await page.getByLabel('Score', { exact: true }).focus();
        await names;
        await page.getByText(/^10,000 spans/).waitFor();
        await page.getByText('1 with errors').waitFor();
        await tree.getByRole('treeitem', { name: 'leaf 0.1, llm, 10 ms, error' }).click();
        const failed = page.getByRole('region', { name: 'Span leaf 0.1' });
        await failed.locator('section', { has: page.getByRole('heading', { name: 'Error' }) }).getByText('"Timed out <b>upstream</b>"').waitFor();
        const inDom = await tree.getByRole('treeitem').count();
        assert.ok(inDom > 10 && inDom < 200, `only the rows in view are in the page: ${inDom}`);
        await shot(page, 'huge-top');

        const last = `leaf ${GROUPS - 1}.${LEAVES - 1}`;
        await tree.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await tree.getByRole('treeitem', { name: new RegExp(`^${last.replace('.', '\\.')}, llm`) }).click();
        const detail = page.getByRole('region', { name: `Span ${last}` });
        await detail.getByText(`"output of ${last}"`).waitFor();
        await shot(page, 'huge-bottom');

        // Keyboard: Home, then End selects the last one again after collapsing a group.
        await tree.focus();
        await page.keyboard.press('Home');
        await tree.getByRole('treeitem', { name: /^big root/ }).waitFor();
        await page.getByRole('button', { name: 'Collapse group 0' }).click();
        await page.getByRole('button', { name: 'Expand group 0' }).waitFor();
        await tree.focus();
        await page.keyboard.press('End');
        await page.keyboard.press('ArrowUp');
        await page.keyboard.press('Enter');
        await page.getByRole('region', { name: `Span leaf ${GROUPS - 1}.${LEAVES - 2}` }).waitFor();
        await axe(page);
      }));

    it('spans whose parents are missing or loop, and unfinished spans, still show once each', () =>
      withPage(browser, `${kind} trace-odd`, async (page) => {
        const root = `odd-${Math.random().toString(16).slice(2)}`;
        const base = { project_id: projectId, log_id: 'g', root_span_id: root };
        const t0 = 1_800_000_000;
        const rows = [
          { ...base, id: `${root}-r`, span_id: root, span_attributes: { name: 'odd root', type: 'task' }, metrics: { start: t0, end: t0 + 2 } },
          { ...base, id: `${root}-o`, span_id: `${root}-o`, span_parents: ['not-in-this-trace'], span_attributes: { name: 'orphan', type: 'tool' }, metrics: { start: t0 + 0.5, end: t0 + 1 } },
          { ...base, id: `${root}-a`, span_id: `${root}-a`, span_parents: [`${root}-b`], span_attributes: { name: 'loop a', type: 'function' }, metrics: { start: t0 + 1, end: t0 + 1.5 } },
          { ...base, id: `${root}-b`, span_id: `${root}-b`, span_parents: [`${root}-a`], span_attributes: { name: 'loop b', type: 'function' }, metrics: { start: t0 + 1.2, end: t0 + 1.4 } },
          { ...base, id: `${root}-u`, span_id: `${root}-u`, span_parents: [root], span_attributes: { name: 'unfinished <i>x</i>', type: 'made-up kind' }, metrics: { start: t0 + 1 } },
        ];
        const ins = await api(app.dataUrl, '/logs3', { key: app.apiKey, body: { rows, api_version: 2 } });
        assert.equal(ins.status, 200, ins.text);
        await signIn(page, app, { next: tracePath('project_logs', projectId, root) });
        const tree = page.getByRole('tree', { name: 'Spans' });
        await tree.getByRole('treeitem', { name: /^odd root/ }).waitFor();
        await page.getByText(/^5 spans/).waitFor();
        const shown = await tree.getByRole('treeitem').evaluateAll((els) =>
          els.map((e) => [e.querySelector('.trace-row-name').textContent, e.getAttribute('aria-level')]),
        );
        assert.deepEqual(shown, [
          ['odd root', '1'],
          ['unfinished <i>x</i>', '2'],
          ['orphan', '1'],
          ['loop a', '1'],
          ['loop b', '2'],
        ]);
        const unfinished = tree.getByRole('treeitem', { name: 'unfinished <i>x</i>, made-up kind' });
        assert.equal(await unfinished.locator('.trace-row-duration').innerText(), '—');
        assert.equal(await page.locator('.trace-tree i').count(), 0, 'a span name is text');
        await shot(page, 'odd');
        await axe(page);
      }));

    it("an unknown trace and another organization's experiment show Not found", () =>
      withPage(browser, `${kind} trace-not-found`, async (page) => {
        await signIn(page, app, { next: tracePath('experiment', experimentId, 'no-such-trace') });
        await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();
        await page.getByText("Trace 'no-such-trace' not found").waitFor();
        await shot(page, 'unknown-trace');

        const email = `${uniqueName('trace-b')}@example.test`;
        const b = await app.admin(['create-org', '--org-name', uniqueName('trace-org-b'), '--user-email', email]);
        const bProject = ok(await api(app.controlUrl, '/v1/project', { key: b.api_key, body: { name: uniqueName('b-proj') } }));
        const bExp = ok(await api(app.controlUrl, '/v1/experiment', { key: b.api_key, body: { project_id: bProject.id, name: 'secret' } }));
        const ins = await api(app.dataUrl, `/v1/experiment/${bExp.id}/insert`, {
          key: b.api_key,
          body: { events: [{ id: 'b-row', span_id: 'b-root', root_span_id: 'b-root', input: 'secret input of org B' }] },
        });
        assert.equal(ins.status, 200, ins.text);
        allowStatus(page, { status: 404, path: `/v1/experiment/${bExp.id}` });
        await page.goto(app.appUrl + tracePath('experiment', bExp.id, 'b-root'));
        await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();
        assert.equal(await page.getByText('secret input of org B').count(), 0);
        await shot(page, 'other-org');
        await axe(page);
      }));
  });
}
