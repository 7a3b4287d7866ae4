// BTQL budgets: a query whose working state outgrows --query-memory-mb fails
// with a 400 naming the budget, changes nothing, and the server keeps
// answering; smaller queries on the same data still work.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, withLogs } from '../lib/server.mjs';
import { ok } from '../lib/http.mjs';
import { btql, insertRows, makeObjects } from '../lib/rows.mjs';

/** The server's peak resident memory in bytes (VmHWM of /proc/PID/status). */
function peakRss(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
  assert.ok(m, 'VmHWM in /proc/PID/status');
  return Number(m[1]) * 1024;
}

/** concat(x, x, ... `width` times), nested `depth` levels deep over `field`. */
function nestedConcat(field, width, depth) {
  let e = field;
  for (let i = 0; i < depth; i++) e = `concat(${Array(width).fill(e).join(', ')})`;
  return e;
}

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

  it('values an expression builds count: nested concat is a 400, the server keeps its memory', withLogs(async () => {
    // 400-byte inputs, ×8 per level, 3 levels: 200 KB a row, 800 MB of values
    // (and as much again of JSON) over 4000 rows if nothing stopped it.
    const before = peakRss(dep.proc.pid);
    const blowup = nestedConcat('input', 8, 3);
    const streamed = await btql(url, key, `select: ${blowup} as c | from: experiment('${E}') | limit: 100000`);
    assert.equal(streamed.status, 400, streamed.text.slice(0, 200));
    assert.match(streamed.json?.Message ?? streamed.text, /memory budget of 1 MiB/);
    assert.match(streamed.json?.Message ?? streamed.text, /narrow it/);
    // One row's value past the budget, in a filter: refused before it is built.
    const deeper = nestedConcat('input', 8, 4);
    const filtered = await btql(url, key, `select: id | from: experiment('${E}') | filter: len(${deeper}) > 0 | limit: 1`);
    assert.equal(filtered.status, 400, filtered.text.slice(0, 200));
    assert.match(filtered.json?.Message ?? filtered.text, /memory budget/);
    // Grouped and jsonl answers are budgeted the same way.
    const grouped = await btql(url, key, `dimensions: ${blowup} as c | measures: count(1) as n | from: experiment('${E}')`);
    assert.equal(grouped.status, 400, grouped.text.slice(0, 200));
    const jsonl = await btql(url, key, `select: ${blowup} as c | from: experiment('${E}') | limit: 100000`, { fmt: 'jsonl' });
    assert.equal(jsonl.status, 400, jsonl.text.slice(0, 200));
    const grown = peakRss(dep.proc.pid) - before;
    assert.ok(grown < 512 * 1024 * 1024, `peak RSS grew by ${grown} bytes`);
    // Small enough values still work, and the server answers normally.
    const small = ok(await btql(url, key, `select: ${nestedConcat("'ab'", 2, 3)} as c | from: experiment('${E}') | limit: 2`));
    assert.deepEqual(small.data, [{ c: 'ab'.repeat(8) }, { c: 'ab'.repeat(8) }]);
    const count = ok(await btql(url, key, `measures: count(1) as n | from: experiment('${E}')`));
    assert.equal(count.data[0].n, ROWS);
  }));

  it('the response counts: many rows that fit one by one are a 400 together', withLogs(async () => {
    // 4000 rows of ~420 bytes: about 1.7 MB of rows and 1.7 MB of JSON.
    const all = await btql(url, key, `select: id, input | from: experiment('${E}') | limit: 100000`);
    assert.equal(all.status, 400, all.text.slice(0, 200));
    assert.match(all.json?.Message ?? all.text, /memory budget of 1 MiB/);
    const page = ok(await btql(url, key, `select: id, input | from: experiment('${E}') | limit: 100`));
    assert.equal(page.data.length, 100);
  }));

  it('date arithmetic past the calendar is a 400, not a wrapped date', withLogs(async () => {
    for (const [expr, what] of [
      ['created + interval 2147483647 month', 'month'],
      ['created - interval 2147483647 month', 'month'],
      ['created + interval 100000 year', 'year'],
      ['created - interval 3000000 day', 'day'],
      ['created + interval 999999999999 second', 'second'],
      ['created + interval 9000000000000000000 microsecond', 'microsecond'],
      ['created + (interval 2500000000 hour + interval 2500000000 hour)', 'overflow'],
    ]) {
      const r = await btql(url, key, `select: ${expr} as t | from: experiment('${E}') | limit: 1`);
      assert.equal(r.status, 400, `${what}: ${r.text.slice(0, 300)}`);
      assert.match(r.json?.Message ?? r.text, /out of range|overflows/, what);
    }
    const fine = ok(await btql(url, key, `select: to_date(created + interval 12 month) as t | from: experiment('${E}') | limit: 1`));
    assert.equal(fine.data.length, 1);
    assert.match(fine.data[0].t, /^\d{4}-\d{2}-\d{2}$/);
  }));
});
