// First-start initialisation, the admin CLI (while serve runs), restart
// persistence, --public-url, graceful SIGTERM and the stdout access log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  SKIP_NO_BINARY,
  freePorts,
  randomSuffix,
  sleep,
  startServe,
  startSplit,
  uniqueName,
  withLogs,
} from '../lib/server.mjs';
import { api, asArray, assertUuid, client, expectError, ok } from '../lib/http.mjs';

async function login(url, key) {
  return api(url, '/api/apikey/login', { method: 'POST', key });
}
function orgNames(loginRes) {
  return (loginRes.json?.org_info ?? []).map((o) => o.name).sort();
}
function findKeyField(obj) {
  if (!obj || typeof obj !== 'object') return undefined;
  for (const k of ['api_key', 'key']) if (typeof obj[k] === 'string') return obj[k];
  return undefined;
}

describe('first start without TRACEVAULT_INIT_API_KEY', { skip: SKIP_NO_BINARY }, () => {
  let srv;
  before(async () => {
    srv = await startServe({ apiKey: null });
  });
  after(async () => {
    await srv?.stop();
  });

  it('writes DIR/initial-api-key with mode 0600 and the key works', withLogs(async () => {
    const file = path.join(srv.dataDir, 'initial-api-key');
    const st = fs.statSync(file);
    assert.equal(st.mode & 0o777, 0o600, `mode is ${(st.mode & 0o777).toString(8)}`);
    const key = fs.readFileSync(file, 'utf8').trim();
    assert.ok(key.length >= 16, `key too short: ${JSON.stringify(key)}`);
    const r = await login(srv.url, key);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(orgNames(r), [srv.orgName]);
    const p = await api(srv.url, '/v1/project', { key });
    assert.equal(p.status, 200, p.text);
  }));
});

describe('first start of control + data without TRACEVAULT_INIT_API_KEY', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  before(async () => {
    dep = await startSplit({ apiKey: null });
  });
  after(async () => {
    await dep?.stop();
  });

  it("the control plane's data dir gets initial-api-key (0600); the key works through both URLs", withLogs(async () => {
    const file = path.join(dep.controlDataDir, 'initial-api-key');
    const st = fs.statSync(file);
    assert.equal(st.mode & 0o777, 0o600, `mode is ${(st.mode & 0o777).toString(8)}`);
    assert.ok(!fs.existsSync(path.join(dep.dataPlaneDataDir, 'initial-api-key')), 'the data plane must not initialise an org');
    const key = fs.readFileSync(file, 'utf8').trim();
    for (const u of [dep.controlUrl, dep.dataUrl]) {
      const r = await login(u, key);
      assert.equal(r.status, 200, `${u}: ${r.text}`);
      assert.deepEqual(orgNames(r), [dep.orgName]);
      assert.equal(r.json.org_info[0].api_url.replace(/\/+$/, ''), dep.dataUrl, 'api_url = data plane URL');
    }
  }));
});

describe('admin CLI while serve runs', { skip: SKIP_NO_BINARY }, () => {
  let srv;
  let c;
  const orgB = uniqueName('org-b');
  const userB = `b-${randomSuffix(3)}@example.test`;
  let created;
  before(async () => {
    srv = await startServe();
    c = client(srv.url, srv.apiKey);
  });
  after(async () => {
    await srv?.stop();
  });

  it('create-org --json prints {org_id, org_name, user_id, user_email, api_key}; the key works immediately', withLogs(async () => {
    const r = await srv.adminRaw(['create-org', '--org-name', orgB, '--user-email', userB]);
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(r.json, `stdout is not JSON: ${r.stdout}`);
    created = r.json;
    for (const k of ['org_id', 'org_name', 'user_id', 'user_email', 'api_key']) {
      assert.ok(k in created, `missing ${k} in ${r.stdout}`);
    }
    assertUuid(created.org_id, 'org_id');
    assertUuid(created.user_id, 'user_id');
    assert.equal(created.org_name, orgB);
    assert.equal(created.user_email, userB);
    assert.equal(typeof created.api_key, 'string');
    const l = await login(srv.url, created.api_key);
    assert.equal(l.status, 200, l.text);
    assert.deepEqual(orgNames(l), [orgB], 'a new user in a new org sees only that org');
    assert.equal(l.json.org_info[0].id, created.org_id);
    // The first org's key does not see org B (its user is not a member).
    assert.deepEqual(orgNames(await login(srv.url, srv.apiKey)), [srv.orgName]);
  }));

  it('create-org with --api-key uses that key', withLogs(async () => {
    const key = `sk-test-given-${randomSuffix(12)}`;
    const name = uniqueName('org-k');
    const out = await srv.admin(['create-org', '--org-name', name, '--api-key', key]);
    assert.equal(out.api_key, key);
    assert.equal(out.org_name, name);
    assert.deepEqual(orgNames(await login(srv.url, key)), [name]);
  }));

  it('create-org for an existing user email joins that user to the new org; their existing key sees both orgs', withLogs(async () => {
    // The init key has already been used by the previous tests (the server has seen it).
    const name = uniqueName('org-join');
    const out = await srv.admin(['create-org', '--org-name', name, '--user-email', srv.userEmail]);
    assert.equal(out.user_email, srv.userEmail);
    const users = JSON.stringify(await srv.admin(['list-users']));
    assert.ok(users.includes(name), `list-users should show ${srv.userEmail} in ${name}: ${users}`);
    // A brand-new unrestricted key of that user sees both orgs...
    const fresh = findKeyField(await srv.admin(['create-api-key', '--user-email', srv.userEmail, '--name', 'fresh']));
    assert.deepEqual(orgNames(await login(srv.url, fresh)), [srv.orgName, name].sort(), 'new key of the joined user');
    // ...and so must the key the user already had (no stale membership).
    assert.deepEqual(
      orgNames(await login(srv.url, srv.apiKey)),
      [srv.orgName, name].sort(),
      'existing, already-used key of the joined user must see the new org right after `admin create-org` returns',
    );
  }));

  it('duplicate org name → exit 1 with an error on stderr', withLogs(async () => {
    const r = await srv.adminRaw(['create-org', '--org-name', orgB]);
    assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0, 'stderr should explain the failure');
    const r2 = await srv.adminRaw(['create-org', '--org-name', srv.orgName]);
    assert.equal(r2.code, 1, `duplicate of the init org: exit ${r2.code} ${r2.stderr}`);
  }));

  it('bad usage → exit 2 with an error on stderr', withLogs(async () => {
    const cases = [
      ['create-org'], // missing --org-name
      ['no-such-subcommand'],
      ['create-org', '--org-name', uniqueName('x'), '--no-such-flag'],
      ['create-user', '--org-name', orgB], // missing --email
      ['create-api-key'], // missing --user-email
    ];
    for (const args of cases) {
      const r = await srv.adminRaw(args);
      assert.equal(r.code, 2, `${r.argv.join(' ')} → exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0, `${args.join(' ')}: stderr should explain`);
    }
  }));

  it('create-user + create-api-key: the new key logs into that org only', withLogs(async () => {
    const email = `u-${randomSuffix(3)}@example.test`;
    const u = await srv.admin(['create-user', '--email', email, '--org-name', orgB]);
    assert.ok(JSON.stringify(u).includes(email), `create-user output lacks the email: ${JSON.stringify(u)}`);
    const k = await srv.admin(['create-api-key', '--user-email', email, '--org-name', orgB, '--name', 'ci-key']);
    const key = findKeyField(k);
    assert.ok(key, `create-api-key output has no api_key/key: ${JSON.stringify(k)}`);
    const l = await login(srv.url, key);
    assert.equal(l.status, 200, l.text);
    assert.deepEqual(orgNames(l), [orgB]);
    // Unknown user → failure exit 1.
    const bad = await srv.adminRaw(['create-api-key', '--user-email', `nobody-${randomSuffix(3)}@example.test`]);
    assert.equal(bad.code, 1, `unknown user: exit ${bad.code} ${bad.stderr}`);
    // Unknown org for create-user → exit 1.
    const bad2 = await srv.adminRaw(['create-user', '--email', `v-${randomSuffix(3)}@example.test`, '--org-name', uniqueName('no-org')]);
    assert.equal(bad2.code, 1, `unknown org: exit ${bad2.code} ${bad2.stderr}`);
  }));

  it('list-orgs / list-users / list-api-keys / list-projects --json', withLogs(async () => {
    const projName = uniqueName('listed');
    ok(await c.post('/v1/project', { name: projName, org_name: srv.orgName }));
    const orgs = await srv.admin(['list-orgs']);
    const orgText = JSON.stringify(orgs);
    for (const n of [srv.orgName, orgB]) assert.ok(orgText.includes(n), `list-orgs lacks ${n}: ${orgText}`);
    assert.ok(asArray(orgs).length >= 2, `list-orgs should be an array (or wrap one): ${orgText}`);
    const users = JSON.stringify(await srv.admin(['list-users']));
    for (const e of [srv.userEmail, userB]) assert.ok(users.includes(e), `list-users lacks ${e}: ${users}`);
    const keys = await srv.admin(['list-api-keys']);
    assert.ok(asArray(keys).length >= 2, `list-api-keys: ${JSON.stringify(keys)}`);
    assert.ok(!JSON.stringify(keys).includes(srv.apiKey), 'list-api-keys must not print raw keys');
    const projects = JSON.stringify(await srv.admin(['list-projects']));
    assert.ok(projects.includes(projName), `list-projects lacks ${projName}: ${projects}`);
  }));
});

describe('graceful SIGTERM', { skip: SKIP_NO_BINARY }, () => {
  it('SIGTERM on a server that served requests (client keeps idle keep-alive sockets) → exit 0', withLogs(async () => {
    const s = await startServe();
    for (const p of ['/health', '/version']) await api(s.url, p);
    await api(s.url, '/v1/project', { key: s.apiKey });
    const res = await s.stop({ strict: true });
    assert.deepEqual(res.map((r) => r.code), [0]);
  }));

  it('SIGTERM on a server that never got a request → exit 0', withLogs(async () => {
    const s = await startServe();
    await s.stop({ strict: true });
  }));

  it('SIGTERM on control + data → both exit 0', withLogs(async () => {
    const s = await startSplit();
    await api(s.dataUrl, '/api/apikey/login', { method: 'POST', key: s.apiKey });
    await s.stop({ strict: true });
  }));
});

describe('in-flight drain, access log, restart keeps data, --public-url', { skip: SKIP_NO_BINARY }, () => {
  let srv;
  let first;
  let proj;
  let orgsBefore;
  before(async () => {
    first = await startServe({ apiKey: null });
  });
  after(async () => {
    await first?.stop().catch(() => {});
    await srv?.stop();
  });

  it('a request in flight at SIGTERM still gets its response', withLogs(async () => {
    const key = first.apiKey;
    proj = ok(await api(first.url, '/v1/project', { key, body: { name: uniqueName('persist') } }));
    orgsBefore = orgNames(await login(first.url, key));

    // Start a request whose body is still being sent, then SIGTERM.
    const u = new URL(first.url);
    const body = JSON.stringify({ name: uniqueName('inflight') });
    const sock = net.connect(Number(u.port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let response = '';
    sock.on('data', (d) => (response += d.toString()));
    const closed = new Promise((r) => sock.once('close', r));
    sock.on('error', () => {});
    sock.write(
      `POST /v1/project HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
        body.slice(0, 5),
    );
    await sleep(300); // let the server start reading the request (ordering only, nothing timed is asserted)
    first.proc.signal('SIGTERM');
    await sleep(200);
    sock.write(body.slice(5));
    let timer;
    const hang = new Promise((resolve) => {
      timer = setTimeout(() => resolve('hang'), 20_000); // hang guard, not a timing assertion
    });
    const outcome = await Promise.race([closed, hang]);
    clearTimeout(timer);
    if (outcome === 'hang') sock.destroy();
    assert.notEqual(outcome, 'hang', `no response/close within 20 s for a request in flight at SIGTERM; got so far: ${JSON.stringify(response.slice(0, 300))}`);
    assert.match(response, /^HTTP\/1\.[01] 200/, `in-flight request during shutdown got: ${response.slice(0, 500)}`);
  }));

  it('…and then the process exits 0', withLogs(async () => {
    let timer;
    const hang = new Promise((resolve) => {
      timer = setTimeout(() => resolve('hang'), 20_000); // hang guard
    });
    const outcome = await Promise.race([first.proc.waitExit(), hang]);
    clearTimeout(timer);
    assert.notEqual(outcome, 'hang', 'process still running 20 s after SIGTERM');
    assert.equal(outcome.code, 0, `exit after SIGTERM: ${JSON.stringify(outcome)}`);
  }));

  it('stdout access log: one JSON object per line', withLogs(async () => {
    await first.stop({ keepTmp: true }); // SIGKILLs if the previous test found a hang
    const lines = fs.readFileSync(first.proc.stdoutFile, 'utf8').split('\n').filter((l) => l.trim());
    // This process served POST /v1/project and POST /api/apikey/login before SIGTERM.
    assert.ok(lines.length >= 2, `expected ≥2 access-log lines, got ${lines.length}`);
    for (const l of lines) {
      let obj;
      assert.doesNotThrow(() => (obj = JSON.parse(l)), `access-log line is not JSON: ${l}`);
      assert.ok(obj && typeof obj === 'object' && !Array.isArray(obj), `access-log line not an object: ${l}`);
    }
  }));

  it('restart on the same data dir keeps keys, orgs and objects', withLogs(async () => {
    await first.stop({ keepTmp: true });
    const key = first.apiKey;
    const keyFileBefore = fs.readFileSync(path.join(first.dataDir, 'initial-api-key'), 'utf8');
    // Init env is present again; it must not re-initialise a non-empty data dir.
    srv = await startServe({ tmpDir: first.tmpDir, dataDir: first.dataDir, orgName: first.orgName, apiKey: null });
    first = null;
    assert.equal(srv.apiKey, key, 'initial-api-key must not be rewritten on restart');
    assert.equal(fs.readFileSync(path.join(srv.dataDir, 'initial-api-key'), 'utf8'), keyFileBefore);
    const again = await api(srv.url, `/v1/project/${proj.id}`, { key });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.name, proj.name);
    assert.deepEqual(orgNames(await login(srv.url, key)), orgsBefore, 'no duplicate org after restart');
  }));

  it('--public-url is returned as api_url by login', withLogs(async () => {
    const [port] = await freePorts(1);
    const publicUrl = `http://127.0.0.1:${port}/tv-public`;
    const pub = await startServe({ port, publicUrl });
    try {
      const l = await login(pub.url, pub.apiKey);
      assert.equal(l.status, 200, l.text);
      assert.equal(l.json.org_info[0].api_url.replace(/\/+$/, ''), publicUrl);
    } finally {
      await pub.stop();
    }
  }));

  it('without --public-url, login api_url is the listen URL', withLogs(async () => {
    const l = await login(srv.url, srv.apiKey);
    assert.equal(l.status, 200);
    assert.equal(l.json.org_info[0].api_url.replace(/\/+$/, ''), srv.url);
  }));

  it('bad login key → 401 JSON', withLogs(async () => {
    expectError(await login(srv.url, 'sk-wrong'), 401);
  }));
});
