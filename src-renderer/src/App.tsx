/** The first screen: workspaces, live from events (no polling in the renderer). */
import { useEffect, useState } from 'react';
import type { BenchtopClient } from '../../src-preload/client';
import type { Workspace } from '../../src-preload/contract';

export function App({ client }: { client: BenchtopClient }) {
  const [workspaces, setWorkspaces] = useState<Workspace[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    client.call('workspaces.list', {}).then(setWorkspaces, (e: Error) => setError(e.message));
    return client.on('workspace.changed', ({ workspace, removed }) =>
      setWorkspaces((list) => {
        const rest = (list ?? []).filter((w) => w.id !== workspace.id);
        return removed ? rest : [...rest, workspace].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      }),
    );
  }, [client]);

  return (
    <main>
      <h1>Benchtop</h1>
      {error && <p className="error">{error}</p>}
      {workspaces === null ? (
        <p>Loading…</p>
      ) : workspaces.length === 0 ? (
        <p>No workspaces yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Backend</th>
              <th>State</th>
              <th>Image</th>
            </tr>
          </thead>
          <tbody>
            {workspaces.map((w) => (
              <tr key={w.id}>
                <td>{w.name}</td>
                <td>{w.isolation === 'none' ? `${w.backend} (no isolation)` : w.backend}</td>
                <td>
                  <span className={`badge ${w.state}`}>{w.state}</span> {w.reason}
                </td>
                <td>{w.image ?? '(host system)'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
