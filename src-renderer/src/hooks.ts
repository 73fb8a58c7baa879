/** Data hooks over the typed client: initial fetch, then live updates from events (no polling). */
import { useCallback, useEffect, useState } from 'react';
import type { BenchtopClient } from '../../src-preload/client';
import type { BackendInfo, Workspace } from '../../src-preload/contract';

export function useWorkspaces(client: BenchtopClient): { workspaces: Workspace[] | null; error: string | null; reload: () => void } {
  const [workspaces, setWorkspaces] = useState<Workspace[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    client.call('workspaces.list', {}).then(
      (list) => {
        setWorkspaces(list);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [client]);
  useEffect(() => {
    reload();
    return client.on('workspace.changed', ({ workspace, removed }) =>
      setWorkspaces((list) => {
        const rest = (list ?? []).filter((w) => w.id !== workspace.id);
        return removed ? rest : [...rest, workspace].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      }),
    );
  }, [client, reload]);
  return { workspaces, error, reload };
}

export function useBackends(client: BenchtopClient): BackendInfo[] | null {
  const [backends, setBackends] = useState<BackendInfo[] | null>(null);
  useEffect(() => {
    client.call('backends.list', {}).then(setBackends, () => setBackends([]));
  }, [client]);
  return backends;
}

/** A clock for relative times ("3m ago", "TTL 5m left"): display only, it fetches nothing. */
export function useNow(intervalMs = 15_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

/**
 * Hash routes, so a reload lands on the same screen (and reattaches its terminals).
 * `seq`: the journal entry to show (`#/w/ID/journal/SEQ`: where a notification about a command leads).
 */
export type Route = { page: 'workspaces' } | { page: 'backends' } | { page: 'help' } | { page: 'workspace'; id: string; tab: 'overview' | 'terminals' | 'journal' | 'files' | 'console'; seq?: number };

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'backends') return { page: 'backends' };
  if (parts[0] === 'help') return { page: 'help' };
  if (parts[0] === 'w' && parts[1]) {
    const tab = parts[2] === 'terminals' || parts[2] === 'journal' || parts[2] === 'files' || parts[2] === 'console' ? parts[2] : 'overview';
    const seq = tab === 'journal' && /^[1-9]\d*$/.test(parts[3] ?? '') ? Number(parts[3]) : undefined;
    return seq === undefined ? { page: 'workspace', id: parts[1], tab } : { page: 'workspace', id: parts[1], tab, seq };
  }
  return { page: 'workspaces' };
}

export function routeHash(r: Route): string {
  if (r.page === 'backends') return '#/backends';
  if (r.page === 'help') return '#/help';
  if (r.page === 'workspace') return `#/w/${r.id}/${r.tab}${r.tab === 'journal' && r.seq !== undefined ? `/${r.seq}` : ''}`;
  return '#/';
}

export function useRoute(): [Route, (r: Route) => void] {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return [route, (r) => (location.hash = routeHash(r))];
}
