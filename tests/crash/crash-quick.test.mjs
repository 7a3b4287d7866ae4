// The crash suite's short run inside `make test`: a few kill -9 cycles, clean
// and with object-store faults. The long run is `make crash`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SKIP_NO_BINARY } from '../lib/server.mjs';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash.mjs');

function run(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { timeout: 300_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code ?? 1 : 0, stdout, stderr });
    });
  });
}

function report(stdout) {
  const last = stdout.trim().split('\n').pop();
  return JSON.parse(last);
}

describe('crash suite (short)', { skip: SKIP_NO_BINARY }, () => {
  it('kill -9 during concurrent ingest loses no acknowledged row and half-applies no batch', async () => {
    const r = await run(['--cycles', '3']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const rep = report(r.stdout);
    assert.equal(rep.cycles, 3);
    assert.ok(rep.acked_rows > 0);
    assert.equal(rep.lost_rows, 0);
    assert.equal(rep.half_applied, 0);
  });

  it('the same with injected object-store errors, torn and lost writes', async () => {
    const r = await run(['--cycles', '2', '--faults', 'error=0.2,torn=0.05,lost=0.05,latency_ms=2,seed=11']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const rep = report(r.stdout);
    assert.ok(rep.acked_rows > 0);
    assert.equal(rep.lost_rows, 0);
    assert.equal(rep.half_applied, 0);
  });
});
