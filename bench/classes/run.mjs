// The light path under another organization's heavy load: org B's
// GET /v1/project latency (p50/p99) while org A keeps CONCURRENCY slow BTQL
// queries in flight, in three server configurations run one after another:
//   before  — --single-worker-pool, no per-tenant limit (every class in one pool)
//   pools   — a worker pool per request class, no per-tenant limit
//   limits  — the defaults: pools plus 2 heavy per key / 3 per organization
// Each run also reports B's idle latency and A's completed and refused queries.
//   node bench/classes/run.mjs [path/to/tracevault] [seconds per run]
import process from 'node:process';
import { sleep, startServe, uniqueName, randomSuffix } from '../../tests/lib/server.mjs';
import { api, ok } from '../../tests/lib/http.mjs';
import { btql, makeObjects } from '../../tests/lib/rows.mjs';
import { seedHeavyCorpus, slowQuery } from '../../tests/lib/heavy.mjs';

if (process.argv[2]) process.env.TRACEVAULT_BIN = process.argv[2];
const SECONDS = Number(process.argv[3] ?? 20);
const ROWS = Number(process.env.ROWS ?? 40000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 12);

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function timeLookups(url, key, until) {
  const ms = [];
  while (performance.now() < until) {
    const t0 = performance.now();
    const r = await api(url, '/v1/project', { key, validate: false });
    if (r.status !== 200) throw new Error(`GET /v1/project → ${r.status}: ${r.text}`);
    ms.push(performance.now() - t0);
  }
  return ms;
}

async function run(name, extraArgs) {
  const dep = await startServe({ extraArgs: [...extraArgs, '--no-access-log'] });
  try {
    const A = await makeObjects(dep.url, dep.apiKey, 'bench-a');
    await seedHeavyCorpus(dep.url, dep.apiKey, A.experiment.id, ROWS);
    const out = await dep.admin(['create-org', '--org-name', uniqueName('bench-b'), '--user-email', `b-${randomSuffix(3)}@example.test`]);
    ok(await api(dep.url, '/v1/project', { key: out.api_key, body: { name: 'bench-b-project' } }));
    const idle = await timeLookups(dep.url, out.api_key, performance.now() + 3000);

    let stop = false, done = 0, refused = 0;
    const heavy = Array.from({ length: CONCURRENCY }, async () => {
      while (!stop) {
        const r = await btql(dep.url, dep.apiKey, slowQuery(A.experiment.id));
        if (r.status === 200) done++;
        else if (r.status === 429) {
          refused++;
          await sleep(1000 * Number(r.headers.get('retry-after') ?? 1));
        } else throw new Error(`heavy query → ${r.status}: ${r.text.slice(0, 200)}`);
      }
    });
    await sleep(1000);  // let the heavy load build up
    const loaded = await timeLookups(dep.url, out.api_key, performance.now() + SECONDS * 1000);
    stop = true;
    await Promise.all(heavy);
    return { name, idle, loaded, done, refused };
  } finally {
    await dep.stop();
  }
}

const runs = [
  await run('before (one pool)', ['--single-worker-pool', '--heavy-per-key', '0', '--heavy-per-org', '0']),
  await run('pools', ['--heavy-per-key', '0', '--heavy-per-org', '0']),
  await run('pools + limits', []),
];
console.log(`org B's GET /v1/project while org A keeps ${CONCURRENCY} heavy BTQL queries in flight (${ROWS} rows, ${SECONDS} s per run; ms)`);
for (const r of runs) {
  console.log(`${r.name.padEnd(18)} idle p50 ${pct(r.idle, 0.5).toFixed(2)} p99 ${pct(r.idle, 0.99).toFixed(2)} | ` +
    `loaded p50 ${pct(r.loaded, 0.5).toFixed(2)} p99 ${pct(r.loaded, 0.99).toFixed(2)} (${r.loaded.length} lookups) | ` +
    `A: ${r.done} queries done, ${r.refused} refused (429)`);
}
