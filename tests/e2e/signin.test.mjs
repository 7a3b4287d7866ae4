// Signing in and out of the web app in Chromium, on serve and split: the first
// user signs in through the form; a wrong password keeps the form with its
// error; Sign out ends the session; a session ended elsewhere sends the app
// back to the form at its next server call; a deep link opened signed out comes
// back after sign-in; another organization's pages and objects are not found.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, ok } from '../lib/http.mjs';
import { SKIP_NO_BINARY, randomSuffix, uniqueName } from '../lib/server.mjs';
import {
  SKIP_NO_BROWSER,
  allowStatus,
  assertClean,
  axe,
  closePage,
  deployments,
  newPage,
  openBrowser,
  shot,
  signIn,
  startApp,
  submitSignIn,
  withPage,
} from './lib/harness.mjs';

const SKIP = SKIP_NO_BINARY || SKIP_NO_BROWSER;
const enc = encodeURIComponent;

let browser;
before(async () => {
  if (!SKIP) browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

/** Waits for the sign-in form and returns the `next` the app put in the URL. */
async function atSignInForm(page) {
  await page.waitForURL((u) => u.pathname === '/app/signin');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  return new URL(page.url()).searchParams.get('next');
}

const pathAndSearch = (page) => {
  const u = new URL(page.url());
  return u.pathname + u.search;
};

for (const kind of deployments()) {
  describe(`sign-in in the browser (${kind})`, { skip: SKIP }, () => {
    let app;
    let orgHome;
    before(async () => {
      app = await startApp(kind);
      orgHome = `/app/${enc(app.orgName)}`;
    });
    after(async () => {
      await app?.stop();
    });

    it('the first user signs in through the form and lands on their organization', () =>
      withPage(browser, `${kind} signin`, async (page) => {
        await page.goto(`${app.appUrl}/app`);
        assert.equal(await atSignInForm(page), '/app');
        await shot(page, 'signin');
        await axe(page);
        await submitSignIn(page, app.email, app.password);
        await page.waitForURL((u) => u.pathname === orgHome);
        await page.getByRole('link', { name: app.email }).waitFor();
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
      }));

    it('a wrong password shows the error and stays on the form', () =>
      withPage(browser, `${kind} signin-wrong-password`, async (page) => {
        allowStatus(page, { method: 'POST', path: '/api/auth/login', status: 401 });
        await page.goto(`${app.appUrl}/app`);
        await atSignInForm(page);
        await submitSignIn(page, app.email, `${app.password}-wrong`);
        await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/app/signin');
        assert.equal(await page.getByLabel('Email').inputValue(), app.email, 'the email is kept');
        await shot(page, 'wrong-password');
        await axe(page);
        // The same form then signs in.
        await submitSignIn(page, app.email, app.password);
        await page.waitForURL((u) => u.pathname === orgHome);
      }));

    it('Sign out returns to the form and ends the session', () =>
      withPage(browser, `${kind} signout`, async (page) => {
        await signIn(page, app);
        const cookie = (await page.context().cookies()).find((c) => c.name === 'tv_session');
        assert.ok(cookie, 'a session cookie after sign-in');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await atSignInForm(page);
        assert.ok(!(await page.context().cookies()).some((c) => c.name === 'tv_session'), 'the cookie is cleared');
        await page.reload();
        await atSignInForm(page);
        const res = await api(app.controlUrl, '/api/auth/session', { headers: { Cookie: `tv_session=${cookie.value}` } });
        assert.equal(res.status, 401, 'the old cookie no longer opens a session');
      }));

    it('a session ended elsewhere sends the app back to the form at its next server call', () =>
      withPage(browser, `${kind} session-ended`, async (page) => {
        // Any call of this page may meet the ended session.
        allowStatus(page, { status: 401, path: /^\// });
        await signIn(page, app, { next: '/app/account' });
        await page.getByRole('heading', { name: 'Account' }).waitFor();

        // Another browser holding the same cookie signs out: the session is revoked.
        const other = await newPage(browser, `${kind} session-ended-other`);
        try {
          await other.context().addCookies(await page.context().cookies());
          await other.goto(`${app.appUrl}/app/account`);
          await other.getByRole('button', { name: 'Sign out' }).click();
          await atSignInForm(other);
          assertClean(other);
        } finally {
          await closePage(other);
        }

        // The next action here needs the server (the projects list): back to the form.
        await page.getByRole('link', { name: 'tracevault' }).click();
        assert.equal(await atSignInForm(page), orgHome, 'the form returns to the page that was asked for');
        await submitSignIn(page, app.email, app.password);
        await page.waitForURL((u) => u.pathname === orgHome);
      }));

    it('a deep link opened signed out returns to it after sign-in', () =>
      withPage(browser, `${kind} deep-link`, async (page) => {
        const project = `deep link ${randomSuffix(3)} é/?#`;
        ok(await api(app.controlUrl, '/v1/project', { key: app.apiKey, body: { name: project } }));
        const deep = `/app/${enc(app.orgName)}/p/${enc(project)}/datasets`;
        await page.goto(app.appUrl + deep);
        assert.equal(await atSignInForm(page), deep);
        await submitSignIn(page, app.email, app.password);
        await page.waitForURL((u) => u.pathname + u.search === deep);
        assert.equal(pathAndSearch(page), deep);
        await page.getByRole('link', { name: project }).first().waitFor();
      }));

    it("another organization's pages and objects are not found", () =>
      withPage(browser, `${kind} other-org`, async (page) => {
        // An organization (with a project and an experiment) the first user is no member of.
        const otherOrg = uniqueName('other-org');
        const created = await app.admin([
          'create-org', '--org-name', otherOrg, '--user-email', `${otherOrg}@example.test`, '--password', `pw-${randomSuffix(8)}`,
        ]);
        const secret = `secret-of-${otherOrg}`;
        const otherProject = ok(await api(app.controlUrl, '/v1/project', { key: created.api_key, body: { name: `${otherOrg}-proj` } }));
        const otherExp = ok(
          await api(app.controlUrl, '/v1/experiment', { key: created.api_key, body: { project_id: otherProject.id, name: `${otherOrg}-exp` } }),
        );
        ok(
          await api(app.dataUrl, `/v1/experiment/${otherExp.id}/insert`, {
            key: created.api_key,
            body: { events: [{ id: 'row-1', input: secret, output: secret }] },
          }),
        );
        const rows = ok(await api(app.dataUrl, `/v1/experiment/${otherExp.id}/fetch`, { key: created.api_key, body: { limit: 10 } }));
        const rootSpanId = rows.events[0].root_span_id;
        // And one project of the first user's own organization.
        const mine = ok(await api(app.controlUrl, '/v1/project', { key: app.apiKey, body: { name: uniqueName('mine') } }));

        // What the app asks the server about the other organization's objects fails.
        allowStatus(page, { status: 403, path: /^\// });
        allowStatus(page, { status: 404, path: /^\// });
        await signIn(page, app);
        const notFound = async (path) => {
          await page.goto(app.appUrl + path);
          await page.getByRole('alert').filter({ hasText: /not found/i }).first().waitFor();
          assert.ok(!(await page.content()).includes(secret), `${path}: nothing of the other organization's rows shows`);
        };
        await notFound(`/app/${enc(otherOrg)}`);
        await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();
        await notFound(`/app/${enc(otherOrg)}/p/${enc(otherProject.name)}/experiments`);
        await shot(page, 'other-org');
        // Its project's name and experiment's name inside the user's own organization.
        await notFound(`/app/${enc(app.orgName)}/p/${enc(otherProject.name)}/experiments`);
        await notFound(`/app/${enc(app.orgName)}/p/${enc(mine.name)}/experiments/${enc(otherExp.name)}`);
        // Its experiment's id in a trace link of the user's own project.
        await notFound(`/app/${enc(app.orgName)}/p/${enc(mine.name)}/trace/experiment/${otherExp.id}/${enc(rootSpanId)}`);
      }));

    it('a user of several organizations switches between them', () =>
      withPage(browser, `${kind} org-switcher`, async (page) => {
        // A second organization the first user joins (before signing in: the
        // session lists the user's organizations when it starts).
        const second = uniqueName('second-org');
        const created = await app.admin(['create-org', '--org-name', second, '--user-email', app.email]);
        const project = uniqueName('second-proj');
        ok(await api(app.controlUrl, '/v1/project', { key: created.api_key, body: { name: project, org_name: second } }));

        await page.goto(`${app.appUrl}/app`);
        await atSignInForm(page);
        await submitSignIn(page, app.email, app.password);
        await page.waitForURL((u) => u.pathname === orgHome);
        const switcher = page.getByLabel('Organization');
        await switcher.waitFor();
        assert.deepEqual((await switcher.locator('option').allTextContents()).sort(), [app.orgName, second].sort());
        await axe(page);
        await switcher.selectOption(second);
        await page.waitForURL((u) => u.pathname === `/app/${enc(second)}`);
        await page.getByRole('link', { name: project }).first().waitFor();
        await shot(page, 'org-switcher');
      }));
  });
}
