/** The workspace list: name, backend, image, state with reason, resources, age, TTL left, and actions. */
import { useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { Workspace } from '../../../src-preload/contract';
import { imageLabel, relative, resources } from '../format';
import { useNow } from '../hooks';
import { IsolationBadge, StateBadge } from './StateBadge';

interface Props {
  client: BenchtopClient;
  workspaces: Workspace[];
  onOpen: (ws: Workspace) => void;
  onCreate: () => void;
}

export function WorkspaceList({ client, workspaces, onOpen, onCreate }: Props) {
  const now = useNow();
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);

  const act = async (ws: Workspace, what: 'start' | 'stop' | 'remove') => {
    if (what === 'remove' && !confirm(`Delete workspace "${ws.name}"? Its journal and home go; the project folder stays.`)) return;
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

  return (
    <section className="page">
      <header className="page-head">
        <h2>Workspaces</h2>
        <button className="primary" onClick={onCreate} data-testid="new-workspace">
          New workspace
        </button>
      </header>
      {error && <p className="error" role="alert">{error}</p>}
      {workspaces.length === 0 ? (
        <div className="empty">
          <p>No workspaces yet.</p>
          <p>A workspace is a sandbox with your project folder at /workspace, terminals, and a journal of every command.</p>
        </div>
      ) : (
        <table className="grid" data-testid="workspace-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Backend</th>
              <th>Image</th>
              <th>State</th>
              <th>Resources</th>
              <th>Age</th>
              <th>TTL left</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {workspaces.map((w) => {
              const active = w.state === 'running' || w.state === 'starting';
              return (
                <tr key={w.id} data-testid="workspace-row" data-name={w.name}>
                  <td>
                    <a href={`#/w/${w.id}/overview`} onClick={(e) => (e.preventDefault(), onOpen(w))} className="ws-name">
                      {w.name}
                    </a>
                  </td>
                  <td>
                    {w.backend} <IsolationBadge ws={w} />
                    {w.placement.kind === 'slurm' && (
                      <div className="reason" data-testid="slurm-job">
                        SLURM{w.slurm ? ` job ${w.slurm.jobId} · ${w.slurm.state.toLowerCase()}${w.slurm.node ? ` on ${w.slurm.node}` : ''}${w.slurm.timeLeft ? ` · ${w.slurm.timeLeft} left` : ''}` : ''}
                      </div>
                    )}
                  </td>
                  <td className="mono ellipsis-cell">
                    <div title={imageLabel(w)}>{imageLabel(w)}</div>
                  </td>
                  <td>
                    <StateBadge ws={w} />
                    {w.reason && <div className="reason">{w.reason}</div>}
                  </td>
                  <td>
                    {resources(w)}
                    {w.unenforcedLimits.length > 0 && <div className="reason warn">not enforced: {w.unenforcedLimits.join(', ')}</div>}
                  </td>
                  <td>{relative(now - Date.parse(w.createdAt))}</td>
                  <td>{w.expiresAt ? relative(Date.parse(w.expiresAt) - now) : '—'}</td>
                  <td className="actions">
                    {busy[w.id] ? (
                      <span className="muted">{busy[w.id]}…</span>
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
                        <button className="danger" onClick={() => act(w, 'remove')} aria-label={`Delete ${w.name}`} data-testid="delete-workspace">
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
      )}
    </section>
  );
}
