// HTTP hardening against the real server: content types of signed downloads
// are checked on the way in and served so a browser never runs them as a page
// of this origin; /metrics needs a key; signed-URL tokens stay out of the
// logs; the per-client connection cap; the idle keep-alive timeout
// (TS_API_KEEP_ALIVE_TIMEOUT_SECONDS) and the body memory budget
// (NODE_MEMORY_PERCENT) through their environment names. Raw sockets where
// the bytes on the wire matter.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, withLogs } from '../lib/server.mjs';
import { api, expectError, ok, rawRequest } from '../lib/http.mjs';

/**
 * Opens a raw connection to `baseUrl`, writes `data`, and collects what comes
 * back. Returns {socket, text(), closed (a promise resolved with the text
 * when the server closes), waitFor(re)}.
 */
function rawConnect(baseUrl, data) {
  const u = new URL(baseUrl);
  assert.equal(u.hostname, '127.0.0.1');
  const socket = net.connect(Number(u.port), '127.0.0.1');
  let received = '';
  const waiters = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.re.test(received)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(received);
      }
    }
  };
  socket.on('data', (c) => {
    received += c.toString('latin1');
    check();
  });
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.once('close', () => resolve(received)));
  if (data !== undefined) socket.write(data);
  return {
    socket,
    text: () => received,
    closed,
    waitFor(re) {
      return new Promise((resolve) => {
        waiters.push({ re, resolve });
        check();
      });
    },
  };
}

/** Rejects when `p` has not settled within `ms` (a guard against a hang, not a timing check). */
function within(p, ms, what) {
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]);
}

const statusOf = (text) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);

describe('signed downloads, /metrics and the access log', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let url;
  let key;
  let orgId;
  const split = (u) => [new URL(u).origin, new URL(u).pathname + new URL(u).search];

  before(async () => {
    dep = await startServe();
    url = dep.dataUrl;
    key = dep.apiKey;
    orgId = ok(await api(url, '/api/apikey/login', { method: 'POST', key })).org_info[0].id;
  });
  after(async () => {
    await dep?.stop();
  });

  /** Creates an attachment holding `bytes`; returns {attKey, signedUrl}. */
  async function attachment(bytes, { content_type, filename }) {
    const attKey = crypto.randomUUID();
    const created = ok(await api(url, '/attachment', { key, body: { key: attKey, filename, content_type, org_id: orgId } }));
    const up = await rawRequest(...split(created.signedUrl), { method: 'PUT', headers: { 'Content-Length': String(bytes.length) }, body: bytes });
    assert.equal(up.status, 200, `PUT: ${up.status} ${up.body}`);
    ok(await api(url, '/attachment/status', { key, body: { key: attKey, org_id: orgId, status: { upload_status: 'done' } } }));
    return { attKey, signedUrl: created.signedUrl };
  }
  async function download(attKey, query = {}) {
    const meta = ok(await api(url, '/attachment', { key, query: { key: attKey, org_id: orgId, ...query } }));
    return rawRequest(...split(meta.downloadUrl));
  }

  it('a content type with CR/LF or outside the media-type grammar is a 400 naming content_type, and changes nothing', withLogs(async () => {
    const injected = 'text/html\r\nSet-Cookie: stolen=1\r\n\r\n<script>alert(1)</script>';
    const bad = [injected, 'text/html\nX: y', 'image/png\u0000', 'no-slash', 'text/plain; charset="utf-8"', `a/${'b'.repeat(300)}`];
    for (const content_type of bad) {
      const attKey = crypto.randomUUID();
      const e = expectError(await api(url, '/attachment', { key, body: { key: attKey, content_type, org_id: orgId } }), 400, `POST /attachment ${JSON.stringify(content_type)}`);
      assert.match(e.Message, /content_type/);
      expectError(await api(url, '/attachment', { key, query: { key: attKey, org_id: orgId } }), 404, 'no attachment was created');
      const ov = expectError(await api(url, '/logs3/overflow', { key, body: { content_type, rows: [] } }), 400, 'overflow');
      assert.match(ov.Message, /content_type/);
    }
    // On the download side: the stored attachment keeps its own type and no download link is made.
    const { attKey } = await attachment(Buffer.from('plain'), { content_type: 'text/plain', filename: 'a.txt' });
    const e = expectError(await api(url, '/attachment', { key, query: { key: attKey, org_id: orgId, content_type: injected } }), 400, 'GET /attachment content_type');
    assert.match(e.Message, /content_type/);
    const dl = await download(attKey);
    assert.equal(dl.status, 200);
    assert.equal(dl.headers['content-type'], 'text/plain');
    assert.equal(dl.headers['set-cookie'], undefined);
  }));

  it('stored bytes are served with nosniff, a sandbox CSP, and as a download unless the type is on the safe list', withLogs(async () => {
    const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
    const { attKey } = await attachment(html, { content_type: 'text/html', filename: 'page "1".html' });
    const dl = await download(attKey);
    assert.equal(dl.status, 200);
    assert.ok(dl.body.equals(html));
    assert.equal(dl.headers['content-type'], 'text/html');
    assert.equal(dl.headers['x-content-type-options'], 'nosniff');
    assert.equal(dl.headers['content-security-policy'], "sandbox; default-src 'none'");
    assert.equal(dl.headers['content-disposition'], "attachment; filename*=UTF-8''page%20%221%22.html");
    for (const type of ['image/svg+xml', 'text/xml', 'application/xhtml+xml', 'application/pdf', 'application/octet-stream', 'TEXT/HTML; charset=utf-8']) {
      const r = await download(attKey, { content_type: type });
      assert.match(r.headers['content-disposition'] ?? '', /^attachment/, `${type} is downloaded`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', type);
      assert.equal(r.headers['content-security-policy'], "sandbox; default-src 'none'", type);
    }
    for (const type of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain; charset=utf-8', 'application/json']) {
      const r = await download(attKey, { content_type: type });
      assert.equal(r.headers['content-type'], type);
      assert.equal(r.headers['content-disposition'], 'inline', `${type} is shown inline`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', type);
      assert.equal(r.headers['content-security-policy'], "sandbox; default-src 'none'", type);
    }
  }));

  it('/metrics answers 401 without a valid key and the gauges with one', withLogs(async () => {
    expectError(await api(url, '/metrics', { validate: false }), 401, 'no key');
    expectError(await api(url, '/metrics', { key: 'sk-not-a-key', validate: false }), 401, 'bad key');
    const m = await api(url, '/metrics', { key, validate: false });
    assert.equal(m.status, 200, m.text);
    assert.match(m.text, /^tracevault_store_watermark_seconds /m);
  }));

  it('signed-URL tokens and query strings never reach the logs', withLogs(async () => {
    const { attKey, signedUrl } = await attachment(Buffer.from('secret bytes'), { content_type: 'text/plain', filename: 's.txt' });
    const uploadToken = new URL(signedUrl).pathname.split('/').pop();
    const meta = ok(await api(url, '/attachment', { key, query: { key: attKey, org_id: orgId } }));
    const downloadToken = new URL(meta.downloadUrl).pathname.split('/').pop();
    const sig = crypto.randomBytes(16).toString('hex');
    const dl = await rawRequest(url, `/upload/${downloadToken}?signature=${sig}`);
    assert.equal(dl.status, 200);
    // A target that does not parse is logged from its raw text.
    const broken = rawConnect(url, `GET /upload/${downloadToken}%zz?token=${sig} HTTP/1.1\r\nHost: t\r\n\r\n`);
    const answer = await within(broken.waitFor(/\r\n\r\n/), 10_000, 'malformed target');
    assert.equal(statusOf(answer), 400, answer);
    broken.socket.destroy();
    const brokenId = /x-request-id: (\S+)/i.exec(answer)?.[1];

    const line = async (id) => (await waitFor(() => accessLines(dep).find((l) => l.request_id === id))) ?? {};
    assert.equal((await line(dl.headers['x-request-id'])).path, '/upload/[redacted]', 'the GET is logged, redacted');
    const bad = await line(brokenId);
    assert.equal(bad.path, '/upload/[redacted]', 'the malformed request is logged, redacted');
    assert.equal(bad.status, 400);
    assert.ok(accessLines(dep).some((l) => l.method === 'PUT' && l.path === '/upload/[redacted]' && l.status === 200), 'the PUT is logged, redacted');
    const everything = dep.procs.map((p) => fs.readFileSync(p.stdoutFile, 'utf8') + fs.readFileSync(p.stderrFile, 'utf8')).join('\n');
    for (const secret of [uploadToken, downloadToken, sig]) assert.ok(!everything.includes(secret), 'a token or signature was logged');
  }));

  it('the default memory budget is half of the available memory', withLogs(async () => {
    const log = fs.readFileSync(dep.proc.stderrFile, 'utf8');
    assert.match(log, /request bodies may buffer up to \d+ bytes \(50% of \d+ bytes/);
  }));
});

function accessLines(dep) {
  const out = [];
  for (const p of dep.procs) {
    for (const line of fs.readFileSync(p.stdoutFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        /* partial line */
      }
    }
  }
  return out;
}

async function waitFor(fn, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('keep-alive timeout and memory budget from their environment names', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    dep = await startServe({
      maxBodyBytes: 2 ** 50, // so a body over the budget is not simply over the size limit
      env: { TS_API_KEEP_ALIVE_TIMEOUT_SECONDS: '1', NODE_MEMORY_PERCENT: '1' },
    });
  });
  after(async () => {
    await dep?.stop();
  });

  it('TS_API_KEEP_ALIVE_TIMEOUT_SECONDS: an idle keep-alive connection is closed by the server', withLogs(async () => {
    const c = rawConnect(dep.url, 'GET /v1 HTTP/1.1\r\nHost: t\r\n\r\n');
    const first = await within(c.waitFor(/Hello, World!/), 10_000, 'first response');
    assert.equal(statusOf(first), 200);
    assert.doesNotMatch(first, /connection: close/i, 'the response keeps the connection open');
    // The default is 65 s: a close well before the guard can only come from the variable.
    await within(c.closed, 20_000, 'server closing the idle connection');
    assert.ok(c.socket.readableEnded, 'the server ended the connection (not an error on our side)');
  }));

  it('NODE_MEMORY_PERCENT: sets the body budget; a Content-Length past it is a 429 before any body byte', withLogs(async () => {
    const log = fs.readFileSync(dep.proc.stderrFile, 'utf8');
    const m = /request bodies may buffer up to (\d+) bytes \((\d+)% of (\d+) bytes/.exec(log);
    assert.ok(m, 'the startup log states the budget');
    assert.equal(m[2], '1', 'NODE_MEMORY_PERCENT=1 is the percentage used');
    const budget = BigInt(m[1]);
    assert.equal(budget, (BigInt(m[3]) / 100n) * 1n);

    const over = rawConnect(dep.url, `POST /logs3 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${budget + 1n}\r\nExpect: 100-continue\r\n\r\n`);
    const refused = await within(over.waitFor(/\r\n\r\n[\s\S]*\}/), 10_000, 'over-budget answer');
    assert.equal(statusOf(refused), 429, refused);
    assert.match(refused, /TooManyRequestsError/);
    assert.match(refused, /memory budget/);
    over.socket.destroy();

    // Under the budget, the same request is invited to send its body.
    const under = rawConnect(dep.url, `POST /logs3 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${budget / 2n}\r\nExpect: 100-continue\r\n\r\n`);
    const cont = await within(under.waitFor(/\r\n\r\n/), 10_000, '100 Continue');
    assert.equal(statusOf(cont), 100, cont);
    under.socket.destroy();
  }));
});

describe('connections per client address (TRACEVAULT_MAX_CONNECTIONS_PER_CLIENT)', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    // Also: an explicit --memory-percent wins over NODE_MEMORY_PERCENT.
    dep = await startServe({ extraArgs: ['--memory-percent', '3'], env: { TRACEVAULT_MAX_CONNECTIONS_PER_CLIENT: '3', NODE_MEMORY_PERCENT: '1' } });
  });
  after(async () => {
    await dep?.stop();
  });

  it('--memory-percent wins over NODE_MEMORY_PERCENT', withLogs(async () => {
    const log = fs.readFileSync(dep.proc.stderrFile, 'utf8');
    assert.match(log, /request bodies may buffer up to \d+ bytes \(3% of \d+ bytes/);
  }));

  it('past the cap a connection gets a 429 and is closed; the others carry on', withLogs(async () => {
    const hello = 'GET /v1 HTTP/1.1\r\nHost: t\r\n\r\n';
    const open = [];
    for (let i = 0; i < 3; i++) {
      const c = rawConnect(dep.url, hello);
      assert.equal(statusOf(await within(c.waitFor(/Hello, World!/), 10_000, `connection ${i}`)), 200);
      open.push(c);
    }
    const extra = rawConnect(dep.url, hello);
    const refused = await within(extra.closed, 10_000, 'refused connection closing');
    assert.equal(statusOf(refused), 429, refused);
    assert.match(refused, /TooManyRequestsError/);
    assert.match(refused, /connection: close/i);
    // The first three still work.
    open[0].socket.write(hello);
    await within(open[0].waitFor(/Hello, World![\s\S]*Hello, World!/), 10_000, 'second request on an open connection');
    // Closing one frees its place.
    open[2].socket.destroy();
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      const c = rawConnect(dep.url, hello);
      const text = await within(Promise.race([c.waitFor(/Hello, World!/), c.closed]), 10_000, 'a new connection');
      status = statusOf(text);
      c.socket.destroy();
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200);
    for (const c of open) c.socket.destroy();
  }));
});
