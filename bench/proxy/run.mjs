// The AI proxy's own cost: the same chat completions sent straight to the
// local fake provider and through tracevault's /v1/proxy (routing, secret
// resolution, allow-list, outbound client), plain and streamed. Prints
// p50/p99 latency and the ratio; streams also time-to-first-byte.
//   node bench/proxy/run.mjs [path/to/tracevault] [calls]
import process from 'node:process';
import { FAKE_OPENAI_KEY, startFakeModels } from '../../tests/lib/fake-models.mjs';
import { startServe } from '../../tests/lib/server.mjs';

const calls = Number(process.argv[3] ?? 300);
if (process.argv[2]) process.env.TRACEVAULT_BIN = process.argv[2];

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function time(url, key, body) {
  const t0 = performance.now();
  const r = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const reader = r.body.getReader();
  let first;
  for (;;) {
    const { done } = await reader.read();
    if (first === undefined) first = performance.now() - t0;
    if (done) break;
  }
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return { total: performance.now() - t0, first };
}

const fake = await startFakeModels();
const dep = await startServe({ extraArgs: ['--proxy-allowed-hosts', `http://127.0.0.1:${new URL(fake.url).port}`, '--no-access-log'],
  env: { OUTBOUND_RATE_LIMIT_MAX_REQUESTS: '0' } });
try {
  await fetch(`${dep.url}/v1/ai_secret`, { method: 'POST', headers: { Authorization: `Bearer ${dep.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'OPENAI_API_KEY', type: 'openai', secret: FAKE_OPENAI_KEY, metadata: { api_base: fake.openaiBase } }) });
  const rows = [];
  for (const stream of [false, true]) {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the quick brown fox jumps over the lazy dog' }], stream, temperature: 0.7 };
    const direct = [], proxied = [];
    for (let i = 0; i < 20; i++) await time(`${dep.url}/v1/proxy/chat/completions`, dep.apiKey, body);  // warm
    for (let i = 0; i < calls; i++) {
      direct.push(await time(`${fake.openaiBase}/chat/completions`, FAKE_OPENAI_KEY, body));
      proxied.push(await time(`${dep.url}/v1/proxy/chat/completions`, dep.apiKey, body));
    }
    const metric = stream ? 'first' : 'total';
    const d = direct.map((x) => x[metric]), p = proxied.map((x) => x[metric]);
    rows.push({ case: stream ? 'streamed, time to first byte' : 'plain, whole answer', direct_p50: pct(d, 0.5), direct_p99: pct(d, 0.99),
      proxy_p50: pct(p, 0.5), proxy_p99: pct(p, 0.99), ratio_p50: pct(p, 0.5) / pct(d, 0.5), added_p50_ms: pct(p, 0.5) - pct(d, 0.5) });
  }
  console.log(`${calls} calls each, alternating direct and proxied (ms)`);
  for (const r of rows)
    console.log(`${r.case.padEnd(30)} direct p50 ${r.direct_p50.toFixed(2)} p99 ${r.direct_p99.toFixed(2)} | proxy p50 ${r.proxy_p50.toFixed(2)} p99 ${r.proxy_p99.toFixed(2)} | ratio ${r.ratio_p50.toFixed(2)} (+${r.added_p50_ms.toFixed(2)} ms)`);
} finally {
  await dep.stop();
  await fake.close();
}
