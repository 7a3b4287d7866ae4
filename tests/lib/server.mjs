// Test harness: starts/stops tracevault processes and runs its admin CLI.
//
// Everything here talks to 127.0.0.1 only. Each started server gets its own
// temporary directory (data dir(s) + captured stdout/stderr logs), removed on
// stop() unless TRACEVAULT_KEEP_TMP=1.
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const testsRoot = path.resolve(here, '..');
export const repoRoot = path.resolve(testsRoot, '..');
export const BIN = process.env.TRACEVAULT_BIN
  ? path.resolve(process.env.TRACEVAULT_BIN)
  : path.join(repoRoot, 'build', 'bin', 'tracevault');

const LISTEN_RE = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const KEEP_TMP = process.env.TRACEVAULT_KEEP_TMP === '1';

/** Whether the server binary exists; used to skip suites with a clear message. */
export function binaryExists() {
  try {
    fs.accessSync(BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
export const SKIP_NO_BINARY = binaryExists()
  ? false
  : `tracevault binary not found at ${BIN} (build it or set TRACEVAULT_BIN)`;

export function randomSuffix(n = 8) {
  return crypto.randomBytes(n).toString('hex');
}
export function uniqueName(prefix) {
  return `${prefix}-${randomSuffix(4)}`;
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function makeTmpDir(prefix = 'tracevault-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Picks `n` distinct free TCP ports on 127.0.0.1 (temporary listeners). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', resolve);
      });
      servers.push(srv);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  }
}

// ---------------------------------------------------------------------------
// Registry of live processes so a failing test can show their logs.
const live = new Set();

function tailFile(file, maxBytes = 12_000) {
  try {
    const buf = fs.readFileSync(file);
    const s = buf.subarray(Math.max(0, buf.length - maxBytes)).toString('utf8');
    return buf.length > maxBytes ? `…(truncated)…\n${s}` : s;
  } catch (e) {
    return `<unreadable: ${e.message}>`;
  }
}

/** Returns the tails of the captured logs of all running processes. */
export function liveLogs() {
  const parts = [];
  for (const p of live) {
    if (p.exited) parts.push(`!!!!! ${p.name} (pid ${p.pid}) EXITED UNEXPECTEDLY: ${JSON.stringify(p.exited)}`);
    parts.push(`===== ${p.name} stderr (${p.stderrFile}) =====\n${tailFile(p.stderrFile)}`);
    parts.push(`===== ${p.name} stdout (${p.stdoutFile}) =====\n${tailFile(p.stdoutFile, 4000)}`);
  }
  return parts.join('\n');
}

/**
 * Wraps a test body: when it throws, the server logs are appended to the
 * error message (the node test runner shows the message), then it rethrows.
 */
export function withLogs(fn) {
  return async function wrapped(...args) {
    try {
      return await fn.apply(this, args);
    } catch (err) {
      const logs = liveLogs();
      if (logs && err && typeof err === 'object') {
        try {
          err.message = `${err.message}\n\n--- server logs ---\n${logs}`;
        } catch {
          /* frozen error; ignore */
        }
      }
      throw err;
    }
  };
}

/** Environment for child processes: ours minus anything that could redirect the SDK. */
function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BRAINTRUST_') || k.startsWith('TRACEVAULT_INIT_')) continue;
    if (/^(https?|all|no)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

/**
 * Spawns `tracevault <args>`; resolves when stderr shows the listening line.
 * Returns a process handle {name, url, port, child, stdoutFile, stderrFile, stop()}.
 */
export async function spawnServer({ name, args, env, logDir }) {
  const stdoutFile = path.join(logDir, `${name}.stdout.log`);
  const stderrFile = path.join(logDir, `${name}.stderr.log`);
  const out = fs.createWriteStream(stdoutFile);
  const errOut = fs.createWriteStream(stderrFile);
  const child = spawn(BIN, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = {
    name,
    args,
    child,
    pid: child.pid,
    stdoutFile,
    stderrFile,
    url: null,
    port: null,
    exited: null, // {code, signal} once exited
  };
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      handle.exited = { code, signal };
      resolve(handle.exited);
    });
  });
  const streamsClosed = Promise.all([
    new Promise((r) => child.stdout.once('close', r)),
    new Promise((r) => child.stderr.once('close', r)),
  ]);
  child.stdout.pipe(out);
  let stderrBuf = '';
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name}: no "listening on http://127.0.0.1:<port>" line on stderr within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.stderr.on('data', (chunk) => {
      errOut.write(chunk);
      if (handle.url) return;
      stderrBuf += chunk.toString('utf8');
      const m = LISTEN_RE.exec(stderrBuf);
      if (m) {
        clearTimeout(timer);
        handle.url = m[1];
        handle.port = Number(m[2]);
        stderrBuf = '';
        resolve();
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${name}: failed to spawn ${BIN}: ${e.message}`));
    });
    exitPromise.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!handle.url) reject(new Error(`${name}: exited (code ${code}, signal ${signal}) before listening`));
    });
  });
  child.stderr.once('end', () => errOut.end());

  handle.waitExit = () => exitPromise;
  /** Sends a signal and marks the process as intentionally stopped. */
  handle.signal = (sig = 'SIGTERM') => {
    handle.stopRequested = true;
    try {
      process.kill(child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  /** SIGTERM, wait; SIGKILL after 10 s. Resolves {code, signal, killed}. */
  handle.stop = async () => {
    let killed = false;
    handle.stopRequested = true;
    if (!handle.exited) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        killed = true;
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, STOP_GRACE_MS);
      await exitPromise;
      clearTimeout(timer);
    }
    await streamsClosed;
    // Both log files are complete before anyone reads them (a refused start's
    // message is the last thing on stderr).
    for (const f of [out, errOut]) await new Promise((r) => (f.writableFinished ? r() : f.once('finish', r)));
    live.delete(handle);
    return { ...handle.exited, killed };
  };

  live.add(handle);
  try {
    await listening;
  } catch (e) {
    await handle.stop();
    throw new Error(`${e.message}\nargs: ${args.join(' ')}\n${liveLogsFor(handle)}`);
  }
  return handle;
}

function liveLogsFor(h) {
  return `--- ${h.name} stderr ---\n${tailFile(h.stderrFile)}\n--- ${h.name} stdout ---\n${tailFile(h.stdoutFile, 4000)}`;
}

// ---------------------------------------------------------------------------
// Admin CLI

/** Runs `tracevault admin <sub> --data-dir DIR <rest...> [--json]`; never throws on exit code. */
export function runAdmin(dataDir, args, { json = true, env = {} } = {}) {
  const [sub, ...rest] = args;
  const argv = ['admin'];
  if (sub !== undefined) argv.push(sub);
  if (dataDir) argv.push('--data-dir', dataDir);
  argv.push(...rest);
  if (json) argv.push('--json');
  return new Promise((resolve) => {
    execFile(BIN, argv, { env: childEnv(env), timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      let code = 0;
      if (err) code = typeof err.code === 'number' ? err.code : err.signal ? 128 : 1;
      let parsed;
      try {
        parsed = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        parsed = undefined;
      }
      resolve({ code, stdout, stderr, json: parsed, argv });
    });
  });
}

/** Like runAdmin but throws unless exit 0 with JSON on stdout; returns the parsed JSON. */
export async function adminJson(dataDir, args, opts) {
  const r = await runAdmin(dataDir, args, opts);
  if (r.code !== 0 || r.json === undefined) {
    throw new Error(
      `tracevault ${r.argv.join(' ')} → exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  return r.json;
}

// ---------------------------------------------------------------------------
// Deployments

function initEnv(o) {
  return {
    TRACEVAULT_INIT_ORG_NAME: o.orgName,
    TRACEVAULT_INIT_USER_EMAIL: o.userEmail,
    TRACEVAULT_INIT_USER_PASSWORD: o.userPassword,
    TRACEVAULT_INIT_API_KEY: o.apiKey ?? undefined,
  };
}

function defaults(opts = {}) {
  const id = randomSuffix(4);
  return {
    orgName: opts.orgName ?? `org-a-${id}`,
    userEmail: opts.userEmail ?? `admin-${id}@example.test`,
    userPassword: opts.userPassword ?? `pw-${randomSuffix(8)}`,
    // apiKey: null → let the server generate one (read from DIR/initial-api-key).
    apiKey: opts.apiKey === null ? null : opts.apiKey ?? `sk-test-${randomSuffix(16)}`,
  };
}

function commonFlags(opts) {
  const flags = [];
  if (opts.maxBodyBytes !== undefined) flags.push('--max-body-bytes', String(opts.maxBodyBytes));
  if (opts.corsOrigins !== undefined) {
    flags.push('--cors-origins', Array.isArray(opts.corsOrigins) ? opts.corsOrigins.join(',') : opts.corsOrigins);
  }
  return flags;
}

function readInitialKey(dataDir) {
  return fs.readFileSync(path.join(dataDir, 'initial-api-key'), 'utf8').trim();
}

/**
 * Starts `tracevault serve`. Options:
 *   orgName, userEmail, userPassword, apiKey (null = generated), publicUrl,
 *   port (default 0), maxBodyBytes, corsOrigins, extraArgs, env, dataDir (reuse)
 * Returns {mode:'serve', url, appUrl, dataUrl, apiKey, orgName, userEmail,
 *          dataDir, tmpDir, proc, stop(), restart(), admin(args), adminRaw(args)}.
 */
export async function startServe(opts = {}) {
  const d = defaults(opts);
  const tmpDir = opts.tmpDir ?? makeTmpDir('tracevault-serve-');
  const dataDir = opts.dataDir ?? path.join(tmpDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const args = ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${opts.port ?? 0}`];
  if (opts.publicUrl) args.push('--public-url', opts.publicUrl);
  args.push(...commonFlags(opts), ...(opts.extraArgs ?? []));
  const proc = await spawnServer({
    name: opts.name ?? 'serve',
    args,
    env: { ...initEnv(d), ...(opts.env ?? {}) },
    logDir: tmpDir,
  });
  const apiKey = d.apiKey ?? readInitialKey(dataDir);
  const dep = {
    mode: 'serve',
    url: proc.url,
    appUrl: proc.url,
    dataUrl: proc.url,
    expectedApiUrl: opts.publicUrl ?? proc.url,
    apiKey,
    orgName: d.orgName,
    userEmail: d.userEmail,
    userPassword: d.userPassword,
    dataDir,
    adminDataDir: dataDir,
    tmpDir,
    proc,
    procs: [proc],
    opts,
  };
  attachCommon(dep);
  return dep;
}

/** Stops a `startServe` deployment and starts it again on the same data directory. */
export async function restartServe(dep) {
  await dep.stop({ keepTmp: true });
  return startServe({ ...dep.opts, dataDir: dep.dataDir, tmpDir: dep.tmpDir, apiKey: dep.apiKey });
}

/**
 * Starts `tracevault control` + `tracevault data` with separate data dirs.
 * `url`/`appUrl` = control plane, `dataUrl` = data plane.
 * Besides startServe's options: ports ([control, data]; default: free ones),
 * dataPlaneUrl (the control plane's --data-plane-url; default the data
 * plane's 127.0.0.1 URL), controlExtraArgs / dataExtraArgs (one plane only).
 */
export async function startSplit(opts = {}) {
  const d = defaults(opts);
  const tmpDir = opts.tmpDir ?? makeTmpDir('tracevault-split-');
  const controlDir = path.join(tmpDir, 'control-data');
  const dataDir = path.join(tmpDir, 'data-data');
  fs.mkdirSync(controlDir, { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  // ports: [control, data] chosen by the caller (e.g. to name them in public URLs).
  const [cport, dport] = opts.ports ?? (await freePorts(2));
  const controlUrl = `http://127.0.0.1:${cport}`;
  const dataUrl = `http://127.0.0.1:${dport}`;
  const flags = [...commonFlags(opts), ...(opts.extraArgs ?? [])];
  // Shared inter-plane token (docs/security.md); planeToken: null starts without one.
  const planeToken = opts.planeToken === undefined ? `plane-${randomSuffix(16)}` : opts.planeToken;
  const planeEnv = planeToken ? { TRACEVAULT_PLANE_TOKEN: planeToken } : {};
  const control = await spawnServer({
    name: 'control',
    args: ['control', '--data-dir', controlDir, '--listen', `127.0.0.1:${cport}`, '--data-plane-url', opts.dataPlaneUrl ?? dataUrl,
      ...flags, ...(opts.controlExtraArgs ?? [])],
    env: { ...initEnv(d), ...planeEnv, ...(opts.env ?? {}) },
    logDir: tmpDir,
  });
  let data;
  try {
    data = await spawnServer({
      name: 'data',
      args: ['data', '--data-dir', dataDir, '--listen', `127.0.0.1:${dport}`, '--control-plane-url', controlUrl, ...flags,
        ...(opts.dataExtraArgs ?? [])],
      env: { ...planeEnv, ...(opts.env ?? {}) },
      logDir: tmpDir,
    });
  } catch (e) {
    await control.stop();
    throw e;
  }
  const apiKey = d.apiKey ?? readInitialKey(controlDir);
  const dep = {
    mode: 'split',
    url: control.url,
    appUrl: control.url,
    controlUrl: control.url,
    dataUrl: data.url,
    expectedApiUrl: data.url,
    apiKey,
    orgName: d.orgName,
    userEmail: d.userEmail,
    userPassword: d.userPassword,
    dataDir: controlDir,
    adminDataDir: controlDir,
    controlDataDir: controlDir,
    dataPlaneDataDir: dataDir,
    planeToken,
    tmpDir,
    proc: control,
    procs: [data, control], // stop order: data plane first
    opts,
  };
  attachCommon(dep);
  return dep;
}

function attachCommon(dep) {
  dep.admin = (args, o) => adminJson(dep.adminDataDir, args, o);
  dep.adminRaw = (args, o) => runAdmin(dep.adminDataDir, args, o);
  /**
   * Stops all processes (SIGTERM → wait → SIGKILL after 10 s) and removes the
   * temp dir unless keepTmp. Returns the exit infos.
   *   strict: true  → throw unless every process exited 0 on SIGTERM (graceful-stop tests)
   *   strict: false → throw only if a process had already died before stop()
   *                   (a crash); a non-graceful stop is only reported on stderr.
   */
  dep.stop = async ({ strict = false, keepTmp = false } = {}) => {
    const crashed = dep.procs.filter((p) => p.exited && !p.stopRequested).map((p) => ({ name: p.name, ...p.exited }));
    const results = [];
    for (const p of dep.procs) results.push({ name: p.name, ...(await p.stop()) });
    const crashedNames = new Set(crashed.map((x) => x.name));
    const bad = results.filter((r) => !crashedNames.has(r.name) && (r.code !== 0 || r.killed));
    const logs = bad.length || crashed.length ? dep.procs.map(liveLogsFor).join('\n') : '';
    if (!keepTmp && !KEEP_TMP) fs.rmSync(dep.tmpDir, { recursive: true, force: true });
    if (crashed.length) {
      throw new Error(`server process(es) died before stop(): ${JSON.stringify(crashed)}\n${logs}`);
    }
    if (bad.length) {
      const msg = `graceful stop (SIGTERM) did not exit 0: ${JSON.stringify(bad)}`;
      if (strict) throw new Error(`${msg}\n${logs}`);
      process.stderr.write(`WARNING: ${msg}\n`);
    }
    return results;
  };
}

/** Asserts a URL only targets 127.0.0.1 (guard used by the HTTP helpers). */
export function assertLocalUrl(u) {
  const url = new URL(u);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to contact non-local address ${u}`);
  return url;
}
