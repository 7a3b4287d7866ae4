// Small HTTP helpers for the tests (127.0.0.1 only).
import assert from 'node:assert/strict';
import http from 'node:http';
import { assertLocalUrl } from './server.mjs';
import { validateV1Response } from './schema.mjs';

function joinUrl(base, p) {
  if (/^https?:\/\//.test(p)) return p;
  return base.replace(/\/+$/, '') + (p.startsWith('/') ? p : `/${p}`);
}

/**
 * fetch wrapper. `body`: object → JSON (content-type set); string/Buffer → raw.
 * `key`: bearer token (omit for none). `query`: object → query string; array
 * values repeat the key.
 * `validate: false` skips the automatic OpenAPI check of 2xx /v1 object bodies.
 * Returns {status, headers (Headers), json (parsed or undefined), text, url}.
 */
export async function api(baseUrl, path, { method, key, body, headers = {}, query, validate = true } = {}) {
  let url = joinUrl(baseUrl, path);
  if (query) {
    const sp = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) v.forEach((x) => sp.append(k, String(x)));
      else sp.append(k, String(v));
    }
    const qs = sp.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  assertLocalUrl(url);
  const h = { ...headers };
  if (key !== undefined && key !== null) h.Authorization = `Bearer ${key}`;
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
    }
  }
  const m = method ?? (body !== undefined ? 'POST' : 'GET');
  const res = await fetch(url, { method: m, headers: h, body: payload });
  const text = await res.text();
  let json;
  try {
    json = text.length ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  // Every 2xx /v1 object response is checked against the OpenAPI schemas.
  if (validate) validateV1Response(m.toUpperCase(), new URL(url).pathname, res.status, json);
  return { status: res.status, headers: res.headers, json, text, url };
}

/**
 * Raw request with node:http (no automatic decompression, exact headers).
 * `body`: string/Buffer (sent with Content-Length unless headers say otherwise)
 * or an array of chunks (sent with Transfer-Encoding: chunked).
 * Returns {status, headers (lower-cased object), body (Buffer)}.
 */
export function rawRequest(baseUrl, path, { method = 'GET', headers = {}, body } = {}) {
  const url = assertLocalUrl(joinUrl(baseUrl, path));
  return new Promise((resolve, reject) => {
    let gotResponse = false;
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers,
        agent: false,
      },
      (res) => {
        gotResponse = true;
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    // A server may answer early (e.g. 413) and close while we still upload:
    // once a response has arrived, later socket errors (EPIPE/ECONNRESET) are ignored.
    req.on('error', (e) => {
      if (!gotResponse) reject(e);
    });
    if (Array.isArray(body)) {
      // Chunked upload: each element is written separately.
      for (const part of body) req.write(part);
    } else if (body !== undefined) {
      req.write(body);
    }
    req.end();
  });
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s) {
  return typeof s === 'string' && UUID_RE.test(s);
}
export function assertUuid(s, what = 'id') {
  assert.ok(isUuid(s), `${what} should be a UUID, got ${JSON.stringify(s)}`);
}

function describe(res) {
  return `${res.status} ${res.url ?? ''}\n${(res.text ?? '').slice(0, 2000)}`;
}

/** Asserts a 2xx status; returns res.json. */
export function ok(res, what = '') {
  assert.ok(res.status >= 200 && res.status < 300, `${what} expected 2xx, got ${describe(res)}`);
  return res.json;
}

/** Asserts the status is exactly `status`. */
export function expectStatus(res, status, what = '') {
  const allowed = Array.isArray(status) ? status : [status];
  assert.ok(allowed.includes(res.status), `${what} expected ${allowed.join('|')}, got ${describe(res)}`);
  return res.json;
}

/** Asserts an error response: given status and JSON body {Code: string, Message: string}. */
export function expectError(res, status, what = '') {
  expectStatus(res, status, what);
  const ct = res.headers.get('content-type') ?? '';
  assert.match(ct, /application\/json/i, `${what} error content-type should be JSON, got ${ct}`);
  assert.ok(res.json && typeof res.json === 'object', `${what} error body should be JSON object, got ${res.text}`);
  assert.equal(typeof res.json.Code, 'string', `${what} error body needs string "Code": ${res.text}`);
  assert.equal(typeof res.json.Message, 'string', `${what} error body needs string "Message": ${res.text}`);
  assert.ok(res.json.Code.length > 0, `${what} empty Code`);
  return res.json;
}

/** A bound client: c.get(path, opts), c.post(path, body, opts), ... */
export function client(baseUrl, key) {
  const call = (method) => (p, bodyOrOpts, maybeOpts) => {
    if (method === 'GET' || method === 'DELETE') return api(baseUrl, p, { method, key, ...(bodyOrOpts ?? {}) });
    return api(baseUrl, p, { method, key, body: bodyOrOpts, ...(maybeOpts ?? {}) });
  };
  return {
    baseUrl,
    key,
    get: call('GET'),
    post: call('POST'),
    patch: call('PATCH'),
    put: call('PUT'),
    del: call('DELETE'),
    raw: (p, opts) => api(baseUrl, p, { key, ...opts }),
  };
}

/** Returns the first array found in x (x itself, or a property such as objects/orgs/users). */
export function asArray(x) {
  if (Array.isArray(x)) return x;
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) if (Array.isArray(v)) return v;
  }
  return [];
}

/**
 * A fetch to hand an SDK under test: refuses any host but 127.0.0.1 and
 * records each call as {method, url, path, status} in `calls`;
 * `annotate(entry, url, init)` adds fields from the request.
 */
export function recordingFetch(calls, annotate = () => {}) {
  return (input, init) => {
    const u = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    if (u.hostname !== '127.0.0.1') throw new Error(`SDK tried to contact ${u.href}`);
    const entry = { method: init?.method ?? 'GET', url: u.href, path: u.pathname, status: undefined };
    annotate(entry, u, init);
    calls.push(entry);
    const p = fetch(input, init);
    p.then((r) => { entry.status = r.status; }, (e) => { entry.status = `error: ${e.message}`; });
    return p;
  };
}
