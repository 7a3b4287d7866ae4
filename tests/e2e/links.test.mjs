// What the real braintrust SDK logs, seen in the browser, on serve and split:
// the experiment link an Eval() prints opens that experiment after sign-in
// (on split it names the app's own site, not the data plane), and the projects
// list shows a project the SDK logged to.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, uniqueName } from '../lib/server.mjs';
import {
  SKIP_NO_BROWSER,
  axe,
  deployments,
  openBrowser,
  sdk,
  shot,
  signIn,
  startApp,
  submitSignIn,
  withPage,
} from './lib/harness.mjs';

const SKIP = SKIP_NO_BINARY || SKIP_NO_BROWSER;

let browser;
before(async () => {
  if (!SKIP) browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

for (const kind of deployments()) {
  describe(`SDK links and projects in the browser (${kind})`, { skip: SKIP }, () => {
    let app;
    let evalProject;
    let experiment;
    let printedLink;
    let loggedProject;

    before(async () => {
      app = await startApp(kind);
      evalProject = uniqueName('links-eval');
      experiment = uniqueName('links-exp');
      loggedProject = uniqueName('links-logged');
      const run = await sdk(app).runOk(`
        function exact({ output, expected }) { return output === expected ? 1 : 0; }
        await bt.Eval(${JSON.stringify(evalProject)}, {
          data: [1, 2, 3].map((n) => ({ input: n, expected: 2 * n })),
          task: (n) => 2 * n,
          scores: [exact],
          experimentName: ${JSON.stringify(experiment)},
        });
        const logger = bt.initLogger({ projectName: ${JSON.stringify(loggedProject)} });
        logger.log({ input: 'question', output: 'answer', scores: { ok: 1 } });
        await logger.flush();
      `);
      const m = /See results at (\S+)/.exec(run.stdout);
      assert.ok(m, `Eval printed no link:\n${run.stdout}\n${run.stderr}`);
      printedLink = new URL(m[1]);
    });
    after(async () => {
      await app?.stop();
    });

    it("the experiment link Eval() prints names the app's site and opens the experiment after sign-in", () =>
      withPage(browser, `${kind} eval-link`, async (page) => {
        assert.equal(printedLink.origin, new URL(app.appUrl).origin, 'the link is on the site that serves the app');
        const want = `/app/${encodeURIComponent(app.orgName)}/p/${encodeURIComponent(evalProject)}/experiments/${encodeURIComponent(experiment)}`;
        assert.equal(printedLink.pathname, want);

        await page.goto(printedLink.href);
        await page.waitForURL((u) => u.pathname === '/app/signin');
        await submitSignIn(page, app.email, app.password);
        await page.waitForURL((u) => u.pathname === want);
        await page.getByText(experiment).first().waitFor();
        await shot(page, 'experiment');
      }));

    it('the projects list shows the projects the SDK logged to', () =>
      withPage(browser, `${kind} projects`, async (page) => {
        await signIn(page, app);
        assert.equal(new URL(page.url()).pathname, `/app/${encodeURIComponent(app.orgName)}`);
        await page.getByRole('link', { name: loggedProject }).first().waitFor();
        await page.getByRole('link', { name: evalProject }).first().waitFor();
        await shot(page, 'projects');
        await axe(page);
        // A project opens on its experiments.
        await page.getByRole('link', { name: evalProject }).first().click();
        await page.waitForURL((u) => u.pathname === `/app/${encodeURIComponent(app.orgName)}/p/${encodeURIComponent(evalProject)}/experiments`);
      }));
  });
}
