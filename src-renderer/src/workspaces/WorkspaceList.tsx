/**
 * The workspace list, made for dozens: filter by words (name, image, project),
 * backend and state; sort by a column's header; select rows (or all shown) and
 * Stop or Delete them together, after one question in the app's own dialog.
 * Each row: name, backend with its image, project, state, limits, age (and TTL).
 * The filter and sort outlive a reload (useListView). The table scrolls inside
 * the page under a header that stays; filters and the bulk bar stay above it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { BackendId, Workspace, WorkspaceState } from '../../../src-preload/contract';
import { imageLabel, relative, resources } from '../format';
import { useNow } from '../hooks';
import { BulkBar, BulkReportView } from './BulkBar';
import { DeleteWorkspacesDialog } from './DeleteWorkspacesDialog';
import { DiskUseLine } from './DiskUse';
import { isFiltered, matches, nextSort, NO_FILTER, projectLabel, sortWorkspaces, type SortKey } from './listView';
import { IsolationBadge, ProcessCount, StateBadge } from './StateBadge';
import { useBulkActions } from './useBulkActions';
import { useListView } from './useListView';

interface Props {
  client: BenchtopClient;
  workspaces: Workspace[];
  onOpen: (ws: Workspace) => void;
  onCreate: () => void;
}

/** What is asked before a delete: one row's Delete, or the bulk bar's. */
interface PendingDelete {
  bulk: boolean;
  targets: Workspace[];
}

const BUSY_WORDS = { start: 'starting', stop: 'stopping', remove: 'deleting' } as const;

const uniq = <T,>(xs: T[]): T[] => [...new Set(xs)].sort();

export function WorkspaceList({ client, workspaces, onOpen, onCreate }: Props) {
  const now = useNow();
  const [busy, setBusy] = useState<Record<string, keyof typeof BUSY_WORDS>>({});
  const [error, setError] = useState<string | null>(null);
  const { filter, setFilter, sort, setSort } = useListView();
  const [selectedIds, setSelectedIds] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<PendingDelete | null>(null);
  const bulk = useBulkActions(client);

  const shown = useMemo(() => sortWorkspaces(workspaces.filter((w) => matches(w, filter)), sort), [workspaces, filter, sort]);
  // Only what is in view is acted on: a row hidden by the filter is never stopped or deleted unseen.
  const selected = useMemo(() => shown.filter((w) => selectedIds.has(w.id)), [shown, selectedIds]);
  const stoppable = selected.filter((w) => w.state === 'running');
  const allShownSelected = shown.length > 0 && selected.length === shown.length;
  // Offer the backends and states there are, and keep a chosen one listed even when none is left.
  const backends = uniq<BackendId>([...workspaces.map((w) => w.backend), ...(filter.backend ? [filter.backend] : [])]);
  const states = uniq<WorkspaceState>([...workspaces.map((w) => w.state), ...(filter.state ? [filter.state] : [])]);

  const selectAllRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (selectAllRef.current) selectAllRef.current.indeterminate = selected.length > 0 && !allShownSelected;
  }, [selected.length, allShownSelected]);

  const toggle = (id: string, on: boolean) =>
    setSelectedIds((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const toggleAllShown = (on: boolean) =>
    setSelectedIds((s) => {
      const next = new Set(s);
      for (const w of shown) if (on) next.add(w.id);
      else next.delete(w.id);
      return next;
    });
  /** After a bulk run the rows it succeeded on leave the selection; failed ones stay, ready for another try. */
  const unselect = (ids: Set<string>) => setSelectedIds((s) => new Set([...s].filter((id) => !ids.has(id))));

  const act = async (ws: Workspace, what: 'start' | 'stop' | 'remove') => {
    setBusy((b) => ({ ...b, [ws.id]: what }));
    setError(null);
    try {
      await client.call(`workspaces.${what}`, { workspace: ws.id });
    } catch (e) {
      setError(`${ws.name}: ${(e as Error).message}`);
    } finally {
      setBusy((b) => {
        const { [ws.id]: _, ...rest } = b;
        return rest;
      });
    }
  };

  const confirmDelete = () => {
    if (!pending) return;
    const { bulk: many, targets } = pending;
    setPending(null);
    if (!many && targets[0]) void act(targets[0], 'remove');
    else void bulk.run('remove', targets).then(unselect);
  };

  const reportView = bulk.report && <BulkReportView report={bulk.report} onDismiss={bulk.dismissReport} />;

  const sortHeader = (key: SortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th aria-sort={active ? sort.dir : undefined} className="sortable">
        <button onClick={() => setSort(nextSort(sort, key))} data-testid={`sort-${key}`}>
          {label}
          <span className="sort-mark" aria-hidden="true">
            {active ? (sort.dir === 'ascending' ? '▲' : '▼') : '↕'}
          </span>
        </button>
      </th>
    );
  };

  return (
    <section className="page list-page">
      <header className="page-head">
        <h2>Workspaces</h2>
        <button className="primary" onClick={onCreate} data-testid="new-workspace">
          New workspace
        </button>
      </header>
      {error && <p className="error" role="alert">{error}</p>}
      {workspaces.length === 0 ? (
        <>
          {reportView}
          <div className="empty">
            <p>No workspaces yet.</p>
            <p>A workspace is a sandbox with your project folder inside it, terminals, and a journal of every command.</p>
          </div>
        </>
      ) : (
        <>
          <div className="list-filters" role="search" aria-label="Filter workspaces">
            <input type="search" className="filter-text" value={filter.text} onChange={(e) => setFilter({ ...filter, text: e.target.value })} placeholder="Filter by name, image or project" aria-label="Filter by name, image or project" data-testid="filter-text" />
            <label className="filter-select">
              Backend
              <select value={filter.backend} onChange={(e) => setFilter({ ...filter, backend: e.target.value as BackendId | '' })} data-testid="filter-backend">
                <option value="">all</option>
                {backends.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            </label>
            <label className="filter-select">
              State
              <select value={filter.state} onChange={(e) => setFilter({ ...filter, state: e.target.value as WorkspaceState | '' })} data-testid="filter-state">
                <option value="">all</option>
                {states.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
            <span className="muted shown-count" aria-live="polite" data-testid="shown-count">
              {shown.length} of {workspaces.length} shown
            </span>
            {isFiltered(filter) && (
              <button className="link" onClick={() => setFilter(NO_FILTER)} data-testid="clear-filters">
                Clear filters
              </button>
            )}
          </div>
          {(selected.length > 0 || bulk.progress) && (
            <BulkBar selected={selected} stoppable={stoppable} progress={bulk.progress} onStop={() => void bulk.run('stop', stoppable, selected.length - stoppable.length).then(unselect)} onDelete={() => setPending({ bulk: true, targets: selected })} onClear={() => setSelectedIds(new Set())} />
          )}
          {reportView}
          {shown.length === 0 ? (
            <div className="empty" data-testid="no-match">
              <p>No workspace matches these filters.</p>
              <button onClick={() => setFilter(NO_FILTER)}>Clear filters</button>
            </div>
          ) : (
            <div className="table-scroll" data-testid="workspace-scroll">
              <table className="grid" data-testid="workspace-list">
                <thead>
                  <tr>
                    <th className="select-cell">
                      <input type="checkbox" ref={selectAllRef} checked={allShownSelected} onChange={(e) => toggleAllShown(e.target.checked)} disabled={!!bulk.progress} aria-label={`Select all ${shown.length} shown workspaces`} data-testid="select-all" />
                    </th>
                    {sortHeader('name', 'Name')}
                    {sortHeader('backend', 'Backend · image')}
                    {sortHeader('project', 'Project')}
                    {sortHeader('state', 'State')}
                    <th>Limits · disk</th>
                    {sortHeader('created', 'Created')}
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((w) => {
                    const active = w.state === 'running' || w.state === 'starting';
                    const isSelected = selectedIds.has(w.id);
                    const doing = busy[w.id];
                    return (
                      <tr key={w.id} data-testid="workspace-row" data-name={w.name} className={isSelected ? 'selected' : undefined}>
                        <td className="select-cell">
                          <input type="checkbox" checked={isSelected} onChange={(e) => toggle(w.id, e.target.checked)} disabled={!!bulk.progress} aria-label={`Select ${w.name}`} data-testid="select-row" />
                        </td>
                        <td className="name-cell">
                          <a href={`#/w/${w.id}/overview`} onClick={(e) => (e.preventDefault(), onOpen(w))} className="ws-name">
                            {w.name}
                          </a>
                        </td>
                        <td className="backend-cell">
                          {w.backend} <IsolationBadge ws={w} />
                          {/* The image under its backend: one column for what runs the workspace, room for the rest at 1024 px. */}
                          <div className="reason mono image-line" title={imageLabel(w)} data-testid="image-line">
                            {imageLabel(w)}
                          </div>
                          {w.placement.kind === 'slurm' && (
                            <div className="reason" data-testid="slurm-job">
                              SLURM{w.slurm ? ` job ${w.slurm.jobId} · ${w.slurm.state.toLowerCase()}${w.slurm.node ? ` on ${w.slurm.node}` : ''}${w.slurm.timeLeft ? ` · ${w.slurm.timeLeft} left` : ''}` : ''}
                            </div>
                          )}
                        </td>
                        <td className="mono ellipsis-cell" data-testid="project-cell">
                          <div title={w.project}>{projectLabel(w)}</div>
                        </td>
                        <td>
                          <StateBadge ws={w} />
                          <ProcessCount ws={w} block />
                          {w.reason && <div className="reason">{w.reason}</div>}
                        </td>
                        <td className="limits-cell">
                          {resources(w)}
                          {w.unenforcedLimits.length > 0 && <div className="reason warn">not enforced: {w.unenforcedLimits.join(', ')}</div>}
                          {w.state !== 'broken' && <DiskUseLine ws={w} />}
                        </td>
                        <td title={new Date(w.createdAt).toLocaleString()}>
                          {relative(now - Date.parse(w.createdAt))} ago
                          {w.expiresAt && <div className="reason">TTL {relative(Date.parse(w.expiresAt) - now)} left</div>}
                        </td>
                        <td className="actions">
                          {doing ? (
                            <span className="muted">{BUSY_WORDS[doing]}…</span>
                          ) : (
                            <>
                              {active ? (
                                <button onClick={() => act(w, 'stop')} aria-label={`Stop ${w.name}`}>
                                  Stop
                                </button>
                              ) : (
                                <button onClick={() => act(w, 'start')} aria-label={`Start ${w.name}`}>
                                  Start
                                </button>
                              )}
                              <button className="danger" onClick={() => setPending({ bulk: false, targets: [w] })} aria-label={`Delete ${w.name}`} data-testid="delete-workspace">
                                Delete
                              </button>
                            </>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {pending && <DeleteWorkspacesDialog workspaces={pending.targets} onConfirm={confirmDelete} onCancel={() => setPending(null)} />}
    </section>
  );
}
