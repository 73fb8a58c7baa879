/**
 * Finding text in a terminal: how matches are highlighted (light or dark, as
 * the terminal is) and how the result is said ("3 of 12", "No matches").
 * xterm's search addon reports the counts only when it highlights.
 */
import type { ISearchOptions } from '@xterm/addon-search';

export interface SearchResults {
  /** The shown match, from 0; -1 when there are more matches than the addon highlights. */
  resultIndex: number;
  resultCount: number;
}

/** The addon's limit of highlighted matches (its default), past which it stops counting. */
const HIGHLIGHT_LIMIT = 1000;

export function searchOptions(extra: Pick<ISearchOptions, 'incremental'> = {}): ISearchOptions {
  const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  return {
    ...extra,
    decorations: dark
      ? { matchBackground: '#4b5563', activeMatchBackground: '#b45309', matchOverviewRuler: '#9ca3af', activeMatchColorOverviewRuler: '#f59e0b' }
      : { matchBackground: '#fde68a', activeMatchBackground: '#fb923c', matchOverviewRuler: '#d97706', activeMatchColorOverviewRuler: '#ea580c' },
  };
}

export function searchStatus({ resultIndex, resultCount }: SearchResults): string {
  if (resultCount === 0) return 'No matches';
  if (resultIndex < 0) return `more than ${HIGHLIGHT_LIMIT} matches`;
  return `${resultIndex + 1} of ${resultCount}`;
}
