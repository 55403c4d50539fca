// Text from files (interface names, path.json fields) ends up on one-line output: an error
// line, a report row, a CI log. Characters that would break the line or mislead a terminal
// are shown escaped, never passed through.

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function hasUnprintable(text: string): boolean {
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(text);
}

/** The text with each unprintable character as \xNN or \uNNNN. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A JSON value as it may appear in an error line: strings quoted and escaped and cut to
 * `max` characters, other values named by their kind or shown when short.
 */
export function quoted(value: unknown, max = 80): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    const cut = value.length > max ? `${value.slice(0, max)}...` : value;
    return `"${printable(cut.replace(/["\\]/g, (c) => `\\${c}`))}"${value.length > max ? ` (${value.length} characters)` : ''}`;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
