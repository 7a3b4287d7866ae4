// Copies the BTQL golden queries (tests/btql/*.test) into the seed corpora:
// text and SQL cases into corpus/text, JSON AST cases into corpus/json, each
// file named by the SHA-1 of its content. `$name`s become a fixed UUID;
// queries over 8 KiB after expanding {{repeat}} are skipped (the fuzzer's
// -max_len would truncate them anyway). Run: node fuzz/seed-from-goldens.mjs
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandRepeats, parseGolden } from '../tests/btql/golden-format.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const goldens = path.join(here, '..', 'tests', 'btql');
const UUID = '00000000-0000-4000-8000-000000000001';
const MAX = 8192;
let written = 0;
for (const name of fs.readdirSync(goldens).filter((f) => f.endsWith('.test')).sort()) {
  const { cases } = parseGolden(name, fs.readFileSync(path.join(goldens, name), 'utf8'));
  for (const c of cases) {
    const text = expandRepeats(c.query).replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, UUID);
    if (Buffer.byteLength(text) > MAX) continue;
    const dir = path.join(here, 'corpus', c.kind === 'json' ? 'json' : 'text');
    const file = path.join(dir, crypto.createHash('sha1').update(text).digest('hex').slice(0, 16));
    if (!fs.existsSync(file)) {
      fs.writeFileSync(file, text);
      written++;
    }
  }
}
console.log(`seed-from-goldens: ${written} new seed(s)`);
