// Heavy-load helpers shared by the request-class test and bench/classes: a
// corpus that makes one BTQL query take a while, and polling of GET /ready.
// 127.0.0.1 only (through lib/http.mjs).
import { api, ok } from './http.mjs';
import { sleep } from './server.mjs';

/** Inserts `rows` rows of ~1 KB text into experiment `id`, 1000 per request. */
export async function seedHeavyCorpus(url, key, id, rows) {
  for (let start = 0; start < rows; start += 1000) {
    const events = [];
    for (let i = start; i < Math.min(rows, start + 1000); i++) {
      events.push({ id: `h${i}`, input: `${i} ${'lorem ipsum dolor sit amet '.repeat(36)}`, output: `out ${i % 97}`, scores: { s: (i % 10) / 10 } });
    }
    ok(await api(url, `/v1/experiment/${id}/insert`, { key, body: { events } }), `seed rows ${start}`);
  }
}

/** A query that visits every row and keeps one group per row: slow on the corpus above. */
export function slowQuery(experimentId) {
  return `dimensions: concat(input, id) as k | measures: count(1) as n | from: experiment('${experimentId}') | sort: k desc | limit: 1`;
}

/** GET /ready's body (200 or 503), with the HTTP status as `http`. */
export async function readiness(url) {
  const r = await api(url, '/ready', { validate: false });
  if (r.status !== 200 && r.status !== 503) throw new Error(`GET /ready → ${r.status}: ${r.text}`);
  return { ...r.json, http: r.status };
}

/** Polls GET /ready until `pred(body)` holds; throws after `attempts` polls. */
export async function waitForReadiness(url, pred, what, attempts = 600) {
  let last;
  for (let i = 0; i < attempts; i++) {
    last = await readiness(url);
    if (pred(last)) return last;
    await sleep(50);
  }
  throw new Error(`GET /ready never showed ${what}; last: ${JSON.stringify(last)}`);
}
