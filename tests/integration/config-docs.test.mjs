// docs/configuration.md against the binary: every flag the tables name exists
// in `--help` of the subcommand it applies to, with the environment variable
// the table names, and every numeric or literal default in the tables is the
// one the binary prints (the option structs are the one definition of a
// default; this keeps the docs from drifting from them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from '../lib/server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');

// --help of a subcommand as { flag: { default, envs } }. CLI11 prints
// "  --name TYPE[:range]=DEFAULT (Env:NAME)" for a flag with a default.
function helpFlags(sub) {
  let text;
  try {
    text = execFileSync(BIN, [...sub.split(' '), '--help'], { encoding: 'utf8' });
  } catch (e) {
    text = `${e.stdout || ''}`;  // CLI11 may exit non-zero after printing help
  }
  const flags = {};
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = line.match(/^\s+(--[a-z0-9-]+)\b(.*)$/);
    if (!m) return;
    const rest = m[2];
    const def = rest.match(/=(\S+)/);
    const env = rest.match(/\(Env:([A-Z0-9_]+)\)/);
    const next = lines[i + 1] || '';
    const about = /^\s+--/.test(next) ? '' : next.trim();
    flags[m[1]] = { default: def ? def[1] : undefined, env: env ? env[1] : undefined, about };
  });
  return flags;
}

// The table rows: flag cells (one or two flags, maybe "(data)"), env cell, default cell.
function docRows() {
  const rows = [];
  for (const line of DOC.split('\n')) {
    if (!line.startsWith('| `--')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length < 3) continue;
    const flags = [...cells[0].matchAll(/`(--[a-z0-9-]+)`/g)].map((m) => m[1]);
    const scope = (cells[0].match(/\((control|data)[^)]*\)/) || [])[1];
    const envs = [...cells[1].matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]);
    rows.push({ line, flags, scope, envs, default: cells[2] });
  }
  return rows;
}

// A documented default reduced to what --help prints, or null when it is a
// description ("one per core", "the public URL", a path) rather than a value.
function literalDefaults(cell, n) {
  const parts = cell.replace(/`/g, '').split(',').map((p) => p.trim().split(/\s+/)[0]);
  if (parts.length !== n) return null;
  const units = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
  const words = cell.replace(/`/g, '').split(',').map((p) => p.trim().split(/\s+/));
  return parts.map((p, i) => {
    const unit = units[words[i][1]];
    if (unit && /^[0-9]+$/.test(p)) return String(Number(p) * unit);
    if (p === 'true') return 'true';
    if (p === 'off') return 'off';
    if (/^-?[0-9][0-9.]*$/.test(p)) return p;
    if (/^[a-z]+$/.test(p) && !['one', 'the', 'none', 'generated'].includes(p)) return p;
    if (/^[0-9.]+:[0-9]+$/.test(p) || p.startsWith('./')) return p;
    return null;
  });
}

const HELP = { serve: helpFlags('serve'), control: helpFlags('control'), data: helpFlags('data') };

test('docs/configuration.md lists flags', () => {
  assert.ok(docRows().length >= 30, 'the flag tables were not found');
});

for (const row of docRows()) {
  test(`docs/configuration.md: ${row.flags.join(', ')}`, () => {
    const help = HELP[row.scope || 'serve'];
    const values = literalDefaults(row.default, row.flags.length);
    row.flags.forEach((flag, i) => {
      const h = help[flag];
      assert.ok(h, `${flag} is documented but \`tracevault ${row.scope || 'serve'} --help\` has no such flag`);
      if (h.env && row.envs.length) {
        assert.ok(row.envs.includes(h.env), `${flag}: the docs name ${row.envs.join(', ')}, --help says ${h.env}`);
      }
      const want = values && values[i];
      if (!want) return;
      if (h.default === undefined && want !== 'off') {
        // A default computed at start (say, from another variable) is told in the help text.
        assert.ok(new RegExp(`\\b${want}\\b`).test(h.about), `${flag}: the docs say ${want}, --help says: ${h.about}`);
      } else if (want === 'true') {
        assert.ok(['1', 'true'].includes(h.default), `${flag}: the docs say true, --help says ${h.default}`);
      } else if (want === 'off') {
        assert.ok(h.default === undefined || ['0', 'false'].includes(h.default),
          `${flag}: the docs say off, --help says ${h.default}`);
      } else {
        assert.equal(h.default, want, `${flag}: the docs say ${want}, --help says ${h.default}`);
      }
    });
  });
}
