/**
 * What the workspace list shows of many workspaces: which ones pass the filter
 * (words in the name, image or project; a backend; a state), in which order
 * (a column, either direction), and a project folder short enough for a cell.
 * Pure functions, so the list and its tests agree on one definition.
 */
import { BACKEND_IDS, WORKSPACE_STATES, type BackendId, type Workspace, type WorkspaceState } from '../../../src-preload/contract';
import { imageLabel } from '../format';

export interface ListFilter {
  /** Words, all of which must appear (any case) in the name, the image or the project path. */
  text: string;
  backend: BackendId | '';
  state: WorkspaceState | '';
}

export const SORT_KEYS = ['name', 'backend', 'project', 'state', 'created'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'ascending' | 'descending';
export interface ListSort {
  key: SortKey;
  dir: SortDir;
}

export const NO_FILTER: ListFilter = { text: '', backend: '', state: '' };
/** The order workspaces were made in: the list's order before anyone sorts it. */
export const DEFAULT_SORT: ListSort = { key: 'created', dir: 'ascending' };

export function isFiltered(f: ListFilter): boolean {
  return f.text.trim() !== '' || f.backend !== '' || f.state !== '';
}

export function matches(w: Workspace, f: ListFilter): boolean {
  if (f.backend && w.backend !== f.backend) return false;
  if (f.state && w.state !== f.state) return false;
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = `${w.name}\n${imageLabel(w)}\n${w.project}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/** Live states first: a sort by state puts what is running (or about to) at the top. */
const STATE_RANK: Record<WorkspaceState, number> = { running: 0, starting: 1, stopping: 2, created: 3, stopped: 4, failed: 5, expired: 6, broken: 7 };

const compareBy: Record<SortKey, (a: Workspace, b: Workspace) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  backend: (a, b) => a.backend.localeCompare(b.backend),
  project: (a, b) => a.project.localeCompare(b.project),
  state: (a, b) => STATE_RANK[a.state] - STATE_RANK[b.state],
  created: (a, b) => a.createdAt.localeCompare(b.createdAt),
};

/** A new array in the asked order; equal keys keep name order (either direction), then id order, so rows never jump. */
export function sortWorkspaces(list: readonly Workspace[], sort: ListSort): Workspace[] {
  const sign = sort.dir === 'ascending' ? 1 : -1;
  const by = compareBy[sort.key];
  return [...list].sort((a, b) => sign * by(a, b) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** Clicking a column's header: a new column sorts ascending, the same one turns around. */
export function nextSort(current: ListSort, key: SortKey): ListSort {
  if (current.key !== key) return { key, dir: 'ascending' };
  return { key, dir: current.dir === 'ascending' ? 'descending' : 'ascending' };
}

/**
 * A path for a narrow cell: its last two folders ("…/lab/run-7"), and if that
 * is still longer than `max` characters, its start and its end around an
 * ellipsis: the end is where projects usually differ (run-7, run-8).
 */
export function shortPath(path: string, max = 24): string {
  const parts = path.split('/').filter(Boolean);
  const label = parts.length <= 2 ? path : `…/${parts.slice(-2).join('/')}`;
  if (label.length <= max) return label;
  const head = Math.ceil((max - 1) * 0.4);
  return `${label.slice(0, head)}…${label.slice(label.length - (max - 1 - head))}`;
}

/**
 * The project cell: "own folder" for the folder Benchtop made inside the
 * workspace's data (no project was given; the layout puts it at
 * <home>/workspaces/<id>/files), else the path's last two folders.
 */
export function projectLabel(w: Pick<Workspace, 'id' | 'project'>): string {
  if (w.project.endsWith(`/workspaces/${w.id}/files`)) return 'own folder';
  return shortPath(w.project);
}

/** A filter and a sort read back from storage, with anything unknown dropped rather than trusted. */
export function parseListView(raw: string | null): { filter: ListFilter; sort: ListSort } {
  let stored: { filter?: Partial<Record<keyof ListFilter, unknown>>; sort?: Partial<Record<keyof ListSort, unknown>> } = {};
  try {
    const value: unknown = raw ? JSON.parse(raw) : {};
    if (value && typeof value === 'object') stored = value as typeof stored;
  } catch {
    // A damaged entry is the same as none.
  }
  const f = stored.filter ?? {};
  const s = stored.sort ?? {};
  return {
    filter: {
      text: typeof f.text === 'string' ? f.text.slice(0, 200) : '',
      backend: (BACKEND_IDS as readonly unknown[]).includes(f.backend) ? (f.backend as BackendId) : '',
      state: (WORKSPACE_STATES as readonly unknown[]).includes(f.state) ? (f.state as WorkspaceState) : '',
    },
    sort: {
      key: (SORT_KEYS as readonly unknown[]).includes(s.key) ? (s.key as SortKey) : DEFAULT_SORT.key,
      dir: s.dir === 'descending' ? 'descending' : 'ascending',
    },
  };
}
