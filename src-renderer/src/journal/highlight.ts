/**
 * Marks where the journal's query terms occur in an output shown as HTML:
 * the matches are found in the text the reader sees (the DOM's text, so ANSI
 * colours and escaped markup do not get in the way), compared as the search
 * compares (contract/query.ts: lower case, control characters as one space),
 * and each is wrapped in <mark> — in pieces where it spans coloured runs.
 */

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\x00-\x1f\x7f]+/g;
const isControl = (c: number): boolean => c < 0x20 || c === 0x7f;

/**
 * The text as search compares it (lower case, each run of control characters
 * one space; the DOM's text holds no ANSI escapes), and for each of its code
 * units the offset in `text` of the character it came from.
 */
export function normalizeWithOffsets(text: string): { norm: string; from: number[] } {
  const from: number[] = [];
  const lower = text.toLowerCase();
  if (lower.length === text.length) {
    // The usual case: lower-casing kept every offset; only control runs shrink.
    for (let i = 0; i < lower.length; i++) if (!(isControl(lower.charCodeAt(i)) && i > 0 && isControl(lower.charCodeAt(i - 1)))) from.push(i);
    return { norm: lower.replace(CONTROL_RE, ' '), from };
  }
  // Some character lower-cases to more code units (İ → i̇): one character at a time.
  let norm = '';
  let inControl = false;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    const control = isControl(cp);
    if (!control || !inControl) {
      const part = control ? ' ' : String.fromCodePoint(cp).toLowerCase();
      norm += part;
      for (let k = 0; k < part.length; k++) from.push(i);
    }
    inControl = control;
    i += cp > 0xffff ? 2 : 1;
  }
  return { norm, from };
}

export interface TextRange {
  start: number;
  end: number;
}

/** At most this many matches are marked in one output (a one-letter query can match every line). */
export const MAX_MARKS = 2000;

/**
 * Where the terms occur in `text`, in order, overlaps merged, at most `max`
 * (the last ones: the view opens at the end). Indexes are UTF-16 offsets in
 * `text` itself, however normalisation changed its length.
 */
export function findMatches(text: string, terms: readonly string[], max = MAX_MARKS): TextRange[] {
  if (!terms.length || !text) return [];
  const { norm, from } = normalizeWithOffsets(text);
  const ranges: TextRange[] = [];
  for (const term of terms) {
    if (!term) continue;
    for (let j = norm.indexOf(term); j >= 0; j = norm.indexOf(term, j + 1)) {
      const last = from[j + term.length - 1] as number;
      ranges.push({ start: from[j] as number, end: last + ((text.codePointAt(last) as number) > 0xffff ? 2 : 1) });
    }
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: TextRange[] = [];
  for (const r of ranges) {
    const prev = merged[merged.length - 1];
    if (prev && r.start <= prev.end) prev.end = Math.max(prev.end, r.end);
    else merged.push({ ...r });
  }
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}

export interface Piece {
  /** Which text node (in document order). */
  node: number;
  /** Offsets inside that node. */
  start: number;
  end: number;
  /** Which match it belongs to. */
  match: number;
}

/**
 * Splits ranges of a text made of consecutive nodes (their lengths given, in
 * order) into pieces that each lie in one node: a match across two coloured
 * runs becomes two pieces with the same match number.
 */
export function splitAcrossNodes(lengths: readonly number[], ranges: readonly TextRange[]): Piece[] {
  const pieces: Piece[] = [];
  let node = 0;
  let nodeStart = 0;
  for (let m = 0; m < ranges.length; m++) {
    const r = ranges[m] as TextRange;
    // Move to the node holding the range's start (ranges are sorted, so never back).
    while (node < lengths.length && nodeStart + (lengths[node] as number) <= r.start) nodeStart += lengths[node++] as number;
    let n = node;
    let ns = nodeStart;
    while (n < lengths.length && ns < r.end) {
      const len = lengths[n] as number;
      const s = Math.max(r.start, ns) - ns;
      const e = Math.min(r.end, ns + len) - ns;
      if (e > s) pieces.push({ node: n, start: s, end: e, match: m });
      ns += len;
      n++;
    }
  }
  return pieces;
}

/**
 * Wraps every match of the terms under `root` in <mark class="jr-mark"
 * data-match=N>; returns the first mark of each match, in order. Run it on
 * freshly rendered content (it changes the DOM in place).
 */
export function markMatches(root: HTMLElement, terms: readonly string[]): HTMLElement[] {
  const nodes: Text[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  const text = nodes.map((n) => n.data).join('');
  const ranges = findMatches(text, terms);
  if (!ranges.length) return [];
  const pieces = splitAcrossNodes(
    nodes.map((n) => n.data.length),
    ranges,
  );
  const firsts: HTMLElement[] = new Array<HTMLElement>(ranges.length);
  // From the last piece back, so the offsets of earlier pieces in the same node stay valid.
  for (let k = pieces.length - 1; k >= 0; k--) {
    const p = pieces[k] as Piece;
    const node = nodes[p.node] as Text;
    const after = node.splitText(p.start);
    after.splitText(p.end - p.start);
    const mark = document.createElement('mark');
    mark.className = 'jr-mark';
    mark.dataset.match = String(p.match);
    after.replaceWith(mark);
    mark.appendChild(after);
    firsts[p.match] = mark;
  }
  return firsts;
}
