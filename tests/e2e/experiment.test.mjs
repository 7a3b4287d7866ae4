// The Experiment screen in real Chromium, on `serve` and on the split
// deployment: two Eval() runs by the real SDK (the second over the same inputs
// with known per-row changes, so some rows regress and some improve; the SDK
// makes the first its base), then the second's printed link. The summary's
// means, changes and improvement / regression counts are checked against
// values computed here from what was logged; the rows table sorts by a score,
// narrows by a BTQL filter, shows a bad filter's error, finds a row by a word
// of its output, keeps exactly the regressed rows with "Only regressions",
// renders markup in logged values as text, and opens a row's trace. A seeded
// experiment of 100,000 rows (POST /logs3) opens and loads more rows as it
// scrolls to the bottom.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, ok } from '../lib/http.mjs';
import { SKIP_NO_BINARY } from '../lib/server.mjs';
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

// ---------------------------------------------------------------------------
// The data, the tasks and the scorers: run by the SDK in a child process (from
// their source text) and here to compute what the page must show.

const XSS_INPUT = '<img src=x onerror=alert(1)>';
const XSS_OUTPUT = '[go](javascript:alert(3)) <script>alert(4)</script> <img src=x onerror=alert(5)>';
const ROWS = [
  { input: 'alpha', expected: 'ALPHA' },
  { input: 'bravo', expected: 'BRAVO' },
  { input: 'charlie', expected: 'CHARLIE' },
  { input: 'delta', expected: 'DELTA' },
  { input: 'echo', expected: 'ECHO' },
  { input: XSS_INPUT, expected: '<script>alert(2)</script>' },
];

// Run one: right for alpha, bravo, charlie; the input unchanged otherwise.
function taskOne(input) {
  return ['alpha', 'bravo', 'charlie'].includes(input) ? input.toUpperCase() : input;
}
// Run two: alpha goes wrong (a regression), delta and echo become right
// (improvements), the markup row answers with more markup.
function taskTwo(input) {
  if (input === 'alpha') return 'wrong answer';
  if (input.startsWith('<')) return '[go](javascript:alert(3)) <script>alert(4)</script> <img src=x onerror=alert(5)>';
  return input.toUpperCase();
}
function exact({ output, expected }) {
  return output === expected ? 1 : 0;
}
function brevity({ output }) {
  return 1 / (1 + String(output).length / 10);
}
const SCORERS = { exact, brevity };

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (v) => `${(v * 100).toFixed(1)}%`;
const signedPct = (v) => `${v * 100 > 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
const count = (n) => (n > 0 ? String(n) : '–');

function scoreOf(name, row, task) {
  return SCORERS[name]({ ...row, output: task(row.input) });
}

/** Per score: mean, diff against run one, improvements, regressions (every row is matched by its input). */
function expectedSummary() {
  const out = {};
  for (const name of Object.keys(SCORERS)) {
    const cur = ROWS.map((r) => scoreOf(name, r, taskTwo));
    const base = ROWS.map((r) => scoreOf(name, r, taskOne));
    out[name] = {
      score: mean(cur),
      diff: mean(cur) - mean(base),
      improvements: cur.filter((c, i) => c > base[i]).length,
      regressions: cur.filter((c, i) => c < base[i]).length,
    };
  }
  return out;
}

/** The inputs of the rows where some score went down from run one to run two. */
function regressedInputs() {
  return ROWS.filter((r) => Object.keys(SCORERS).some((n) => scoreOf(n, r, taskTwo) < scoreOf(n, r, taskOne))).map(
    (r) => r.input,
  );
}

const PROJECT = 'exp-e2e';

function evalScript() {
  const progress = '{ progress: { start() {}, stop() {}, increment() {}, setTotal() {} } }';
  return `
const ROWS = ${JSON.stringify(ROWS)};
${taskOne.toString()}
${taskTwo.toString()}
${exact.toString()}
${brevity.toString()}
await bt.Eval(${JSON.stringify(PROJECT)}, { data: ROWS, task: taskOne, scores: [exact, brevity], experimentName: 'run-one' }, ${progress});
await new Promise((r) => setTimeout(r, 20));
await bt.Eval(${JSON.stringify(PROJECT)}, { data: ROWS, task: taskTwo, scores: [exact, brevity], experimentName: 'run-two' }, ${progress});
`;
}

// ---------------------------------------------------------------------------
// Page helpers

const rowCount = (page) => page.getByTestId('row-count');
const grid = (page) => page.getByRole('grid', { name: 'Rows' });

/** The text of column `index` (1-based) of every rendered row, top to bottom. */
async function columnTexts(page, index) {
  return page
    .locator(`.vtable-row [role=gridcell]:nth-child(${index})`)
    .evaluateAll((cells) => cells.map((c) => c.textContent ?? ''));
}

async function inputs(page) {
  return columnTexts(page, 1);
}

/** The header cells' texts, to find a column by its name. */
async function columnIndex(page, header) {
  const names = await page
    .locator('.vtable-head [role=columnheader]')
    .evaluateAll((cells) => cells.map((c) => (c.textContent ?? '').replace(/[▲▼]/g, '').trim()));
  const i = names.indexOf(header);
  assert.ok(i >= 0, `no column ${header} in ${names.join(', ')}`);
  return i + 1;
}

function parsePct(s) {
  return Number(s.replace('%', '')) / 100;
}

// ---------------------------------------------------------------------------

let browser;
before(async () => {
  if (!SKIP_NO_BINARY && !SKIP_NO_BROWSER) browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

for (const kind of deployments()) {
  describe(`Experiment screen (${kind})`, { skip: SKIP_NO_BINARY || SKIP_NO_BROWSER }, () => {
    let app;
    let link; // the link the SDK printed for run-two
    let runTwo; // its experiment object

    before(async () => {
      app = await startApp(kind);
      const r = await sdk(app).runOk(evalScript());
      const links = [...r.stdout.matchAll(/See results at (\S+)/g)].map((m) => m[1]);
      assert.equal(links.length, 2, `two printed links in:\n${r.stdout}`);
      link = new URL(links[1]);
      assert.equal(link.origin, new URL(app.appUrl).origin, 'the printed link is on the app');
      assert.ok(link.pathname.endsWith('/experiments/run-two'), link.pathname);
      const list = ok(
        await api(app.controlUrl, '/v1/experiment', {
          key: app.apiKey,
          query: { project_name: PROJECT, experiment_name: 'run-two', org_name: app.orgName },
        }),
      );
      runTwo = list.objects[0];
      assert.ok(runTwo?.base_exp_id, 'the SDK linked run-two to a base');
    });
    after(async () => {
      await app?.stop();
    });

    it('the printed link shows the summary with the right means, changes and counts', () =>
      withPage(browser, `${kind} experiment summary`, async (page) => {
        await signIn(page, app, { next: link.pathname });
        await page.getByRole('heading', { name: 'run-two', level: 1 }).waitFor();
        const summary = page.getByRole('table', { name: 'Summary' });
        await summary.waitFor();
        assert.equal(await page.getByLabel('Compare with').inputValue(), 'run-one', 'the base is selected');
        const want = expectedSummary();
        assert.ok(want.exact.improvements > 0 && want.exact.regressions > 0, 'the data moves both ways');
        for (const [name, w] of Object.entries(want)) {
          const row = summary.locator(`tr[data-score="${name}"]`);
          const cells = await row.locator('td').allTextContents();
          assert.deepEqual(cells, [pct(w.score), signedPct(w.diff), count(w.improvements), count(w.regressions)], name);
          const change = row.locator('td').nth(1);
          const cls = (await change.getAttribute('class')) ?? '';
          if (w.diff > 0) assert.match(cls, /diff-good/, `${name}: a rise is good`);
          if (w.diff < 0) assert.match(cls, /diff-bad/, `${name}: a fall is bad`);
        }
        assert.equal(await summary.locator('tr[data-metric="duration"]').count(), 1, 'the duration metric');
        await rowCount(page).filter({ hasText: `${ROWS.length} of ${ROWS.length} rows` }).waitFor();
        assert.deepEqual((await inputs(page)).sort(), ROWS.map((r) => r.input).sort());
        await shot(page, 'experiment');
        await axe(page);
      }));

    it('sorts by a score, filters with BTQL, shows a bad filter, searches', () =>
      withPage(browser, `${kind} experiment rows`, async (page) => {
        await signIn(page, app, { next: link.pathname });
        await rowCount(page).filter({ hasText: `${ROWS.length} of ${ROWS.length} rows` }).waitFor();
        const col = await columnIndex(page, 'brevity');

        // Sort (on the server) by brevity: descending, then ascending.
        await grid(page).getByRole('button', { name: 'brevity' }).click();
        await page.locator('[role=columnheader][aria-sort=descending]').waitFor();
        await rowCount(page).filter({ hasText: `${ROWS.length} of ${ROWS.length} rows` }).waitFor();
        const desc = (await columnTexts(page, col)).map(parsePct);
        const wantDesc = ROWS.map((r) => scoreOf('brevity', r, taskTwo)).sort((a, b) => b - a);
        assert.deepEqual(desc, wantDesc.map((v) => Number((v * 100).toFixed(1)) / 100), 'descending');
        await grid(page).getByRole('button', { name: /brevity/ }).click();
        await page.locator('[role=columnheader][aria-sort=ascending]').waitFor();
        await page.waitForFunction(
          (c) => {
            const cells = [...document.querySelectorAll(`.vtable-row [role=gridcell]:nth-child(${c})`)];
            const v = cells.map((x) => parseFloat(x.textContent));
            return v.length > 1 && v.every((x, i) => i === 0 || v[i - 1] <= x);
          },
          col,
        );
        await shot(page, 'sorted');

        // A BTQL filter narrows the rows.
        await page.getByLabel('Filter (BTQL)').fill("input = 'bravo' or input = 'delta'");
        await page.getByRole('button', { name: 'Apply' }).click();
        await rowCount(page).filter({ hasText: '2 of 2 rows' }).waitFor();
        assert.deepEqual((await inputs(page)).sort(), ['bravo', 'delta']);
        // The view is a link: the filter and the sort are in the URL and survive a reload.
        const params = new URL(page.url()).searchParams;
        assert.equal(params.get('filter'), "input = 'bravo' or input = 'delta'");
        assert.match(params.get('sort') ?? '', /^asc:brevity$/);
        await page.reload();
        await rowCount(page).filter({ hasText: '2 of 2 rows' }).waitFor();
        assert.equal(await page.getByLabel('Filter (BTQL)').inputValue(), "input = 'bravo' or input = 'delta'");
        await page.locator('[role=columnheader][aria-sort=ascending]').waitFor();

        // A bad filter shows the server's message inline.
        allowStatus(page, { status: 400, path: '/btql', method: 'POST' });
        await page.getByLabel('Filter (BTQL)').fill('scores.exact >');
        await page.getByRole('button', { name: 'Apply' }).click();
        const alert = page.getByRole('alert').filter({ hasText: 'BTQL parse error' });
        await alert.waitFor();
        assert.match(await alert.textContent(), /expected a value/);
        assert.equal(await grid(page).count(), 0, 'no table under a refused filter');
        await shot(page, 'bad-filter');
        await axe(page);

        // Full-text search finds the row whose output holds the word.
        await page.getByRole('button', { name: 'Clear' }).click();
        await rowCount(page).filter({ hasText: `${ROWS.length} of ${ROWS.length} rows` }).waitFor();
        // ('wrong' is only in alpha's output; run one's alpha answered 'ALPHA'.)
        await page.getByLabel('Search').fill('Wrong');
        await page.getByLabel('Search').press('Enter');
        await rowCount(page).filter({ hasText: '1 of 1 rows' }).waitFor();
        assert.deepEqual(await inputs(page), ['alpha']);
        assert.deepEqual(await columnTexts(page, 2), ['wrong answer']);
        await page.getByLabel('Search').fill('nosuchwordanywhere');
        await page.getByLabel('Search').press('Enter');
        await page.getByText('No rows match the filter.').waitFor();
      }));

    it('only regressions, markup as text, a row opens its trace', () =>
      withPage(browser, `${kind} experiment compare`, async (page) => {
        const dialogs = [];
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        await signIn(page, app, { next: link.pathname });
        await rowCount(page).filter({ hasText: `${ROWS.length} of ${ROWS.length} rows` }).waitFor();

        // Per-row changes: alpha's exact fell.
        const exactDiff = await columnIndex(page, 'exact Δ');
        const alpha = grid(page).getByRole('row').filter({ hasText: 'wrong answer' });
        const alphaDiff = alpha.locator(`[role=gridcell]:nth-child(${exactDiff}) span`);
        assert.equal(await alphaDiff.textContent(), '-100.0%');
        assert.match((await alphaDiff.getAttribute('class')) ?? '', /diff-bad/);
        const delta = grid(page).getByRole('row').filter({ hasText: 'DELTA' });
        assert.match((await delta.locator(`[role=gridcell]:nth-child(${exactDiff}) span`).getAttribute('class')) ?? '', /diff-good/);

        // Markup in logged values is text: visible as written, never elements.
        await grid(page).getByText(XSS_INPUT, { exact: true }).waitFor();
        assert.ok((await grid(page).getByText(XSS_OUTPUT.slice(0, 40)).count()) > 0, 'the markup output shows as text');
        assert.equal(await page.locator('img').count(), 0, 'no img element');
        assert.equal(await page.locator('a[href^="javascript" i]').count(), 0, 'no javascript: link');
        const scripts = await page.locator('script').evaluateAll((s) => s.map((x) => x.textContent ?? ''));
        assert.ok(!scripts.some((t) => t.includes('alert(')), 'no logged script element');

        // Only regressions: exactly the rows where some score went down.
        const regressed = regressedInputs();
        assert.ok(regressed.length > 0 && regressed.length < ROWS.length, 'some rows regressed, not all');
        await page.getByLabel('Only regressions').check();
        await rowCount(page).filter({ hasText: `${regressed.length} regressed of ${ROWS.length} rows` }).waitFor();
        assert.deepEqual((await inputs(page)).sort(), [...regressed].sort());
        await shot(page, 'only-regressions');
        await axe(page);
        await page.getByLabel('Only regressions').uncheck();
        await rowCount(page).filter({ hasText: `${ROWS.length} of ${ROWS.length} rows` }).waitFor();

        // The keyboard opens a row's trace: Enter on the focused grid opens the active (first) row.
        const traceBase = `${link.pathname.replace(/\/experiments\/run-two$/, '')}/trace/experiment/${runTwo.id}/`;
        await page.locator('.vtable-body').focus();
        await page.keyboard.press('Enter');
        await page.waitForURL((u) => u.pathname.startsWith(traceBase) && u.pathname.length > traceBase.length);
        await page.goBack();
        await rowCount(page).filter({ hasText: `${ROWS.length} of ${ROWS.length} rows` }).waitFor();

        // A click opens the clicked row's trace.
        const roots = ok(
          await api(app.dataUrl, '/btql', {
            key: app.apiKey,
            body: { query: `select: root_span_id | from: experiment('${runTwo.id}') summary | filter: input = 'bravo'` },
          }),
        ).data;
        assert.equal(roots.length, 1);
        await grid(page).getByRole('row').filter({ hasText: 'BRAVO' }).click();
        const want = `${traceBase}${roots[0].root_span_id}`;
        await page.waitForURL((u) => u.pathname === want);
        assert.deepEqual(dialogs, [], 'no dialog opened');
      }));

    it('the Compare with choice sets ?compare= and an unknown experiment is not found', () =>
      withPage(browser, `${kind} experiment choose`, async (page) => {
        const runOne = ok(
          await api(app.controlUrl, '/v1/experiment', {
            key: app.apiKey,
            query: { project_name: PROJECT, experiment_name: 'run-one', org_name: app.orgName },
          }),
        ).objects[0];
        await signIn(page, app, { next: link.pathname.replace(/run-two$/, 'run-one') });
        await page.getByRole('heading', { name: 'run-one', level: 1 }).waitFor();
        await page.getByText('no base experiment').waitFor();
        const summary = page.getByRole('table', { name: 'Summary' });
        await summary.waitFor();
        assert.equal(await summary.locator('tr[data-score="exact"] td').nth(1).textContent(), '', 'no change without a base');
        await page.getByLabel('Compare with').selectOption('run-two');
        await page.waitForURL((u) => u.searchParams.get('compare') === 'run-two');
        await page.getByText('run-two (base) ← run-one').waitFor();
        const want = expectedSummary();
        // run-one against run-two: the opposite change.
        await summary.locator('tr[data-score="exact"] td').nth(1).filter({ hasText: signedPct(-want.exact.diff) }).waitFor();
        assert.equal(runOne.base_exp_id ?? null, null);

        await page.goto(`${app.appUrl}${link.pathname.replace(/run-two$/, 'no-such-experiment')}`);
        await page.getByRole('alert').filter({ hasText: 'Not found' }).waitFor();
        await axe(page);
      }));

    it('an experiment of 100,000 rows opens and loads more rows as it scrolls', () =>
      withPage(browser, `${kind} experiment 100k`, async (page) => {
        const N = 100000;
        const project = ok(await api(app.controlUrl, '/v1/project', { key: app.apiKey, body: { name: 'exp-e2e-big' } }));
        const exp = ok(
          await api(app.controlUrl, '/v1/experiment', { key: app.apiKey, body: { project_id: project.id, name: 'big' } }),
        );
        for (let i = 0; i < N; i += 5000) {
          const rows = [];
          for (let j = i; j < i + 5000; j++) {
            rows.push({
              experiment_id: exp.id,
              id: `row-${j}`,
              input: { n: j },
              output: `answer ${j}`,
              expected: `answer ${j}`,
              scores: { accuracy: (j % 10) / 10 },
              metrics: { start: 1000 + j, end: 1000.5 + j },
            });
          }
          ok(await api(app.dataUrl, '/logs3', { key: app.apiKey, body: { rows, api_version: 2 } }), 'logs3');
        }
        await signIn(page, app, { next: `/app/${encodeURIComponent(app.orgName)}/p/exp-e2e-big/experiments/big` });
        await rowCount(page).filter({ hasText: '1,000 of 100,000 rows' }).waitFor({ timeout: 60_000 });
        const body = page.locator('.vtable-body');
        // Fewer than a screenful of row elements for 1,000 rows: the table is virtual.
        assert.ok((await page.locator('.vtable-row').count()) < 100, 'only the rows in view are in the DOM');
        // Scrolled to the bottom, the next page loads (each summary page reads every trace: one is enough here).
        await body.evaluate((el) => {
          el.scrollTop = el.scrollHeight;
        });
        await rowCount(page).filter({ hasText: '2,000 of 100,000 rows' }).waitFor({ timeout: 60_000 });
        // The End key goes to the last loaded row, which is rendered.
        await body.focus();
        await page.keyboard.press('End');
        await page.locator('.vtable-row[aria-rowindex="2001"]').waitFor();
        await shot(page, 'big');

        // Sorted by a score (one read of every row: the server does not page sorted queries),
        // then to the very bottom.
        await grid(page).getByRole('button', { name: 'accuracy' }).click();
        await page.locator('[role=columnheader][aria-sort=descending]').waitFor();
        await rowCount(page).filter({ hasText: '100,000 of 100,000 rows' }).waitFor({ timeout: 90_000 });
        const acc = await columnIndex(page, 'accuracy');
        assert.equal(await page.locator(`.vtable-row[aria-rowindex="2"] [role=gridcell]:nth-child(${acc})`).textContent(), '90.0%');
        await body.focus();
        await page.keyboard.press('End');
        const last = page.locator('.vtable-row[aria-rowindex="100001"]');
        await last.waitFor();
        assert.equal(await last.locator(`[role=gridcell]:nth-child(${acc})`).textContent(), '0.0%');
        await shot(page, 'big-sorted-bottom');
      }));
  });
}
