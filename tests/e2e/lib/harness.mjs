// The browser-test harness: real deployments of the tracevault binary, driven
// by headless Chromium through playwright-core (docs/testing.md, "Browser
// tests"; tests/e2e/README.md has a worked example).
//
//   deployments()            → ['serve', 'split'] (TRACEVAULT_E2E_DEPLOYMENTS=serve narrows it)
//   startApp(kind)           → {kind, appUrl, dataUrl, controlUrl, email, password, apiKey,
//                               orgName, sdkEnv, admin(args), stop()}
//                              The binary serves the app itself; TRACEVAULT_WEBAPP_DIR=DIR adds
//                              `--webapp-dir DIR` (a web/dist built from your tree). On split the
//                              control plane (and the app) is http://localhost:P1 and the data plane
//                              http://127.0.0.1:P2: two sites, so the browser's data calls are
//                              cross-site CORS calls with bearer tokens. `controlUrl` is the
//                              control plane as 127.0.0.1, for HTTP calls from Node (tests/lib/http.mjs).
//   openBrowser()            → a headless Chromium (one per test file; close() it in after()).
//   withPage(browser, name, fn)
//                            → runs fn(page) in a fresh browser context (its own cookies), then
//                              assertClean(page); on failure saves a screenshot "<name>-FAILED" and
//                              appends the server logs. Returns what fn returns.
//   newPage(browser, name)   → the same page without the wrapper (close it with closePage(page)).
//                              Its waits (waitFor, waitForURL, click...) give up after 60 s
//                              (TRACEVAULT_E2E_WAIT_MS).
//   allowStatus(page, {status, path, method?})
//                            → declares an HTTP error response the test expects (path: exact
//                              pathname or RegExp). `GET /api/auth/session → 401` (signed out) is
//                              always allowed.
//   assertClean(page)        → fails on any console error, uncaught page error, failed request
//                              (except net::ERR_ABORTED: a fetch cancelled by navigation or an
//                              unmounted screen) or response >= 400 not allowed by allowStatus.
//                              Chromium's "Failed to load resource" console line for an allowed
//                              response is not counted twice.
//   signIn(page, app, {next, email, password})
//                            → opens `next` (default /app) signed out, fills the real form (labels
//                              Email / Password, button Sign in) and waits until the app has left
//                              /app/signin (for `next`: until it is back at `next`).
//   shot(page, name)         → a full-page PNG in the artifacts folder: TRACEVAULT_ARTIFACTS, else
//                              a temp folder printed once per process.
//   axe(page)                → runs axe-core in the page; fails on violations of impact serious or
//                              critical, listing rule, impact, help and the elements.
//   sdk(app)                 → {env, run(code), runOk(code)}: runs the real `braintrust` SDK in a
//                              child Node process against the deployment (module code with `bt`
//                              imported, cwd a fresh temp folder).
//
// Why axe goes in through page.evaluate: the app's Content-Security-Policy
// (script-src 'self', no inline script) refuses page.addScriptTag({content}),
// and the tests must keep the real CSP (bypassCSP would hide violations).
// page.evaluate runs in the page's main world over the DevTools protocol,
// which CSP does not govern, and axe-core needs neither eval nor inline script.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePorts, liveLogs, makeTmpDir, startServe, startSplit, testsRoot } from '../../lib/server.mjs';

const require = createRequire(path.join(testsRoot, 'package.json'));

export const CHROMIUM = process.env.TRACEVAULT_CHROMIUM ?? '/usr/bin/chromium';

function chromiumExists() {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A skip reason when Chromium is missing (scripts/install-deps.sh installs it), else false. */
export const SKIP_NO_BROWSER = chromiumExists()
  ? false
  : `chromium not found at ${CHROMIUM} (scripts/install-deps.sh installs it; or set TRACEVAULT_CHROMIUM)`;

// ---------------------------------------------------------------------------
// Deployments

/** The deployments every browser test runs on. */
export function deployments() {
  const all = ['serve', 'split'];
  const want = process.env.TRACEVAULT_E2E_DEPLOYMENTS;
  if (!want) return all;
  const picked = want.split(',').map((s) => s.trim()).filter((s) => all.includes(s));
  return picked.length ? picked : all;
}

function webappArgs() {
  const dir = process.env.TRACEVAULT_WEBAPP_DIR;
  return dir ? ['--webapp-dir', path.resolve(dir)] : [];
}

/** Starts a real deployment of `kind` ('serve' | 'split') with a first user who has a password. */
export async function startApp(kind, opts = {}) {
  let dep;
  if (kind === 'serve') {
    const [port] = await freePorts(1);
    const url = `http://127.0.0.1:${port}`;
    dep = await startServe({ ...opts, port, publicUrl: url, extraArgs: [...webappArgs(), ...(opts.extraArgs ?? [])] });
  } else if (kind === 'split') {
    const [cport, dport] = await freePorts(2);
    const appUrl = `http://localhost:${cport}`;
    const dataUrl = `http://127.0.0.1:${dport}`;
    dep = await startSplit({
      ...opts,
      ports: [cport, dport],
      corsOrigins: appUrl,
      controlExtraArgs: ['--public-url', appUrl, ...webappArgs()],
      dataExtraArgs: ['--public-url', dataUrl, '--app-public-url', appUrl],
    });
    dep.appUrl = appUrl;
  } else {
    throw new Error(`unknown deployment ${kind}`);
  }
  return {
    kind,
    appUrl: dep.appUrl,
    dataUrl: dep.dataUrl,
    controlUrl: dep.url,
    email: dep.userEmail,
    password: dep.userPassword,
    apiKey: dep.apiKey,
    orgName: dep.orgName,
    // The SDK signs in where a user's would: the app's site (it builds the links it prints on it).
    sdkEnv: { BRAINTRUST_APP_URL: dep.appUrl, BRAINTRUST_API_KEY: dep.apiKey, BRAINTRUST_ORG_NAME: dep.orgName },
    dep,
    admin: (args) => dep.admin(args),
    stop: () => dep.stop(),
  };
}

// ---------------------------------------------------------------------------
// Browser and pages

/** Launches headless Chromium. One per test file; close it in after(). */
export async function openBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

// How long a wait for something on screen may take before the test fails: a
// bound for a loaded two-core machine, not a timing assertion.
const WAIT_MS = Number(process.env.TRACEVAULT_E2E_WAIT_MS ?? 60_000);

const records = new WeakMap();
const ALWAYS_ALLOWED = [{ method: 'GET', path: '/api/auth/session', status: 401 }];

function allows(rule, method, url, status) {
  if (rule.status !== status) return false;
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  const p = new URL(url).pathname;
  return rule.path instanceof RegExp ? rule.path.test(p) : rule.path === p;
}

/** A fresh context (no cookies) and page that records what would make a test unclean. */
export async function newPage(browser, testName) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const rec = { name: testName, console: [], pageErrors: [], failed: [], responses: [], allowed: [...ALWAYS_ALLOWED] };
  records.set(page, rec);
  page.on('console', (m) => {
    if (m.type() === 'error') rec.console.push({ text: m.text(), url: m.location()?.url ?? '' });
  });
  page.on('pageerror', (e) => rec.pageErrors.push(e.stack || String(e)));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? 'failed';
    if (why !== 'net::ERR_ABORTED') rec.failed.push(`${r.method()} ${r.url()}: ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) rec.responses.push({ method: r.request().method(), url: r.url(), status: r.status() });
  });
  return page;
}

/** Declares an error response this test expects: {status, path (string | RegExp), method?}. */
export function allowStatus(page, rule) {
  records.get(page).allowed.push(rule);
}

/** The problems recorded so far on `page` (strings), after the allowed responses. */
export function problems(page) {
  const rec = records.get(page);
  const out = [];
  const allowedUrls = new Set();
  for (const r of rec.responses) {
    if (rec.allowed.some((a) => allows(a, r.method, r.url, r.status))) allowedUrls.add(r.url);
    else out.push(`HTTP ${r.status} for ${r.method} ${r.url}`);
  }
  for (const c of rec.console) {
    if (/^Failed to load resource/.test(c.text) && allowedUrls.has(c.url)) continue;
    out.push(`console error: ${c.text}${c.url ? ` (${c.url})` : ''}`);
  }
  for (const e of rec.pageErrors) out.push(`page error: ${e}`);
  for (const f of rec.failed) out.push(`request failed: ${f}`);
  return out;
}

/** Fails when the page logged a console error, threw, or saw an unexpected failed request. */
export function assertClean(page) {
  const found = problems(page);
  assert.deepEqual(found, [], `${records.get(page).name}: the page was not clean:\n  ${found.join('\n  ')}`);
}

export async function closePage(page) {
  await page.context().close();
}

/**
 * Runs fn(page) in a fresh context and fails on anything assertClean finds.
 * On failure: a "<name>-FAILED" screenshot and the servers' logs in the message.
 */
export async function withPage(browser, testName, fn) {
  const page = await newPage(browser, testName);
  try {
    const value = await fn(page);
    assertClean(page);
    return value;
  } catch (err) {
    try {
      await shot(page, 'FAILED');
    } catch {
      /* the page may be gone */
    }
    const extra = [];
    const found = problems(page);
    if (found.length) extra.push(`page problems:\n  ${found.join('\n  ')}`);
    extra.push(`page URL: ${page.url()}`);
    const logs = liveLogs();
    if (logs) extra.push(`--- server logs ---\n${logs}`);
    if (err && typeof err === 'object') {
      try {
        err.message = `${err.message}\n\n${extra.join('\n')}`;
      } catch {
        /* frozen error */
      }
    }
    throw err;
  } finally {
    await closePage(page).catch(() => {});
  }
}

// ---------------------------------------------------------------------------
// Sign-in

/**
 * Signs in through the form. `next`: the app path to open first (signed out it
 * shows the form, then returns there); default '/app'.
 */
export async function signIn(page, app, { next = '/app', email = app.email, password = app.password } = {}) {
  await page.goto(app.appUrl + next);
  await submitSignIn(page, email, password);
  if (next === '/app' || next === '/app/') {
    await page.waitForURL((u) => u.pathname.startsWith('/app/') && u.pathname !== '/app/signin');
  } else {
    await page.waitForURL((u) => u.pathname + u.search === next);
  }
}

/** Fills the visible sign-in form and presses Sign in (no wait afterwards). */
export async function submitSignIn(page, email, password) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// ---------------------------------------------------------------------------
// Screenshots and accessibility

let artifactsDir = null;

/** The folder screenshots go to (created and printed on first use). */
export function artifacts() {
  if (artifactsDir) return artifactsDir;
  const env = process.env.TRACEVAULT_ARTIFACTS;
  if (env) {
    artifactsDir = path.resolve(env);
    fs.mkdirSync(artifactsDir, { recursive: true });
  } else {
    artifactsDir = makeTmpDir('tracevault-e2e-artifacts-');
  }
  process.stderr.write(`browser test artifacts (screenshots): ${artifactsDir}\n`);
  return artifactsDir;
}

const slug = (s) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');

/** Saves a full-page PNG "<test name>-<name>.png"; returns its path. */
export async function shot(page, name) {
  const file = path.join(artifacts(), `${slug(records.get(page)?.name ?? 'page')}-${slug(name)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

let axeSource = null;

/** Runs axe-core on the current document; fails on serious or critical violations. */
export async function axe(page, { exclude = [] } = {}) {
  axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(
    async (ex) => {
      const r = await window.axe.run(ex.length ? { exclude: ex } : document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => n.target.join(' ')),
      }));
    },
    exclude,
  );
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`);
  assert.deepEqual(text, [], `axe on ${page.url()}:\n  ${text.join('\n  ')}`);
  return violations;
}

// ---------------------------------------------------------------------------
// The real SDK in a child process

const SDK_TIMEOUT_MS = 120_000;

function sdkChildEnv(app) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BRAINTRUST_') || k.startsWith('TRACEVAULT_') || /^(https?|all|no)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...app.sdkEnv, NO_COLOR: '1' };
}

/**
 * The braintrust SDK against `app`: `run(code)` writes `code` (an ES module
 * body; `bt` is the SDK, BRAINTRUST_APP_URL / _API_KEY / _ORG_NAME point at
 * the deployment) to a fresh temp folder and runs it with Node there.
 * Resolves {code, stdout, stderr}; runOk() throws unless it exited 0.
 */
export function sdk(app) {
  const moduleUrl = import.meta.resolve('braintrust');
  const env = sdkChildEnv(app);
  const run = (code, { timeoutMs = SDK_TIMEOUT_MS } = {}) => {
    const dir = makeTmpDir('tracevault-e2e-sdk-');
    const file = path.join(dir, 'script.mjs');
    fs.writeFileSync(file, `import * as bt from ${JSON.stringify(moduleUrl)};\n${code}\n`);
    return new Promise((resolve) => {
      execFile(process.execPath, [file], { cwd: dir, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        fs.rmSync(dir, { recursive: true, force: true });
        const exit = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code: exit, stdout, stderr });
      });
    });
  };
  const runOk = async (code, opts) => {
    const r = await run(code, opts);
    assert.equal(r.code, 0, `SDK script exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r;
  };
  return { env, moduleUrl, run, runOk };
}
