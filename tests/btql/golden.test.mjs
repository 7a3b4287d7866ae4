// BTQL golden suite: every `tests/btql/*.test` file, run against one real
// server in three states — fresh (rows still in the write-ahead log), after a
// restart, and after `tracevault admin compact --wait` — with the same
// expectations each time. Each case is its own test, named
// `<file>:<line> [fresh|restart|compacted]` plus the case's note.
//
// File format (full description with examples: tests/btql/README.md):
//
//   # a comment (a line whose first non-blank character is '#', anywhere)
//   setup experiment e1        one object per name; `dataset` and `project_logs` too
//   {"id":"r1","created":"2026-01-01T00:00:00Z","input":"hello"}     one JSON row per line
//   setup experiment e1        the same name again: its rows are a later transaction
//   {"id":"r1","_is_merge":true,"metadata":{"reviewed":true}}
//   setup experiment x foreign  an object of another organization (queries still use ours)
//   query -- optional note     BTQL text until the next directive (`query json`: the
//   select: id | from: experiment('$e1') | sort: id        JSON AST object; `query sql`: SQL text)
//   expect                     the expected `data` array, exact and in order
//   [{"id":"r1"}]              (`expect unordered`: any order; `expect count N`: only the size)
//   query
//   from: experiment('$e1') | filter: x ==
//   error 400 expected a value             status, then a case-insensitive substring of the message
//
// * Directives start at column 0: setup, query, expect, error. Everything else that is
//   not blank or a comment belongs to the block above it.
// * `$name` in rows and queries becomes the object's id: an experiment's or dataset's
//   UUID, a project_logs object's project id. `$project` is the file's project (which
//   holds its experiments and datasets; each project_logs object gets a project of its
//   own) and `$org` the organization.
// * `{{repeat N "json string"}}` in rows and queries expands to the string N times.
// * Setup rows need a fixed `id`; rows that are neither `_is_merge` nor `_object_delete`
//   also need `created`. A row without `span_id` gets `span_id = root_span_id = id`,
//   so every answer is deterministic.
// * Answers are normalized before comparing: every occurrence of a known id inside a
//   string (or an object key) becomes `$name`, `_xact_id` values become "<_xact_id>"
//   and `_pagination_key` values "<_pagination_key>". Nothing else is touched.
// * Each request has a 30 s deadline (a hang guard, not a timing assertion).
//
// Environment:
//   BTQL_GOLDEN_FILTER=substr   only cases whose `<file>:<line> <note>` contains substr
//   BTQL_GOLDEN_STATES=fresh,…  only these states (default fresh,restart,compacted)
//   BTQL_GOLDEN_UPDATE=1        rewrite each mismatching expectation from the fresh
//                               answer; the case still fails. Refused when CI is set.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { BIN, SKIP_NO_BINARY, assertLocalUrl, liveLogs, restartServe, startServe } from '../lib/server.mjs';
import { api, ok } from '../lib/http.mjs';
import { insertRows } from '../lib/rows.mjs';
import {
  PAGINATION_PLACEHOLDER,
  XACT_PLACEHOLDER,
  expandRepeats,
  expectationText,
  formatRows,
  parseGolden,
  rewriteExpectations,
} from './golden-format.mjs';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const REQUEST_TIMEOUT_MS = 30_000;
const ALL_STATES = ['fresh', 'restart', 'compacted'];
const FILTER = process.env.BTQL_GOLDEN_FILTER ?? '';
const STATES = (process.env.BTQL_GOLDEN_STATES ?? ALL_STATES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const UPDATE = process.env.BTQL_GOLDEN_UPDATE === '1';
if (UPDATE && process.env.CI) throw new Error('BTQL_GOLDEN_UPDATE is for authoring and is refused when CI is set');
for (const s of STATES) if (!ALL_STATES.includes(s)) throw new Error(`BTQL_GOLDEN_STATES: unknown state '${s}'`);

// ---------------------------------------------------------------------------
// Files

function loadFiles() {
  const names = fs.readdirSync(here).filter((f) => f.endsWith('.test')).sort();
  return names.map((name) => {
    const file = path.join(here, name);
    const source = fs.readFileSync(file, 'utf8');
    const parsed = parseGolden(name, source);
    const cases = parsed.cases
      .map((c) => ({ ...c, id: `${name}:${c.line}`, title: c.note ? `${name}:${c.line} ${c.note}` : `${name}:${c.line}` }))
      .filter((c) => !FILTER || c.title.includes(FILTER));
    return { name, file, source, setups: parsed.setups, cases, ids: null, setupError: null, replacements: [] };
  }).filter((f) => f.cases.length > 0);
}

// ---------------------------------------------------------------------------
// Substitution both ways

const NAME_REF_RE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

function substitute(text, ids) {
  return expandRepeats(text).replace(NAME_REF_RE, (whole, name) => (ids.has(name) ? ids.get(name) : whole));
}

function normalize(value, reverse) {
  const str = (s) => {
    let out = s;
    for (const [id, name] of reverse) if (out.includes(id)) out = out.split(id).join(`$${name}`);
    return out;
  };
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return value.map((v) => normalize(v, reverse));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '_xact_id' && typeof v === 'string') out[k] = XACT_PLACEHOLDER;
      else if (k === '_pagination_key' && typeof v === 'string') out[k] = PAGINATION_PLACEHOLDER;
      else out[str(k)] = normalize(v, reverse);
    }
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Setup: objects and rows

/**
 * The key of a second organization, created once per run with the admin CLI,
 * for `setup ... foreign` objects.
 */
let foreignKey = null;
async function foreignOrgKey(dep) {
  if (!foreignKey) {
    const suffix = Math.random().toString(16).slice(2, 10);
    const out = await dep.admin(['create-org', '--org-name', `golden-foreign-${suffix}`, '--user-email', `foreign-${suffix}@example.test`]);
    foreignKey = out.api_key;
  }
  return foreignKey;
}

async function createObjects(dep, f) {
  const url = dep.dataUrl;
  const tag = `${f.name.replace(/\.test$/, '')}-${Math.random().toString(16).slice(2, 8)}`;
  const projects = new Map(); // api key → the file's project in that key's org
  const projectFor = async (key) => {
    if (!projects.has(key)) projects.set(key, ok(await api(url, '/v1/project', { key, body: { name: `golden-${tag}` } }), 'create project'));
    return projects.get(key);
  };
  const project = await projectFor(dep.apiKey);
  const ids = new Map([['project', project.id], ['org', project.org_id]]);
  const keys = new Map();
  const kinds = new Map();
  for (const s of f.setups) {
    if (kinds.has(s.name)) {
      if (kinds.get(s.name) !== s.type) throw new Error(`${f.name}:${s.line}: '${s.name}' was set up as ${kinds.get(s.name)}`);
      continue;
    }
    kinds.set(s.name, s.type);
    const key = s.foreign ? await foreignOrgKey(dep) : dep.apiKey;
    let obj;
    if (s.type === 'project_logs') {
      obj = ok(await api(url, '/v1/project', { key, body: { name: `golden-${tag}-${s.name}` } }), 'create logs project');
    } else {
      const home = await projectFor(key);
      obj = ok(await api(url, `/v1/${s.type}`, { key, body: { project_id: home.id, name: `${tag}-${s.name}` } }), `create ${s.type}`);
    }
    ids.set(s.name, obj.id);
    keys.set(s.name, key);
  }
  return { ids, keys };
}

function setupRow(f, s, line, ids) {
  let row;
  try {
    row = JSON.parse(substitute(line.text, ids));
  } catch (e) {
    throw new Error(`${f.name}:${line.line}: setup row is not JSON: ${e.message}`);
  }
  const where = `${f.name}:${line.line}`;
  if (!row || typeof row !== 'object' || Array.isArray(row)) throw new Error(`${where}: a setup row is a JSON object`);
  if (typeof row.id !== 'string') throw new Error(`${where}: setup rows need a fixed string "id"`);
  const patch = row._is_merge === true || row._object_delete === true;
  if (!patch && typeof row.created !== 'string') throw new Error(`${where}: setup rows need a fixed "created"`);
  if (!patch && row.span_id === undefined) {
    row.span_id = row.id;
    if (row.root_span_id === undefined) row.root_span_id = row.id;
  }
  return row;
}

async function loadFile(dep, f) {
  const { ids, keys } = await createObjects(dep, f);
  f.ids = ids;
  f.reverse = [...ids.entries()].map(([name, id]) => [id, name]).sort((a, b) => b[0].length - a[0].length);
  for (const s of f.setups) {
    const rows = s.rows.map((line) => setupRow(f, s, line, ids));
    if (rows.length) await insertRows(dep.dataUrl, keys.get(s.name), s.type, ids.get(s.name), rows);
  }
}

// ---------------------------------------------------------------------------
// Queries

async function runQuery(url, key, f, c) {
  const text = substitute(c.query, f.ids);
  // The JSON form is spliced into the body as written, so nesting deeper than
  // V8's JSON stack (hostile cases) still reaches the server unchanged.
  let queryJson = JSON.stringify(text);
  if (c.kind === 'json') {
    try {
      JSON.parse(text);
    } catch (e) {
      if (!(e instanceof RangeError)) throw new Error(`${c.id}: 'query json' is not JSON: ${e.message}`);
    }
    queryJson = text;
  } else if (c.kind === 'sql' && !/^\s*(select|with)\b/i.test(text)) {
    throw new Error(`${c.id}: 'query sql' should start with SELECT or WITH`);
  }
  const target = `${url.replace(/\/+$/, '')}/btql`;
  assertLocalUrl(target);
  const res = await fetch(target, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: `{"query":${queryJson},"fmt":"json"}`,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await res.text();
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  if (res.status === 200 && json && Array.isArray(json.data)) return { status: 200, rows: normalize(json.data, f.reverse) };
  const message = json && typeof json.Message === 'string' ? json.Message : body;
  return { status: res.status, message: normalize(message, f.reverse) };
}

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A line diff (LCS) of two texts; fine for the small answers goldens hold. */
function lineDiff(want, got) {
  const a = want.split('\n');
  const b = got.split('\n');
  if (a.length * b.length > 4_000_000) return `--- expected\n${want}\n+++ actual\n${got}`;
  const dp = Array.from({ length: a.length + 1 }, () => new Int32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) out.push(`  ${a[i++]}`), j++;
    else if (i < a.length && (j === b.length || dp[i + 1][j] >= dp[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out.join('\n');
}

function clip(s, n = 4000) {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}

/** Returns null when the answer meets the expectation, else a readable explanation. */
function mismatch(c, actual) {
  const e = c.expect;
  if (e.kind === 'error') {
    if (actual.status === e.status && String(actual.message).toLowerCase().includes(e.substring.toLowerCase())) return null;
    const got = actual.status === 200 ? `200 with ${actual.rows.length} row(s):\n${clip(formatRows(actual.rows))}` : `${actual.status} ${clip(actual.message)}`;
    return `expected error ${e.status} containing ${JSON.stringify(e.substring)}\ngot ${got}`;
  }
  if (actual.status !== 200) return `expected rows, got error ${actual.status}: ${clip(actual.message)}`;
  if (e.kind === 'count') {
    return actual.rows.length === e.n ? null : `expected ${e.n} row(s), got ${actual.rows.length}:\n${clip(formatRows(actual.rows))}`;
  }
  let want = e.rows;
  let got = actual.rows;
  if (e.unordered) {
    const byCanon = (x, y) => (canonical(x) < canonical(y) ? -1 : canonical(x) > canonical(y) ? 1 : 0);
    want = [...want].sort(byCanon);
    got = [...got].sort(byCanon);
  }
  try {
    assert.deepStrictEqual(got, want);
    return null;
  } catch {
    return `rows differ${e.unordered ? ' (compared unordered)' : ''} (- expected, + actual):\n${clip(lineDiff(formatRows(want), formatRows(got)), 12_000)}`;
  }
}

// ---------------------------------------------------------------------------
// The suite

const files = loadFiles();

describe('BTQL golden files', { skip: SKIP_NO_BINARY || (files.length === 0 && 'no case matches BTQL_GOLDEN_FILTER') }, () => {
  let dep;
  before(async () => {
    dep = await startServe({ env: { TRACEVAULT_BACKGROUND_COMPACTION: 'false' } });
    for (const f of files) {
      try {
        await loadFile(dep, f);
      } catch (e) {
        f.setupError = e;
      }
    }
  });
  after(async () => {
    await dep?.stop();
  });

  const transitions = {
    fresh: async () => {},
    restart: async () => {
      dep = await restartServe(dep);
    },
    compacted: async () => {
      await run(BIN, ['admin', 'compact', '--url', dep.dataUrl, '--api-key', dep.apiKey, '--wait'], { timeout: 300_000 });
    },
  };

  for (const state of STATES) {
    describe(state, () => {
      before(transitions[state]);
      if (UPDATE && state === STATES[0]) {
        after(() => {
          for (const f of files) {
            if (!f.replacements.length) continue;
            const source = fs.readFileSync(f.file, 'utf8');
            fs.writeFileSync(f.file, rewriteExpectations(source, f.replacements));
            process.stderr.write(`BTQL_GOLDEN_UPDATE: rewrote ${f.replacements.length} expectation(s) in ${f.name}\n`);
          }
        });
      }
      for (const f of files) {
        for (const c of f.cases) {
          const name = `${c.id} [${state}]${c.note ? ` ${c.note}` : ''}`;
          it(name, async () => {
            if (f.setupError) throw new Error(`setup of ${f.name} failed: ${f.setupError.message}`);
            let actual;
            try {
              actual = await runQuery(dep.dataUrl, dep.apiKey, f, c);
            } catch (e) {
              // No answer at all (a crash, a hang): the server's logs say why.
              throw new Error(`${c.id} [${state}]: ${e.message}\n\n--- server logs ---\n${liveLogs()}`);
            }
            const why = mismatch(c, actual);
            if (!why) return;
            if (UPDATE && state === STATES[0]) f.replacements.push({ expect: c.expect, text: expectationText(c.expect, actual) });
            throw new Error(`${c.id} [${state}]\nquery${c.kind === 'text' ? '' : ` ${c.kind}`}:\n${clip(c.query, 2000)}\n${why}`);
          });
        }
      }
    });
  }
});
