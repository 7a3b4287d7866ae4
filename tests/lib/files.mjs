// Walking a test's directories, e.g. to prove that no secret or plaintext
// answer reached the disk or the logs.
import fs from 'node:fs';
import path from 'node:path';

/** Every regular file below `dir`, recursively. */
export function filesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The files below `dir` whose bytes contain `needle`. */
export function filesContaining(dir, needle) {
  const bytes = Buffer.from(needle);
  return filesUnder(dir).filter((f) => fs.readFileSync(f).includes(bytes));
}
