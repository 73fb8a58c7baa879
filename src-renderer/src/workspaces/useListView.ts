/**
 * The workspace list's filter and sort, kept in sessionStorage: a reload, or a
 * visit to a workspace and back, finds the list as it was left, while a new
 * window starts unfiltered. (Not in the URL hash: the hash names the screen,
 * and every way back to the list goes to `#/`.)
 */
import { useEffect, useState } from 'react';
import { parseListView, type ListFilter, type ListSort } from './listView';

const KEY = 'benchtop.workspace-list.view';

function read(): { filter: ListFilter; sort: ListSort } {
  try {
    return parseListView(sessionStorage.getItem(KEY));
  } catch {
    return parseListView(null); // storage refused (a locked-down profile): start unfiltered
  }
}

export function useListView(): { filter: ListFilter; setFilter: (f: ListFilter) => void; sort: ListSort; setSort: (s: ListSort) => void } {
  const [view] = useState(read);
  const [filter, setFilter] = useState(view.filter);
  const [sort, setSort] = useState(view.sort);
  useEffect(() => {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ filter, sort }));
    } catch {
      // Not kept across a reload; the list still works.
    }
  }, [filter, sort]);
  return { filter, setFilter, sort, setSort };
}
