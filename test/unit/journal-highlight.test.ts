import { describe, expect, it } from 'vitest';
import { queryTerms } from '../../src-preload/contract/query';
import { findMatches, normalizeWithOffsets, splitAcrossNodes } from '../../src-renderer/src/journal/highlight';
import { normalizeSearch } from '../../src-main/core/journal/search';

const texts = (text: string, ranges: { start: number; end: number }[]) => ranges.map((r) => text.slice(r.start, r.end));

describe('finding the search terms in an output', () => {
  it('matches as the search does: case-insensitive, a phrase across a newline or tab', () => {
    const text = 'Step 1\nERROR: disk\tfull\nerror again\n';
    expect(texts(text, findMatches(text, queryTerms('error')))).toEqual(['ERROR', 'error']);
    expect(texts(text, findMatches(text, queryTerms('"disk full"')))).toEqual(['disk\tfull']);
    expect(texts(text, findMatches(text, queryTerms('"1 error:"')))).toEqual(['1\nERROR:']);
  });

  it('normalises exactly like the search index (same text, same terms)', () => {
    const text = 'Ab\r\n\x07cD\tÉté 😀 Z';
    expect(normalizeWithOffsets(text).norm).toBe(normalizeSearch(text));
    // The slow path (a character that lower-cases to two code units) too.
    const wide = 'İ\n\nA\tb İ';
    expect(normalizeWithOffsets(wide).norm).toBe(normalizeSearch(wide));
  });

  it('maps back to offsets in the original text where lower-casing changes lengths', () => {
    const text = 'xİy 😀 İSTANBUL';
    const r = findMatches(text, ['stanbul']);
    expect(texts(text, r)).toEqual(['STANBUL']);
    expect(texts(text, findMatches(text, ['😀']))).toEqual(['😀']);
  });

  it('merges overlapping matches of several terms and keeps them in order', () => {
    const text = 'abcdef abc';
    expect(findMatches(text, ['bcd', 'cde', 'abc'])).toEqual([
      { start: 0, end: 5 },
      { start: 7, end: 10 },
    ]);
  });

  it('keeps the last matches when there are too many (the view opens at the end)', () => {
    const text = Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n');
    const r = findMatches(text, ['line'], 3);
    expect(r).toHaveLength(3);
    expect(text.slice(r[2]!.start)).toBe('line 9');
  });

  it('finds nothing without terms', () => {
    expect(findMatches('abc', [])).toEqual([]);
  });
});

describe('splitting matches across coloured runs (text nodes)', () => {
  it('a match inside one node is one piece; across nodes, one piece per node with the same match number', () => {
    // "plain " | "ERR" | "OR here" — "error" spans the 2nd and 3rd node.
    const lengths = [6, 3, 7];
    expect(splitAcrossNodes(lengths, [{ start: 0, end: 5 }])).toEqual([{ node: 0, start: 0, end: 5, match: 0 }]);
    expect(
      splitAcrossNodes(lengths, [
        { start: 6, end: 11 },
        { start: 14, end: 16 },
      ]),
    ).toEqual([
      { node: 1, start: 0, end: 3, match: 0 },
      { node: 2, start: 0, end: 2, match: 0 },
      { node: 2, start: 5, end: 7, match: 1 },
    ]);
  });

  it('skips empty nodes and a match that starts exactly where a node ends', () => {
    expect(splitAcrossNodes([3, 0, 3], [{ start: 3, end: 5 }])).toEqual([{ node: 2, start: 0, end: 2, match: 0 }]);
  });
});
