// The harness's own checks are live: on the real app (serve), a planted
// console error, uncaught exception, failed request, undeclared error response
// and accessibility violation each make a page unclean or axe fail, and
// allowStatus takes exactly the declared response out. The app's CSP is in
// force while axe runs (an inline script is still refused).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY } from '../lib/server.mjs';
import {
  SKIP_NO_BROWSER,
  allowStatus,
  assertClean,
  axe,
  closePage,
  newPage,
  openBrowser,
  problems,
  signIn,
  startApp,
} from './lib/harness.mjs';

const SKIP = SKIP_NO_BINARY || SKIP_NO_BROWSER;

describe('the browser-test harness catches what it promises to (serve)', { skip: SKIP }, () => {
  let browser;
  let app;
  let page;
  before(async () => {
    browser = await openBrowser();
    app = await startApp('serve');
  });
  after(async () => {
    if (page) await closePage(page);
    await browser?.close();
    await app?.stop();
  });

  it('a signed-in page of the app starts clean', async () => {
    page = await newPage(browser, 'harness-self-check');
    await signIn(page, app, { next: '/app/account' });
    assertClean(page);
  });

  it('a console error, an uncaught exception and a failed request are each reported', async () => {
    const logged = page.waitForEvent('console', (m) => m.text() === 'planted console error');
    await page.evaluate(() => console.error('planted console error'));
    await logged;
    const thrown = page.waitForEvent('pageerror');
    await page.evaluate(() => setTimeout(() => {
      throw new Error('planted page error');
    }));
    await thrown;
    await page.route('**/planted-unreachable', (r) => r.abort('connectionrefused'));
    const failed = page.waitForEvent('requestfailed');
    await page.evaluate(() => fetch('/planted-unreachable').catch(() => {}));
    await failed;
    assert.throws(() => assertClean(page));
    const found = problems(page).join('\n');
    assert.match(found, /console error: planted console error/);
    assert.match(found, /page error: .*planted page error/);
    assert.match(found, /request failed: GET http:\/\/127\.0\.0\.1:\d+\/planted-unreachable: net::ERR_CONNECTION_REFUSED/);
  });

  it('an error response is reported unless the test declared it', async () => {
    const before = problems(page).length;
    const line = page.waitForEvent('console', (m) => /status of 401/.test(m.text()));
    await page.evaluate(() => fetch('/v1/project/00000000-0000-0000-0000-000000000000'));
    await line;
    const now = problems(page);
    assert.equal(now.length, before + 2, 'the response and its console line');
    assert.ok(now.some((p) => /HTTP 401 for GET .*\/v1\/project\/0{8}-/.test(p)), now.join('\n'));
    allowStatus(page, { method: 'GET', path: /^\/v1\/project\//, status: 401 });
    assert.equal(problems(page).length, before, 'the declared response and its console line are taken out');
  });

  it('axe fails on a serious or critical violation, and the CSP still refuses inline script', async () => {
    await axe(page);
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
      document.querySelector('main')?.appendChild(img);
    });
    await assert.rejects(axe(page), /image-alt \(critical\)/);
    await assert.rejects(page.addScriptTag({ content: 'window.plantedInline = 1' }), /Content Security Policy/);
  });
});
