// The BTQL golden-file format: parsing a `tests/btql/*.test` file into setup
// blocks and cases, and writing an expectation back (BTQL_GOLDEN_UPDATE=1).
// Pure functions, no I/O besides what the caller passes in. The format itself
// is described in tests/btql/README.md and at the top of golden.test.mjs.

export const OBJECT_TYPES = ['experiment', 'dataset', 'project_logs'];
// Names the runner defines itself; a setup may not reuse them.
export const RESERVED_NAMES = ['project', 'org'];
// Placeholders that stand for server-assigned values in an answer.
export const XACT_PLACEHOLDER = '<_xact_id>';
export const PAGINATION_PLACEHOLDER = '<_pagination_key>';

const DIRECTIVE_RE = /^(setup|query|expect|error)\b(.*)$/;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REPEAT_RE = /\{\{repeat (\d+) ("(?:[^"\\]|\\.)*")\}\}/g;
const MAX_REPEAT_BYTES = 8 << 20;

export class GoldenSyntaxError extends Error {
  constructor(file, line, message) {
    super(`${file}:${line}: ${message}`);
  }
}

/** Expands `{{repeat N "json string"}}` into the string repeated N times. */
export function expandRepeats(text) {
  return text.replace(REPEAT_RE, (_, n, quoted) => {
    const unit = JSON.parse(quoted);
    if (Number(n) * unit.length > MAX_REPEAT_BYTES) throw new Error(`{{repeat}} expands beyond ${MAX_REPEAT_BYTES} bytes`);
    return unit.repeat(Number(n));
  });
}

function splitNote(rest) {
  const i = rest.indexOf('--');
  if (i < 0) return { words: rest.trim().split(/\s+/).filter(Boolean), note: '' };
  return { words: rest.slice(0, i).trim().split(/\s+/).filter(Boolean), note: rest.slice(i + 2).trim() };
}

/**
 * Parses a golden file. Returns {setups: [{type, name, foreign, line, rows: [text]}],
 * cases: [{line, note, kind: 'text'|'json'|'sql', query, expect}]} where
 * expect is {kind: 'rows', unordered, text, line, endLine} |
 * {kind: 'count', n, line, endLine} | {kind: 'error', status, substring, line, endLine}.
 * Query and row texts are kept raw; the runner substitutes `$name`s.
 */
export function parseGolden(file, source) {
  const lines = source.split('\n');
  const setups = [];
  const cases = [];
  let cur = null; // the open block: {directive, line, body: [{text, line}], ...}
  const fail = (line, msg) => {
    throw new GoldenSyntaxError(file, line, msg);
  };

  const close = (endLine) => {
    if (!cur) return;
    const b = cur;
    cur = null;
    if (b.directive === 'setup') {
      setups.push({ type: b.type, name: b.name, foreign: b.foreign, line: b.line, rows: b.body });
      return;
    }
    if (b.directive === 'query') {
      const query = b.body.map((l) => l.text).join('\n').trim();
      if (!query) fail(b.line, 'empty query');
      cases.push({ line: b.line, note: b.note, kind: b.kind, query, expect: null });
      return;
    }
    const c = cases[cases.length - 1];
    if (!c || c.expect) fail(b.line, `'${b.directive}' without a query before it`);
    if (b.directive === 'error') {
      c.expect = { kind: 'error', status: b.status, substring: b.substring, line: b.line, endLine };
      if (b.body.length) fail(b.body[0].line, "'error' takes no body");
      return;
    }
    if (b.count !== undefined) {
      if (b.body.length) fail(b.body[0].line, "'expect count N' takes no body");
      c.expect = { kind: 'count', n: b.count, line: b.line, endLine };
      return;
    }
    const text = b.body.map((l) => l.text).join('\n');
    let rows;
    try {
      rows = JSON.parse(text);
    } catch (e) {
      fail(b.line, `expectation is not JSON: ${e.message}`);
    }
    if (!Array.isArray(rows)) fail(b.line, 'expectation must be a JSON array');
    c.expect = { kind: 'rows', unordered: b.unordered, rows, line: b.line, endLine };
  };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const text = raw.replace(/\s+$/, '');
    if (/^\s*#/.test(text)) return;
    const m = DIRECTIVE_RE.exec(text);
    if (!m) {
      if (text.trim() === '') return;
      if (!cur) fail(lineNo, `text outside a block: ${text.slice(0, 60)}`);
      cur.body.push({ text, line: lineNo });
      return;
    }
    close(lineNo - 1);
    const { words, note } = splitNote(m[2]);
    const [directive] = [m[1]];
    if (directive === 'setup') {
      const [type, name, ...extra] = words;
      if (!OBJECT_TYPES.includes(type)) fail(lineNo, `setup needs one of ${OBJECT_TYPES.join(', ')}, got '${type}'`);
      if (!name || !NAME_RE.test(name)) fail(lineNo, `setup ${type} needs a name ([A-Za-z_][A-Za-z0-9_]*)`);
      if (RESERVED_NAMES.includes(name)) fail(lineNo, `'${name}' is reserved`);
      const foreign = extra[0] === 'foreign';
      if (extra.length > (foreign ? 1 : 0)) fail(lineNo, `unexpected '${extra.join(' ')}' (only 'foreign' may follow the name)`);
      cur = { directive, type, name, foreign, line: lineNo, body: [] };
    } else if (directive === 'query') {
      const kind = words[0] ?? 'text';
      if (!['text', 'json', 'sql'].includes(kind) || words.length > 1) fail(lineNo, `query takes 'json', 'sql' or nothing, got '${words.join(' ')}'`);
      cur = { directive, kind, note, line: lineNo, body: [] };
    } else if (directive === 'expect') {
      cur = { directive, line: lineNo, body: [], unordered: false };
      if (words[0] === 'unordered' && words.length === 1) cur.unordered = true;
      else if (words[0] === 'count' && words.length === 2 && /^\d+$/.test(words[1])) cur.count = Number(words[1]);
      else if (words.length) fail(lineNo, `expect takes 'unordered', 'count N' or nothing, got '${words.join(' ')}'`);
    } else {
      const em = /^\s+(\d{3})(?:\s+(.*))?$/.exec(m[2]);
      if (!em) fail(lineNo, "error needs a status: 'error 400 <message substring>'");
      cur = { directive, line: lineNo, body: [], status: Number(em[1]), substring: (em[2] ?? '').trim() };
    }
  });
  close(lines.length);
  for (const c of cases) if (!c.expect) fail(c.line, "query without 'expect' or 'error'");
  return { setups, cases };
}

/** One row per line: readable diffs and hand-editable expectations. */
export function formatRows(rows) {
  if (rows.length === 0) return '[]';
  return `[${rows.map((r) => JSON.stringify(r)).join(',\n ')}]`;
}

/**
 * The text of a case's expectation block rewritten from an actual answer
 * ({status, rows} or {status, message}), keeping the block's kind where it
 * still fits.
 */
export function expectationText(expect, actual) {
  if (actual.status !== 200) {
    const msg = String(actual.message ?? '').split('\n')[0].slice(0, 120);
    return `error ${actual.status} ${msg}`.trimEnd();
  }
  if (expect.kind === 'count') return `expect count ${actual.rows.length}`;
  const head = expect.kind === 'rows' && expect.unordered ? 'expect unordered' : 'expect';
  return `${head}\n${formatRows(actual.rows)}`;
}

/** Replaces the expectation blocks of `cases` (line ranges) in `source` with new texts. */
export function rewriteExpectations(source, replacements) {
  const lines = source.split('\n');
  // Bottom-up so earlier line numbers stay valid.
  const sorted = [...replacements].sort((a, b) => b.expect.line - a.expect.line);
  for (const { expect, text } of sorted) {
    let end = expect.endLine;
    // Keep blank lines and comments that trail the block.
    while (end >= expect.line && (lines[end - 1].trim() === '' || /^\s*#/.test(lines[end - 1]))) end--;
    lines.splice(expect.line - 1, end - expect.line + 1, ...text.split('\n'));
  }
  return lines.join('\n');
}
