// Transaction ids (`_xact_id`, docs/storage-format.md): the wire form is a
// 19-digit decimal string; the pretty form people read and put in URLs is 16
// lowercase hex digits, `(xact · 205891132094649) mod 2^64`. The server's
// `version` accepts either form. An id carries the second it was handed out in
// bits 16..47.

const MASK64 = (1n << 64n) - 1n;
const PRETTY_MUL = 205891132094649n;
const PRETTY_INV = 1522336535492693385n;
const PREFIX = 0x0de1n << 48n;

const DECIMAL = /^[0-9]{1,20}$/;
const PRETTY = /^[0-9a-f]{16}$/;

/** "1000192656880881099" → "81cd05ee665fdfb3"; anything that is not a decimal id is returned as is. */
export function prettyXact(xact: string): string {
  if (!DECIMAL.test(xact)) return xact;
  const v = BigInt(xact);
  if (v > MASK64) return xact;
  return ((v * PRETTY_MUL) & MASK64).toString(16).padStart(16, '0');
}

/** The decimal wire form of a pretty or decimal id, or null when it is neither. */
export function decimalXact(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (PRETTY.test(t)) return (PREFIX | ((BigInt('0x' + t) * PRETTY_INV) & MASK64)).toString();
  if (DECIMAL.test(t) && BigInt(t) <= MASK64) return BigInt(t).toString();
  return null;
}

/** When the id was handed out (ISO time), or null for a malformed id. */
export function xactTime(xact: string): string | null {
  if (!DECIMAL.test(xact)) return null;
  const seconds = Number((BigInt(xact) >> 16n) & 0xffffffffn);
  if (!seconds) return null;
  return new Date(seconds * 1000).toISOString();
}

/** Newest first: decimal ids of the same width order as strings; compare by value anyway. */
export function compareXactDesc(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x > y ? -1 : 1;
}
