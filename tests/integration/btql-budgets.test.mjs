// BTQL budgets: a query whose working state outgrows --query-memory-mb fails
// with a 400 naming the budget, changes nothing, and the server keeps
// answering; smaller queries on the same data still work.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, withLogs } from '../lib/server.mjs';
import { ok } from '../lib/http.mjs';
import { btql, insertRows, makeObjects } from '../lib/rows.mjs';

describe('BTQL budgets', { skip: SKIP_NO_BINARY }, () => {
  let dep, url, key, E;
  const ROWS = 4000;

  before(async () => {
    dep = await startServe({ extraArgs: ['--query-memory-mb', '1'] });
    url = dep.url;
    key = dep.apiKey;
    const objs = await makeObjects(url, key, 'budget');
    E = objs.experiment.id;
    for (let start = 0; start < ROWS; start += 500) {
      const rows = [];
      for (let i = start; i < start + 500; i++) rows.push({ id: `r${i}`, input: `${'x'.repeat(400)}-${i}`, scores: { s: (i % 7) / 8 } });
      await insertRows(url, key, 'experiment', E, rows);
    }
  });
  after(async () => dep?.stop());

  it('a query past the memory budget is a 400 naming it; the server keeps answering', withLogs(async () => {
    const big = await btql(url, key, `measures: count_distinct(input) as n | from: experiment('${E}')`);
    assert.equal(big.status, 400, big.text);
    assert.match(big.json.error ?? big.text, /memory budget of 1 MiB/);
    const sorted = await btql(url, key, `select: input | from: experiment('${E}') | sort: input | limit: 100000`);
    assert.equal(sorted.status, 400, sorted.text);
    const small = ok(await btql(url, key, `dimensions: scores.s as s | measures: count(1) as n | from: experiment('${E}') | sort: s`));
    assert.equal(small.data.length, 7);
    assert.equal(small.data.reduce((a, r) => a + r.n, 0), ROWS);
    const top = ok(await btql(url, key, `select: id | from: experiment('${E}') | sort: input desc | limit: 3`));
    assert.deepEqual(top.data.map((r) => r.id), ['r999', 'r998', 'r997']);
  }));
});
