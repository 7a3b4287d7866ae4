// The Logs screen in Chromium, on serve and split: rows the real SDK's
// initLogger writes show newest first, one per trace; a row logged while the
// page is open appears without a reload (and waits while live updates are
// paused); full-text search, score, metadata and time-range filters narrow the
// rows and stay in the URL; a bad BTQL filter shows the server's message;
// logged HTML is text; a row opens its trace; scrolling loads the next page;
// an empty project shows how to log.
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
const enc = encodeURIComponent;
const WAIT_MS = 15_000; // "eventually": how long a wait may take before the test fails

let browser;
before(async () => {
  if (!SKIP) browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * Logs one trace per row through the real SDK, each in its own flush (so each
 * has its own, newer transaction). Returns {projectId, rootSpanIds}.
 */
async function logTraces(app, project, rows) {
  const { stdout } = await sdk(app).runOk(`
    const logger = bt.initLogger({ projectName: ${JSON.stringify(project)} });
    const rootSpanIds = [];
    for (const row of ${JSON.stringify(rows)}) {
      await logger.traced(async (span) => {
        span.log(row);
        rootSpanIds.push(span.rootSpanId);
      }, { name: 'handle-request' });
      await logger.flush();
    }
    console.log(JSON.stringify({ projectId: await logger.id, rootSpanIds }));
  `);
  return JSON.parse(stdout.trim().split('\n').pop());
}

function logsPath(app, project, query = '') {
  return `/app/${enc(app.orgName)}/p/${enc(project)}/logs${query}`;
}

/** The body rows of the Logs table (the header row holds no gridcell). */
function rows(page) {
  return page
    .getByRole('grid', { name: 'Logs' })
    .getByRole('row')
    .filter({ has: page.getByRole('gridcell') });
}

/**
 * Waits until the table shows exactly one row per marker, in this order (a row
 * "is" the first marker its text contains). Fails with what it showed.
 */
async function waitForRows(page, markers) {
  try {
    await page.waitForFunction(
      (want) => {
        const grid = document.querySelector('[role="grid"][aria-label="Logs"]');
        if (!grid) return false;
        const got = [...grid.querySelectorAll('[role="row"]')]
          .filter((r) => r.querySelector('[role="gridcell"]'))
          .map((r) => want.find((m) => r.textContent.includes(m)) ?? r.textContent);
        return JSON.stringify(got) === JSON.stringify(want);
      },
      markers,
      { timeout: WAIT_MS },
    );
  } catch (err) {
    const texts = await rows(page).allTextContents().catch(() => []);
    const shown = texts.map((t) => markers.find((m) => t.includes(m)) ?? t);
    assert.deepEqual(shown, markers, `the Logs table's rows (${err.message.split('\n')[0]})`);
  }
}

async function applyFilters(page) {
  await page.getByRole('button', { name: 'Apply' }).click();
}

for (const kind of deployments()) {
  describe(`the Logs screen (${kind})`, { skip: SKIP }, () => {
    let app;
    before(async () => {
      app = await startApp(kind);
    });
    after(async () => {
      await app?.stop();
    });

    it('shows SDK-logged traces newest first, logged HTML as text; a row opens its trace (click or keyboard)', () =>
      withPage(browser, `${kind} logs-list`, async (page) => {
        const project = uniqueName('logs-list');
        const html = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
        const { projectId, rootSpanIds } = await logTraces(app, project, [
          { input: { question: 'oldest aardvark' }, output: 'one', scores: { quality: 0.25 } },
          { input: { question: 'middle badger' }, output: 'two', scores: { quality: 0.5 } },
          { input: { question: `newest capybara ${html}` }, output: html, metadata: { note: html } },
        ]);
        await signIn(page, app, { next: logsPath(app, project) });
        await page.getByRole('heading', { name: 'Logs' }).waitFor();
        await waitForRows(page, ['newest capybara', 'middle badger', 'oldest aardvark']);

        // The markup is shown as the characters it is made of, and never ran.
        await rows(page).first().getByText('<img src=x onerror=', { exact: false }).first().waitFor();
        assert.equal(await page.getByRole('grid', { name: 'Logs' }).locator('img, script').count(), 0);
        assert.equal(await page.evaluate(() => window.__pwned), undefined);

        // One column per score the project's logs hold.
        await page.getByRole('columnheader', { name: 'quality' }).waitFor();
        assert.equal(await page.getByRole('status').filter({ hasText: /^Live/ }).count(), 1);
        await shot(page, 'logs');
        await axe(page);

        const traceOf = (i) =>
          `/app/${enc(app.orgName)}/p/${enc(project)}/trace/project_logs/${projectId}/${rootSpanIds[i]}`;
        await rows(page).filter({ hasText: 'middle badger' }).click();
        await page.waitForURL((u) => u.pathname === traceOf(1));

        // Back, then by keyboard: the table's body takes focus, arrows move, Enter opens.
        await page.goBack();
        await waitForRows(page, ['newest capybara', 'middle badger', 'oldest aardvark']);
        await page.getByRole('grid', { name: 'Logs' }).getByRole('rowgroup').focus();
        await page.keyboard.press('End');
        await page.keyboard.press('Enter');
        await page.waitForURL((u) => u.pathname === traceOf(0));
      }));

    it('a row logged with the page open appears without a reload; Pause live holds it back; filters apply', () =>
      withPage(browser, `${kind} logs-live`, async (page) => {
        const project = uniqueName('logs-live');
        ok(await api(app.controlUrl, '/v1/project', { method: 'POST', key: app.apiKey, body: { name: project } }));
        await signIn(page, app, { next: logsPath(app, project) });

        // An empty project says how to log to it.
        await page.getByText('No logs yet.').waitFor();
        await page.getByText(`initLogger({ projectName: ${JSON.stringify(project)} })`).waitFor();
        await shot(page, 'empty');
        await axe(page);

        await page.evaluate(() => (window.__sameDocument = true));
        await logTraces(app, project, [{ input: 'first live heron', output: 'a' }]);
        await waitForRows(page, ['first live heron']);
        await logTraces(app, project, [{ input: 'second live ibis', output: 'b' }]);
        await waitForRows(page, ['second live ibis', 'first live heron']);
        await page.getByRole('status').filter({ hasText: 'Live · 2 new' }).waitFor();
        // No reload happened: the same document is still loaded.
        assert.equal(await page.evaluate(() => window.__sameDocument), true);
        await shot(page, 'live');

        await page.getByLabel('Pause live').check();
        await page.getByRole('status').filter({ hasText: 'Live updates paused' }).waitFor();
        await logTraces(app, project, [{ input: 'third paused jackal', output: 'c' }]);
        await page.getByLabel('Pause live').uncheck();
        await waitForRows(page, ['third paused jackal', 'second live ibis', 'first live heron']);

        // Live updates keep to the filters: a new row that does not match stays out.
        await page.getByLabel('Search').fill('owl');
        await page.getByLabel('Search').press('Enter');
        await page.getByText('No logs match these filters.').waitFor();
        await page.getByRole('button', { name: 'Clear filters' }).waitFor();
        await axe(page);
        await logTraces(app, project, [{ input: 'fourth plain newt' }, { input: 'fifth snowy owl' }]);
        await waitForRows(page, ['fifth snowy owl']);

        // A burst of traces in one write (more than live updates summarize one by one).
        await page.getByRole('button', { name: 'Clear', exact: true }).click();
        await page.getByText('5 traces', { exact: true }).waitFor();
        await sdk(app).runOk(`
          const logger = bt.initLogger({ projectName: ${JSON.stringify(project)} });
          for (let i = 0; i < 30; i++) logger.log({ input: 'burst quokka ' + i, output: i });
          await logger.flush();
        `);
        await page.getByText('35 traces', { exact: true }).waitFor({ timeout: WAIT_MS });
      }));

    it('full-text search and score / metadata filters narrow the rows, and the URL keeps them', () =>
      withPage(browser, `${kind} logs-search`, async (page) => {
        const project = uniqueName('logs-search');
        await logTraces(app, project, [
          { input: 'alpha walrus', output: 'x', scores: { quality: 0.2 }, metadata: { tier: 'gold' } },
          { input: 'beta penguin', output: 'y', scores: { quality: 0.9 }, metadata: { tier: 'gold' } },
          { input: 'gamma walrus', output: 'z', scores: { quality: 0.6 }, metadata: { tier: 'free' } },
        ]);
        await signIn(page, app, { next: logsPath(app, project) });
        await waitForRows(page, ['gamma walrus', 'beta penguin', 'alpha walrus']);

        await page.getByLabel('Search').fill('WALRUS');
        await page.getByLabel('Search').press('Enter');
        await waitForRows(page, ['gamma walrus', 'alpha walrus']);
        assert.equal(new URL(page.url()).searchParams.get('search'), 'WALRUS');
        await shot(page, 'search');

        await page.getByRole('button', { name: 'Clear', exact: true }).click();
        await waitForRows(page, ['gamma walrus', 'beta penguin', 'alpha walrus']);
        await page.getByLabel('Score name').selectOption('quality');
        await page.getByLabel('Min score').fill('0.5');
        await applyFilters(page);
        await waitForRows(page, ['gamma walrus', 'beta penguin']);
        await page.getByLabel('Max score').fill('0.7');
        await applyFilters(page);
        await waitForRows(page, ['gamma walrus']);

        await page.getByRole('button', { name: 'Clear', exact: true }).click();
        await page.getByLabel('Metadata field').fill('tier');
        await page.getByLabel('Metadata value').fill('gold');
        await page.getByLabel('Search').fill('walrus');
        await applyFilters(page);
        await waitForRows(page, ['alpha walrus']);

        // A filtered view is a link: opening it again shows the same rows and form.
        await page.goto(page.url());
        await waitForRows(page, ['alpha walrus']);
        assert.equal(await page.getByLabel('Metadata value').inputValue(), 'gold');
        await axe(page);
      }));

    it('a time range narrows the rows; a bad BTQL filter shows the server\'s message', () =>
      withPage(browser, `${kind} logs-filters`, async (page) => {
        const project = uniqueName('logs-time');
        const { projectId } = await logTraces(app, project, [{ input: 'recent koala', output: 'now' }]);
        ok(
          await api(app.dataUrl, `/v1/project_logs/${projectId}/insert`, {
            method: 'POST',
            key: app.apiKey,
            body: { events: [{ input: 'ancient lemur', output: 'then', created: '2020-01-01T12:00:00.000Z' }] },
          }),
        );
        await signIn(page, app, { next: logsPath(app, project) });
        await waitForRows(page, ['ancient lemur', 'recent koala']); // the insert is the newer write

        await page.getByLabel('From').fill('2019-12-31T00:00');
        await page.getByLabel('To').fill('2020-01-02T00:00');
        await applyFilters(page);
        await waitForRows(page, ['ancient lemur']);
        await page.getByLabel('From').fill('2020-01-03T00:00');
        await page.getByLabel('To').fill('');
        await applyFilters(page);
        await waitForRows(page, ['recent koala']);
        await shot(page, 'time-range');

        allowStatus(page, { method: 'POST', path: '/btql', status: 400 });
        await page.getByRole('button', { name: 'Clear', exact: true }).click();
        await page.getByLabel('Filter (BTQL)').fill('output = = 1');
        await applyFilters(page);
        const refusal = page.getByRole('alert').filter({ hasText: 'The filter was refused' });
        await refusal.waitFor();
        assert.match(await refusal.textContent(), /column 10: expected a value/);
        await shot(page, 'bad-filter');
        await axe(page);

        // Fixing it brings the rows back.
        await page.getByLabel('Filter (BTQL)').fill("output = 'then'");
        await applyFilters(page);
        await waitForRows(page, ['ancient lemur']);
      }));

    it('scrolling to the end of the table loads the next page', () =>
      withPage(browser, `${kind} logs-pages`, async (page) => {
        const project = uniqueName('logs-pages');
        await sdk(app).runOk(`
          const logger = bt.initLogger({ projectName: ${JSON.stringify(project)} });
          for (let i = 0; i < 150; i++) logger.log({ input: 'paged row ' + i, output: i });
          await logger.flush();
        `);
        await signIn(page, app, { next: logsPath(app, project) });
        await page.getByText('100 traces (scroll for more)', { exact: true }).waitFor();
        await page.getByRole('grid', { name: 'Logs' }).getByRole('rowgroup').evaluate((el) => {
          el.scrollTop = el.scrollHeight;
        });
        await page.getByText('150 traces', { exact: true }).waitFor();
      }));

    it('a project that does not exist is not found', () =>
      withPage(browser, `${kind} logs-not-found`, async (page) => {
        await signIn(page, app, { next: logsPath(app, uniqueName('no-such-project')) });
        await page.getByRole('alert').filter({ hasText: 'Not found' }).waitFor();
        await axe(page);
      }));
  });
}
