/**
 * The journal's query language, shared by the search (main) and the output
 * highlighter (renderer), so both agree on what a term is and what it matches:
 * whitespace-separated terms, all of which must occur; "double quotes" keep a
 * phrase together; case-insensitive; ANSI escapes ignored; control characters
 * (tabs, newlines) count as one space.
 */

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\x00-\x1f\x7f]+/g;

/** What search compares: no ANSI escapes, no control characters (so no tab, no newline), lower case. */
export function normalizeSearch(text: string): string {
  return text.replace(ANSI_RE, '').replace(CONTROL_RE, ' ').toLowerCase();
}

/** Splits a query into normalised terms: words, or "quoted phrases" (an unclosed quote runs to the end). */
export function queryTerms(query: string): string[] {
  const terms = new Set<string>();
  for (const m of query.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const t = normalizeSearch(m[1] ?? m[2] ?? '').trim();
    if (t) terms.add(t);
  }
  return [...terms];
}
