// The row form's text ↔ value rules. A field holds JSON, or plain text when it
// is not JSON: `{"q": 1}` is an object, `42` a number, `hello` the string
// "hello". Text that starts like JSON (`{`, `[` or `"`) but does not parse is
// an error rather than a string, so a typo never saves a broken object as
// text. An empty field is absent.

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const LOOKS_LIKE_JSON = /^\s*[[{"]/;

export function parseField(label: string, text: string): Parsed {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    if (LOOKS_LIKE_JSON.test(text)) return { ok: false, error: `${label} is not valid JSON: ${(e as Error).message}` };
    return { ok: true, value: text };
  }
}

/** The text that parses back to `value` (a string that would read as JSON is shown quoted). */
export function fieldText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') {
    if (value.trim() === '') return JSON.stringify(value);
    try {
      JSON.parse(value);
      return JSON.stringify(value); // "42" stays a string, not the number 42
    } catch {
      return LOOKS_LIKE_JSON.test(value) ? JSON.stringify(value) : value;
    }
  }
  return JSON.stringify(value, null, 2);
}

export function parseTags(text: string): string[] | undefined {
  const tags = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return tags.length ? [...new Set(tags)] : undefined;
}

export function tagsText(tags: unknown): string {
  return Array.isArray(tags) ? tags.filter((t) => typeof t === 'string').join(', ') : '';
}
