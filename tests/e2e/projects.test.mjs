// The Projects screen (/app/:org) and a project's Experiments screen
// (/app/:org/p/:project/experiments) in the browser, on serve and split, with
// data the real braintrust SDK logged: the projects with their experiment and
// dataset counts (a name with markup shows as text), creating a project in
// the form (a bad name shows the server's message; a good one is read back
// over the API), the experiments table's score means for two Eval() runs
// against means computed here, sorting by a score, the score chart, select
// two → Compare, and the empty and not-found states.
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

// The data both Eval() runs score: expected answers for n = 1..6.
const ROWS = [1, 2, 3, 4, 5, 6].map((n) => ({ input: n, expected: 2 * n }));
// Two tasks: the first is wrong for odd n, the second only for n = 6.
const TASK_OLD = (n) => (n % 2 ? 2 * n + 1 : 2 * n);
const TASK_NEW = (n) => (n === 6 ? 0 : 2 * n);
// Scorers (the SDK names a score after its function). closeness skips n = 3,
// so its mean is over five rows, not six.
function exact({ output, expected }) {
  return output === expected ? 1 : 0;
}
function closeness({ input, output, expected }) {
  if (input === 3) return null;
  return 1 / (1 + Math.abs(output - expected));
}

/** The mean of `scorer` over the rows it scores, as the table prints it ("83.3%"). */
function expectedCell(scorer, task) {
  const values = ROWS.map((r) => scorer({ ...r, output: task(r.input) })).filter((v) => v !== null);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `${(mean * 100).toFixed(1)}%`;
}

// Heavy requests (summaries, BTQL) are limited per key; the screens keep two in
// flight and retry a 429 after a pause, so a 429 left over from the previous
// screen's cancelled queries is handled, not a failure.
function allowBusy(page) {
  allowStatus(page, { status: 429, path: '/experiment-comparison2' });
  allowStatus(page, { status: 429, path: '/btql' });
}

let browser;
before(async () => {
  if (!SKIP) browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

for (const kind of deployments()) {
  describe(`Projects and Experiments screens (${kind})`, { skip: SKIP }, () => {
    let app;
    let orgPath;
    const evalProject = uniqueName('proj-eval');
    const markupProject = `${uniqueName('proj-logs')} <img src=x onerror=alert(1)>`;
    const expOld = uniqueName('exp-old');
    const expNew = uniqueName('exp-new');

    before(async () => {
      // On split each experiment's first summary costs the data plane one control-plane
      // lookup, at most 100 a minute per token by default (docs/outbound.md): the 205
      // experiments below would wait out two minutes of 429s. The screen's handling of
      // 429 has its own test ('waits out 429s').
      app = await startApp(kind, { env: { OUTBOUND_RATE_LIMIT_MAX_REQUESTS: '0' } });
      orgPath = `/app/${encodeURIComponent(app.orgName)}`;
      const evalRun = (name, task) => `
        await bt.Eval(${JSON.stringify(evalProject)}, {
          data: ${JSON.stringify(ROWS)},
          task: ${task.toString()},
          scores: [exact, closeness],
          experimentName: ${JSON.stringify(name)},
        });`;
      await sdk(app).runOk(`
        ${exact.toString()}
        ${closeness.toString()}
        const ds = bt.initDataset(${JSON.stringify(evalProject)}, { dataset: 'numbers' });
        for (const r of ${JSON.stringify(ROWS)}) ds.insert(r);
        await ds.flush();
        ${evalRun(expOld, TASK_OLD)}
        await new Promise((r) => setTimeout(r, 1100)); // distinct creation times
        ${evalRun(expNew, TASK_NEW)}
        const logger = bt.initLogger({ projectName: ${JSON.stringify(markupProject)} });
        logger.log({ input: 'question', output: '<script>alert(1)</script>' });
        await logger.flush();
      `);
    });
    after(async () => {
      await app?.stop();
    });

    it('lists the projects the SDK logged, with their counts', () =>
      withPage(browser, `${kind} projects list`, async (page) => {
        allowBusy(page);
        await signIn(page, app, { next: orgPath });
        const evalRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: evalProject, exact: true }) });
        await evalRow.waitFor();
        assert.deepEqual(await evalRow.getByRole('cell').allTextContents().then((c) => c.slice(0, 2)), ['2', '1']);
        const markupLink = page.getByRole('link', { name: markupProject, exact: true });
        await markupLink.waitFor();
        const markupRow = page.getByRole('row').filter({ has: markupLink });
        assert.deepEqual(await markupRow.getByRole('cell').allTextContents().then((c) => c.slice(0, 2)), ['0', '0']);
        assert.equal(await page.locator('main img').count(), 0, 'a project name with markup is text, not an image');
        assert.equal(
          new URL(await markupLink.getAttribute('href'), app.appUrl).pathname,
          `${orgPath}/p/${encodeURIComponent(markupProject)}/experiments`,
        );
        // The last-activity queries settle (no "checking logs" left).
        await page.getByText('checking logs').first().waitFor({ state: 'detached' });
        await shot(page, 'projects');
        await axe(page);

        await markupLink.click();
        await page.getByText('No experiments yet.').waitFor();
        assert.equal(await page.locator('main img').count(), 0);
        await shot(page, 'experiments-empty');
        await axe(page);
      }));

    it('creates a project in the form; a bad name shows the server message', () =>
      withPage(browser, `${kind} create project`, async (page) => {
        allowBusy(page);
        allowStatus(page, { status: 400, path: '/v1/project', method: 'POST' });
        await signIn(page, app, { next: orgPath });
        await page.getByRole('heading', { name: 'Projects' }).waitFor();
        await page.getByLabel('Project name').fill('x'.repeat(1025));
        await page.getByRole('button', { name: 'Create project' }).click();
        await page.getByRole('alert').filter({ hasText: "Field 'name' must be at most 1024 bytes" }).waitFor();

        const name = `${uniqueName('ui-proj')} / é`;
        await page.getByLabel('Project name').fill(name);
        await page.getByRole('button', { name: 'Create project' }).click();
        await page.waitForURL((u) => u.pathname === `${orgPath}/p/${encodeURIComponent(name)}/experiments`);
        await page.getByText('No experiments yet.').waitFor();
        const found = ok(
          await api(app.controlUrl, '/v1/project', {
            key: app.apiKey,
            query: { org_name: app.orgName, project_name: name },
          }),
        );
        assert.equal(found.objects.length, 1);
        assert.equal(found.objects[0].name, name);
      }));

    it('shows each experiment’s score means, sorts by a score, charts them and compares two', () =>
      withPage(browser, `${kind} experiments`, async (page) => {
        allowBusy(page);
        await signIn(page, app, { next: `${orgPath}/p/${encodeURIComponent(evalProject)}/experiments` });
        const table = page.getByRole('table', { name: 'Experiments', exact: true });
        // The chart appears once every summary has settled.
        const figure = page.getByRole('figure');
        await figure.waitFor();
        await table.getByRole('button', { name: 'exact' }).waitFor();
        await table.getByRole('button', { name: 'closeness' }).waitFor();
        const row = (name) => table.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
        const cell = (name, col) => row(name).locator(`td[data-col="${col}"]`);
        const want = {
          [expOld]: { exact: expectedCell(exact, TASK_OLD), closeness: expectedCell(closeness, TASK_OLD) },
          [expNew]: { exact: expectedCell(exact, TASK_NEW), closeness: expectedCell(closeness, TASK_NEW) },
        };
        assert.notEqual(want[expOld].exact, want[expNew].exact, 'the two runs differ');
        for (const [name, scores] of Object.entries(want))
          for (const [score, text] of Object.entries(scores))
            assert.equal(await cell(name, `score:${score}`).textContent(), text, `${name} ${score}`);
        assert.equal(await cell(expNew, 'creator').textContent(), app.email);
        // Newest first by default.
        const names = () => table.locator('td[data-col="name"]').allTextContents();
        assert.deepEqual(await names(), [expNew, expOld]);

        // Sort by exact: descending first, then ascending.
        const byExact = table.getByRole('columnheader', { name: /exact/ });
        await table.getByRole('button', { name: 'exact' }).click();
        assert.equal(await byExact.getAttribute('aria-sort'), 'descending');
        const highFirst = parseFloat(want[expOld].exact) > parseFloat(want[expNew].exact) ? [expOld, expNew] : [expNew, expOld];
        assert.deepEqual(await names(), highFirst);
        await table.getByRole('button', { name: 'exact' }).click();
        assert.equal(await byExact.getAttribute('aria-sort'), 'ascending');
        assert.deepEqual(await names(), [...highFirst].reverse());

        // The chart: a canvas with a size, captioned, with its values in a table.
        const box = await figure.locator('canvas').first().boundingBox();
        assert.ok(box && box.width > 0 && box.height > 0, `canvas size ${JSON.stringify(box)}`);
        const caption = await figure.locator('figcaption').textContent();
        assert.match(caption, /closeness, exact/);
        const data = figure.getByRole('table');
        assert.equal(
          await data.getByRole('row').filter({ hasText: expOld }).getByRole('cell').last().textContent(),
          want[expOld].exact,
        );
        await shot(page, 'experiments');
        await axe(page);

        // Select two → Compare opens the newer one, comparing with the older.
        const compare = page.getByRole('button', { name: 'Compare', exact: true });
        assert.ok(await compare.isDisabled());
        await page.getByLabel(`Select ${expOld}`).check();
        assert.ok(await compare.isDisabled(), 'one selected is not enough');
        await page.getByLabel(`Select ${expNew}`).check();
        assert.ok(await compare.isEnabled());
        await compare.click();
        await page.waitForURL(
          (u) =>
            u.pathname === `${orgPath}/p/${encodeURIComponent(evalProject)}/experiments/${encodeURIComponent(expNew)}` &&
            u.searchParams.get('compare') === expOld,
        );
      }));

    it('shows score cells loading, then filled or failed one by one; a failed project list offers Retry', () =>
      withPage(browser, `${kind} loading and errors`, async (page) => {
        allowBusy(page);
        allowStatus(page, { status: 500, path: '/experiment-comparison2' });
        allowStatus(page, { status: 500, path: '/v1/project', method: 'GET' });
        const listed = ok(
          await api(app.controlUrl, '/v1/experiment', {
            key: app.apiKey,
            query: { org_name: app.orgName, project_name: evalProject },
          }),
        );
        const oldId = listed.objects.find((e) => e.name === expOld).id;
        // Summaries wait until released; the old experiment's then fails.
        let release;
        const released = new Promise((r) => (release = r));
        await page.route('**/experiment-comparison2?*', async (route) => {
          await released;
          const real = await route.fetch(); // keeps the CORS headers a split data plane sends
          if (new URL(route.request().url()).searchParams.get('experiment_id') !== oldId)
            return route.fulfill({ response: real });
          return route.fulfill({
            response: real,
            status: 500,
            body: JSON.stringify({ Code: 'InternalServerError', Message: 'summary failed' }),
          });
        });
        await signIn(page, app, { next: `${orgPath}/p/${encodeURIComponent(evalProject)}/experiments` });
        const table = page.getByRole('table', { name: 'Experiments', exact: true });
        await table.getByRole('link', { name: expNew, exact: true }).waitFor();
        await page.getByRole('status').filter({ hasText: 'Loading scores (0 of 2 experiments)' }).waitFor();
        assert.equal(await table.getByText('loading').count(), 6, 'duration, tokens and cost of two experiments');
        release();
        const row = (name) => table.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
        await row(expNew).locator('td[data-col="score:exact"]').filter({ hasText: expectedCell(exact, TASK_NEW) }).waitFor();
        await row(expOld).locator('td[data-col="duration"]').filter({ hasText: 'error' }).waitFor();
        assert.equal(await row(expOld).getByTitle('summary failed').count(), 5, 'two scores and three metrics');
        await page.unroute('**/experiment-comparison2?*');

        // The projects list fails once, then Retry loads it.
        let failures = 0;
        await page.route('**/v1/project?*', async (route) => {
          if (failures++ > 0) return route.continue();
          const real = await route.fetch();
          return route.fulfill({
            response: real,
            status: 500,
            body: JSON.stringify({ Code: 'InternalServerError', Message: 'projects failed' }),
          });
        });
        await page.getByRole('link', { name: 'tracevault', exact: true }).click();
        const alert = page.getByRole('alert').filter({ hasText: 'projects failed' });
        await alert.waitFor();
        await shot(page, 'projects-error');
        await axe(page);
        await alert.getByRole('button', { name: 'Retry' }).click();
        await page.getByRole('link', { name: evalProject, exact: true }).waitFor();
      }));

    it('waits out 429s from the data plane, saying so, then fills the cells in', () =>
      withPage(browser, `${kind} busy`, async (page) => {
        allowBusy(page);
        let busy = true;
        await page.route('**/experiment-comparison2?*', async (route) => {
          const real = await route.fetch(); // the CORS headers a split data plane sends
          if (!busy) return route.fulfill({ response: real });
          return route.fulfill({
            response: real,
            status: 429,
            body: JSON.stringify({ Code: 'TooManyRequestsError', Message: 'Outbound rate limit reached' }),
          });
        });
        await signIn(page, app, { next: `${orgPath}/p/${encodeURIComponent(evalProject)}/experiments` });
        await page.getByRole('status').filter({ hasText: 'the server asked to slow down' }).waitFor();
        busy = false;
        const table = page.getByRole('table', { name: 'Experiments', exact: true });
        const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: expNew, exact: true }) });
        await row.locator('td[data-col="score:exact"]').filter({ hasText: expectedCell(exact, TASK_NEW) }).waitFor();
        await page.getByRole('figure').waitFor();
      }));

    it('shows 200 or more experiments in the virtual table: sorting, selecting without opening, Compare', () =>
      withPage(browser, `${kind} many experiments`, async (page) => {
        allowBusy(page);
        const project = uniqueName('proj-many');
        const created = ok(
          await api(app.controlUrl, '/v1/project', { key: app.apiKey, body: { name: project, org_name: app.orgName } }),
        );
        const COUNT = 205;
        const name = (i) => `v-${String(i).padStart(3, '0')}`;
        for (let i = 0; i < COUNT; i++) {
          const e = ok(
            await api(app.controlUrl, '/v1/experiment', { key: app.apiKey, body: { project_id: created.id, name: name(i) } }),
          );
          if (i >= COUNT - 2)
            ok(
              await api(app.dataUrl, `/v1/experiment/${e.id}/insert`, {
                key: app.apiKey,
                body: { events: [{ input: 'q', output: 'a', scores: { acc: i === COUNT - 1 ? 1 : 0.25 } }] },
              }),
            );
        }
        await signIn(page, app, { next: `${orgPath}/p/${encodeURIComponent(project)}/experiments` });
        const grid = page.getByRole('grid', { name: 'Experiments', exact: true });
        await page.getByRole('figure').waitFor();
        assert.equal(await grid.getAttribute('aria-rowcount'), String(COUNT + 1));
        const rendered = await grid.getByRole('row').count();
        assert.ok(rendered < COUNT, `only the rows in view are in the page (${rendered})`);
        const newest = name(COUNT - 1);
        const second = name(COUNT - 2);
        const rowOf = (n) => grid.getByRole('row').filter({ has: page.getByRole('link', { name: n, exact: true }) });
        assert.equal(await rowOf(newest).getByRole('gridcell').nth(5).textContent(), '100.0%', 'acc of the newest');
        assert.equal(await rowOf(second).getByRole('gridcell').nth(5).textContent(), '25.0%');
        await shot(page, 'experiments-virtual');
        await axe(page);

        // Ticking a box selects; it does not open the row.
        const here = page.url();
        await page.getByLabel(`Select ${newest}`).check();
        await page.getByLabel(`Select ${second}`).check();
        assert.equal(page.url(), here);

        // Name ascending puts the oldest name first.
        await grid.getByRole('button', { name: 'Name' }).click();
        await grid.getByRole('row').nth(1).getByRole('link', { name: name(0), exact: true }).waitFor();

        await page.getByRole('button', { name: 'Compare', exact: true }).click();
        await page.waitForURL(
          (u) =>
            u.pathname === `${orgPath}/p/${encodeURIComponent(project)}/experiments/${newest}` &&
            u.searchParams.get('compare') === second,
        );
      }));

    it('shows not-found for a project that does not exist', () =>
      withPage(browser, `${kind} experiments not found`, async (page) => {
        await signIn(page, app, { next: `${orgPath}/p/${encodeURIComponent(uniqueName('nope'))}/experiments` });
        await page.getByRole('alert').filter({ hasText: 'Not found' }).waitFor();
        await axe(page);
      }));
  });
}
