// Playground sessions (prompt_session_id + log_id "x") belong to the
// organization whose first write claims them, and the claim is atomic: when
// two organizations first write the same new session id at the same moment,
// exactly one wins; the other gets a clear 404 and none of its rows lands in
// the winner's session. Session ids are UUIDs; anything else is a 400.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, startSplit, uniqueName, withLogs } from '../lib/server.mjs';
import { api, expectError } from '../lib/http.mjs';
import { btql } from '../lib/rows.mjs';

const TRIALS = 25;

function logs3(url, key, session, who, n = 3) {
  const rows = [];
  for (let i = 0; i < n; i++) rows.push({ id: `${who}-${i}`, prompt_session_id: session, log_id: 'x', input: `from-${who}` });
  return api(url, '/logs3', { key, body: { rows, api_version: 2 } });
}

function readSession(url, key, session) {
  return btql(url, key, `select: id, input | from: playground_logs('${session}')`);
}

function definePlaygroundTests(label, startDeployment) {
  describe(`playground session claims: ${label}`, { skip: SKIP_NO_BINARY }, () => {
    let dep;
    let url;
    let A;
    let B;
    before(async () => {
      dep = await startDeployment();
      url = dep.dataUrl;
      A = { key: dep.apiKey, who: 'A' };
      const out = await dep.admin(['create-org', '--org-name', uniqueName('claim-b'), '--user-email', `b-${crypto.randomUUID()}@example.test`]);
      B = { key: out.api_key, who: 'B' };
    });
    after(async () => {
      await dep?.stop();
    });

    it('two organizations racing for a fresh session id: one wins, the other gets 404 and sees none of its rows', withLogs(async () => {
      const problems = [];
      const wins = { A: 0, B: 0 };
      for (let t = 0; t < TRIALS; t++) {
        const session = crypto.randomUUID();
        const order = t % 2 ? [A, B] : [B, A];
        const writes = await Promise.all(order.map((o) => logs3(url, o.key, session, o.who)));
        const byOrg = Object.fromEntries(order.map((o, i) => [o.who, writes[i]]));
        const statuses = [byOrg.A.status, byOrg.B.status].sort();
        if (JSON.stringify(statuses) !== '[200,404]') {
          problems.push(`trial ${t}: writes answered A ${byOrg.A.status} ${byOrg.A.text.slice(0, 200)} / B ${byOrg.B.status} ${byOrg.B.text.slice(0, 200)}`);
        }
        for (const o of [A, B]) {
          const w = byOrg[o.who];
          if (w.status >= 400 && !(typeof w.json?.Code === 'string' && /not found/.test(w.json?.Message ?? ''))) {
            problems.push(`trial ${t}: ${o.who}'s refused write has an unclear error: ${w.text}`);
          }
          const r = await readSession(url, o.key, session);
          if (r.status === 200) {
            const foreign = r.json.data.filter((row) => row.input !== `from-${o.who}`);
            if (foreign.length) problems.push(`trial ${t}: ${o.who} reads another organization's rows: ${JSON.stringify(foreign)}`);
            if (w.status === 200 && r.json.data.length !== 3) problems.push(`trial ${t}: ${o.who} won but reads ${r.json.data.length} rows`);
            if (w.status !== 200) problems.push(`trial ${t}: ${o.who} lost the claim but can read the session`);
          } else if (r.status !== 404) {
            problems.push(`trial ${t}: ${o.who} read answered ${r.status} ${r.text.slice(0, 200)}`);
          } else if (w.status === 200) {
            problems.push(`trial ${t}: ${o.who} won the claim but cannot read its session`);
          }
          if (w.status === 200) wins[o.who]++;
        }
      }
      assert.deepEqual(problems, [], problems.join('\n'));
      assert.equal(wins.A + wins.B, TRIALS);
    }));

    it('the winner keeps writing to its session; the other organization stays out', withLogs(async () => {
      const session = crypto.randomUUID();
      assert.equal((await logs3(url, A.key, session, 'A', 1)).status, 200);
      assert.equal((await logs3(url, A.key, session, 'A2', 1)).status, 200, 'a second write of the owner');
      expectError(await logs3(url, B.key, session, 'B', 1), 404, "B writes into A's session");
      expectError(await readSession(url, B.key, session), 404, "B reads A's session");
      const r = await readSession(url, A.key, session);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.data.map((x) => x.input).sort(), ['from-A', 'from-A2']);
    }));

    it('a session id that is not a UUID is a 400 naming prompt_session_id, and nothing is written', withLogs(async () => {
      for (const bad of ['my-session', 'a'.repeat(2000), '6f1c0f7e-2c3b-4e8f-9a2d-1b2c3d4e5f6']) {
        const w = expectError(await logs3(url, A.key, bad, 'A', 1), 400, `session id ${bad.slice(0, 40)}`);
        assert.match(w.Message, /prompt_session_id/);
      }
      // A batch with one bad session id writes none of its other rows.
      const good = crypto.randomUUID();
      const rows = [
        { id: 'ok-row', prompt_session_id: good, log_id: 'x', input: 'x' },
        { id: 'bad-row', prompt_session_id: 'not-a-uuid', log_id: 'x', input: 'x' },
      ];
      expectError(await api(url, '/logs3', { key: A.key, body: { rows, api_version: 2 } }), 400);
      expectError(await readSession(url, A.key, good), 404, 'the good session was not claimed either');
      assert.equal((await logs3(url, B.key, good, 'B', 1)).status, 200, 'so another organization can still claim it');
    }));
  });
}

definePlaygroundTests('serve', () => startServe());
definePlaygroundTests('control + data (via data-plane URL)', () => startSplit());
