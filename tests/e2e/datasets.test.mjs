// Browser tests of the Datasets screens (web/src/screens/Dataset*.tsx) on
// `serve` and on the split deployment: a dataset the real SDK wrote lists with
// its row count and shows its rows (attacker-controlled text stays inert); a
// row added, edited and deleted in the UI is exactly what the SDK reads back;
// the Version select shows the dataset as it was before the edit; a field that
// is not valid JSON, or a row the server refuses, writes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api } from '../lib/http.mjs';
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

const MASK64 = (1n << 64n) - 1n;
/** The pretty form of a transaction id (docs/storage-format.md): what the app shows and puts in ?version=. */
function prettyXact(xact) {
  return ((BigInt(xact) * 205891132094649n) & MASK64).toString(16).padStart(16, '0');
}

const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> [x](javascript:alert(1))';

/** Seeds `dataset` in `project` with the SDK; rows are [{id, input, expected, metadata?, tags?}]. */
async function seed(bt, project, dataset, rows) {
  await bt.runOk(`
    const ds = bt.initDataset(${JSON.stringify(project)}, { dataset: ${JSON.stringify(dataset)} });
    for (const r of ${JSON.stringify(rows)}) ds.insert(r);
    await ds.flush();
  `);
}

/** The dataset's rows as the SDK reads them (initDataset(...).fetch()), by id. */
async function sdkRows(bt, project, dataset) {
  const r = await bt.runOk(`
    const ds = bt.initDataset(${JSON.stringify(project)}, { dataset: ${JSON.stringify(dataset)} });
    const rows = [];
    for await (const row of ds.fetch()) rows.push(row);
    console.log(JSON.stringify(rows));
  `);
  const rows = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return new Map(rows.map((row) => [row.id, row]));
}

function datasetsPath(app, project, dataset) {
  const base = `/app/${encodeURIComponent(app.orgName)}/p/${encodeURIComponent(project)}/datasets`;
  return dataset === undefined ? base : `${base}/${encodeURIComponent(dataset)}`;
}

let browser;
before(async () => {
  if (!SKIP_NO_BINARY && !SKIP_NO_BROWSER) browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

for (const kind of deployments()) {
  describe(`Datasets screens (${kind})`, { skip: SKIP_NO_BINARY || SKIP_NO_BROWSER }, () => {
    let app;
    let bt;

    before(async () => {
      app = await startApp(kind);
      bt = sdk(app);
    });
    after(async () => {
      await app?.stop();
    });

    it('a project without datasets shows how to make one; a dataset without rows is empty; unknown names and versions are errors', async () => {
      const project = `ds-empty-${kind}`;
      const created = await api(app.controlUrl, '/v1/project', { method: 'POST', key: app.apiKey, body: { name: project } });
      assert.equal(created.status, 200, created.text);
      await withPage(browser, `datasets-empty-${kind}`, async (page) => {
        await signIn(page, app, { next: datasetsPath(app, project) });
        await page.getByText('This project has no datasets yet').waitFor();
        assert.match(await page.locator('pre').textContent(), /initDataset\(/);
        await axe(page);
        await shot(page, 'empty');

        await page.goto(app.appUrl + datasetsPath(app, project, 'no-such-dataset'));
        const alert = page.getByRole('alert');
        await alert.getByText('Not found', { exact: true }).waitFor();
        assert.match(await alert.textContent(), /Dataset 'no-such-dataset' not found/);
        await shot(page, 'not-found');

        // A dataset without rows: the empty state, and rows can be added.
        const ds = await api(app.controlUrl, '/v1/dataset', {
          method: 'POST',
          key: app.apiKey,
          body: { project_id: created.json.id, name: 'blank' },
        });
        assert.equal(ds.status, 200, ds.text);
        await page.goto(app.appUrl + datasetsPath(app, project, 'blank'));
        await page.getByText('This dataset has no rows yet').waitFor();
        await page.getByText('0 rows', { exact: true }).waitFor();
        assert.equal(await page.getByRole('button', { name: 'Add row' }).count(), 1);
        await axe(page);
        await shot(page, 'no-rows');

        // A version that is not one is an error, not a read.
        await page.goto(app.appUrl + datasetsPath(app, project, 'blank') + '?version=not-a-version');
        await page.getByRole('alert').getByText("'not-a-version' is not a version", { exact: false }).waitFor();
      });
    });

    it('a dataset the SDK wrote lists with its count; its rows show with their version, hostile text inert', async () => {
      const project = `ds-list-${kind}`;
      await seed(bt, project, 'golden', [
        { id: 'row-a', input: { q: 'a' }, expected: { a: 1 }, metadata: { src: 'sdk' }, tags: ['t1'] },
        { id: 'row-b', input: HOSTILE, expected: 'B' },
        { id: 'row-c', input: { q: 'c' }, expected: 'C' },
      ]);
      const rows = await sdkRows(bt, project, 'golden');
      await withPage(browser, `datasets-list-${kind}`, async (page) => {
        await signIn(page, app, { next: datasetsPath(app, project) });
        const link = page.getByRole('link', { name: 'golden', exact: true });
        await link.waitFor();
        const row = page.getByRole('row').filter({ has: link });
        await row.getByTestId('dataset-row-count').getByText('3', { exact: true }).waitFor();
        await axe(page);
        await shot(page, 'list');

        await link.click();
        await page.waitForURL((u) => u.pathname === datasetsPath(app, project, 'golden'));
        const grid = page.getByRole('grid', { name: 'Dataset rows' });
        await grid.waitFor();
        await page.getByText('3 rows', { exact: true }).waitFor();
        const bodyRows = grid.getByRole('row').filter({ has: page.getByRole('gridcell') });
        assert.equal(await bodyRows.count(), 3);
        // Each row shows its version in the pretty form.
        const a = bodyRows.filter({ hasText: '{"q":"a"}' });
        await a.getByText(prettyXact(rows.get('row-a')._xact_id)).waitFor();
        // The hostile input is text: the script did not run, no image element was made.
        const b = bodyRows.filter({ hasText: '<script>window.__pwned' });
        await b.click();
        const detail = page.getByRole('region', { name: 'Selected row' });
        await detail.getByText('onerror=', { exact: false }).waitFor();
        assert.equal(await page.evaluate(() => window.__pwned), undefined);
        assert.equal(await page.locator('main img').count(), 0);
        await axe(page);
        await shot(page, 'rows');
      });
    });

    it('a dataset larger than a page reads on by cursor as the table scrolls', async () => {
      const project = `ds-pages-${kind}`;
      const rows = Array.from({ length: 450 }, (_, i) => ({ id: `r-${String(i).padStart(3, '0')}`, input: { i } }));
      await seed(bt, project, 'big', rows);
      await withPage(browser, `datasets-pages-${kind}`, async (page) => {
        await signIn(page, app, { next: datasetsPath(app, project, 'big') });
        const grid = page.getByRole('grid', { name: 'Dataset rows' });
        await grid.waitFor();
        await page.getByText('450 rows', { exact: true }).waitFor();
        await page.getByText('200 rows shown · scroll for more').waitFor();
        const body = grid.getByRole('rowgroup');
        await body.focus();
        await body.press('End'); // the last rows come into view: the next page is read
        await page.getByText('400 rows shown · scroll for more').waitFor();
        await body.press('End');
        await page.getByText('450 rows shown', { exact: true }).waitFor();
        await shot(page, 'paged');
      });
    });

    it('add, edit and delete a row in the UI; the SDK reads exactly that; the version before the edit shows the old value', async () => {
      const project = `ds-edit-${kind}`;
      await seed(bt, project, 'golden', [
        { id: 'row-a', input: { q: 'a' }, expected: { a: 1 }, metadata: { src: 'sdk', drop: true }, tags: ['t1'] },
        { id: 'row-b', input: 'to be deleted', expected: 'B' },
        { id: 'row-c', input: { q: 'c' }, expected: 'C', metadata: { keep: 1 } },
      ]);
      const before = await sdkRows(bt, project, 'golden');
      await withPage(browser, `datasets-edit-${kind}`, async (page) => {
        await signIn(page, app, { next: datasetsPath(app, project, 'golden') });
        const grid = page.getByRole('grid', { name: 'Dataset rows' });
        await grid.waitFor();
        const bodyRows = grid.getByRole('row').filter({ has: page.getByRole('gridcell') });

        // Add.
        await page.getByRole('button', { name: 'Add row' }).click();
        const add = page.getByRole('form', { name: 'Add a row' });
        await add.getByLabel('Input').fill('{"q": "d"}');
        await add.getByLabel('Expected').fill('plain text answer');
        await add.getByLabel('Metadata').fill('{"by": "ui"}');
        await add.getByLabel('Tags').fill('ui, new');
        await axe(page);
        await shot(page, 'add-form');
        await add.getByRole('button', { name: 'Add row' }).click();
        await page.getByText('Row added.').waitFor();
        await bodyRows.filter({ hasText: '{"q":"d"}' }).waitFor();

        // Edit row-a: the form is prefilled with the row; the save replaces it.
        await bodyRows.filter({ hasText: '{"q":"a"}' }).click();
        await page.getByRole('button', { name: 'Edit row' }).click();
        const edit = page.getByRole('form', { name: 'Edit row' });
        assert.deepEqual(JSON.parse(await edit.getByLabel('Input').inputValue()), { q: 'a' });
        assert.deepEqual(JSON.parse(await edit.getByLabel('Expected').inputValue()), { a: 1 });
        assert.deepEqual(JSON.parse(await edit.getByLabel('Metadata').inputValue()), { src: 'sdk', drop: true });
        assert.equal(await edit.getByLabel('Tags').inputValue(), 't1');
        await edit.getByLabel('Expected').fill('{"a": 10}');
        await edit.getByLabel('Metadata').fill('{"src": "ui"}');
        await axe(page);
        await shot(page, 'edit-form');
        await edit.getByRole('button', { name: 'Save row' }).click();
        await page.getByText('Row saved as a new version.').waitFor();
        await bodyRows.filter({ hasText: '{"a":10}' }).waitFor();

        // Delete row-b, through the confirm step (Cancel first: nothing happens).
        await bodyRows.filter({ hasText: 'to be deleted' }).click();
        await page.getByRole('button', { name: 'Delete row' }).click();
        await page.getByRole('button', { name: 'Cancel' }).click();
        await page.getByRole('button', { name: 'Delete row' }).click();
        await axe(page);
        await shot(page, 'delete-confirm');
        await page.getByRole('button', { name: 'Confirm delete' }).click();
        await page.getByText('Row deleted.').waitFor();
        await page.getByText('3 rows', { exact: true }).waitFor();
        assert.equal(await bodyRows.filter({ hasText: 'to be deleted' }).count(), 0);
        await shot(page, 'after-writes');
      });

      // The SDK reads exactly those changes.
      const now = await sdkRows(bt, project, 'golden');
      const added = [...now.values()].find((r) => !before.has(r.id));
      assert.ok(added, 'the added row is there');
      assert.deepEqual([...now.keys()].sort(), ['row-a', 'row-c', added.id].sort(), 'row-b is gone');
      assert.deepEqual(added.input, { q: 'd' });
      assert.equal(added.expected, 'plain text answer');
      assert.deepEqual(added.metadata, { by: 'ui' });
      assert.deepEqual([...added.tags].sort(), ['new', 'ui']);
      const a = now.get('row-a');
      assert.deepEqual(a.input, { q: 'a' });
      assert.deepEqual(a.expected, { a: 10 });
      assert.deepEqual(a.metadata, { src: 'ui' }, 'the edit replaced the metadata (the removed key is gone)');
      assert.deepEqual(a.tags, ['t1']);
      assert.ok(BigInt(a._xact_id) > BigInt(added._xact_id), 'the edit is a newer version than the add');
      const c = now.get('row-c');
      assert.deepEqual(c, before.get('row-c'), 'an untouched row is unchanged');

      // The version before the edit (the add's) shows row-a's old value and row-b, read-only.
      const beforeEdit = prettyXact(added._xact_id);
      await withPage(browser, `datasets-version-${kind}`, async (page) => {
        await signIn(page, app, { next: datasetsPath(app, project, 'golden') });
        const grid = page.getByRole('grid', { name: 'Dataset rows' });
        await grid.waitFor();
        const bodyRows = grid.getByRole('row').filter({ has: page.getByRole('gridcell') });
        const select = page.getByLabel('Version');
        assert.equal(await select.inputValue(), 'latest');
        await select.selectOption(beforeEdit);
        await page.waitForURL((u) => u.searchParams.get('version') === beforeEdit);
        await page.getByText('read-only', { exact: false }).waitFor();
        await bodyRows.filter({ hasText: 'to be deleted' }).waitFor();
        await bodyRows.filter({ hasText: '{"a":1}' }).waitFor();
        assert.equal(await bodyRows.filter({ hasText: '{"a":10}' }).count(), 0);
        assert.equal(await bodyRows.count(), 4);
        assert.equal(await page.getByRole('button', { name: 'Add row' }).count(), 0, 'no writes on an old version');
        await bodyRows.filter({ hasText: '{"a":1}' }).click();
        await page.getByRole('region', { name: 'Selected row' }).waitFor();
        assert.equal(await page.getByRole('button', { name: 'Edit row' }).count(), 0);
        await axe(page);
        await shot(page, 'old-version');

        // The version is in the URL: a reload shows the same snapshot.
        await page.reload();
        await bodyRows.filter({ hasText: '{"a":1}' }).waitFor();
        assert.equal(await page.getByLabel('Version').inputValue(), beforeEdit);

        // Back to latest.
        await page.getByRole('button', { name: 'Back to latest' }).click();
        await bodyRows.filter({ hasText: '{"a":10}' }).waitFor();
        assert.equal(new URL(page.url()).searchParams.get('version'), null);
      });
    });

    it('a field that is not valid JSON, or a row the server refuses, shows an error and writes nothing', async () => {
      const project = `ds-invalid-${kind}`;
      await seed(bt, project, 'strict', [{ id: 'only', input: { q: 1 }, expected: 1 }]);
      const before = await sdkRows(bt, project, 'strict');
      await withPage(browser, `datasets-invalid-${kind}`, async (page) => {
        const insert = new RegExp(`^/v1/dataset/[0-9a-f-]+/insert$`);
        allowStatus(page, { status: 400, method: 'POST', path: insert });
        const inserts = [];
        page.on('request', (r) => {
          if (r.method() === 'POST' && insert.test(new URL(r.url()).pathname)) inserts.push(r.url());
        });
        await signIn(page, app, { next: datasetsPath(app, project, 'strict') });
        await page.getByRole('grid', { name: 'Dataset rows' }).waitFor();
        await page.getByRole('button', { name: 'Add row' }).click();
        const add = page.getByRole('form', { name: 'Add a row' });

        // Not JSON though it starts like JSON: refused here, nothing sent.
        await add.getByLabel('Input').fill('{"q": ');
        await add.getByRole('button', { name: 'Add row' }).click();
        await add.getByRole('alert').getByText('Input is not valid JSON', { exact: false }).waitFor();
        assert.equal(inserts.length, 0, 'nothing was sent');
        await axe(page);
        await shot(page, 'invalid-json');

        // Valid JSON the server refuses (metadata must be an object): its 400 message is shown.
        await add.getByLabel('Input').fill('{"q": 2}');
        await add.getByLabel('Metadata').fill('"just text"');
        await add.getByRole('button', { name: 'Add row' }).click();
        await add.getByRole('alert').getByText('metadata must be an object', { exact: false }).waitFor();
        assert.equal(inserts.length, 1);
        await shot(page, 'server-refused');

        // Editing an existing row into bad JSON is refused the same way.
        await add.getByRole('button', { name: 'Cancel' }).click();
        await page.getByRole('grid', { name: 'Dataset rows' }).getByRole('row').filter({ hasText: '{"q":1}' }).click();
        await page.getByRole('button', { name: 'Edit row' }).click();
        const edit = page.getByRole('form', { name: 'Edit row' });
        await edit.getByLabel('Expected').fill('[1, 2');
        await edit.getByRole('button', { name: 'Save row' }).click();
        await edit.getByRole('alert').getByText('Expected is not valid JSON', { exact: false }).waitFor();
        assert.equal(inserts.length, 1, 'the bad edit sent nothing');
      });
      const now = await sdkRows(bt, project, 'strict');
      assert.deepEqual(now, before, 'the dataset is unchanged');
    });
  });
}
