/**
 * Plain text a tenant's brand shows (its product name and login message). It is only ever rendered
 * as text, never as markup or CSS; on top of that, text that looks like either is refused, so a
 * brand cannot carry a payload to some later consumer that gets it wrong (an email template, an
 * export, a stylesheet). Checked after NFKC normalization, which folds look-alikes such as
 * full-width `ｕｒｌ(` into what they imitate.
 */

/** Whether the text has a C0 or C1 control (a line feed is allowed where the text may have lines). */
function hasControl(text: string, lines: boolean): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if ((code < 0x20 || (code >= 0x7f && code <= 0x9f)) && !(lines && code === 0x0a)) return true;
  }
  return false;
}
/** Bidirectional overrides and isolates: they make text read differently from what it is. */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
/** Markup and CSS escapes. */
const MARKUP = /[<>\\]/;
/** What CSS or a URL would need to do anything. */
const ACTIVE = /url\s*\(|expression\s*\(|@import|javascript\s*:|vbscript\s*:/i;

/** Why `value` is not plain text, or null when it is. */
export function plainTextProblem(value: string, options: { lines: boolean }): string | null {
  const folded = value.normalize('NFKC');
  if (hasControl(folded, options.lines)) return options.lines ? 'control characters other than line feeds are not accepted' : 'control characters are not accepted';
  if (BIDI.test(folded)) return 'bidirectional control characters are not accepted';
  if (MARKUP.test(folded)) return 'plain text only: <, > and \\ are not accepted';
  if (ACTIVE.test(folded)) return 'plain text only: url(, expression(, @import and script URIs are not accepted';
  if (folded.trim().length === 0 && value.length > 0) return 'only white space';
  return null;
}
