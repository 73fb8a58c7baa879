/** The window: a sidebar (Workspaces, Backends) and the page for the current route. */
import { useState } from 'react';
import type { BenchtopClient } from '../../src-preload/client';
import { BackendsPage } from './backends/BackendsPage';
import { BackendsContext } from './backends/descriptors';
import { HelpPage } from './help/HelpPage';
import { useBackends, useRoute, useWorkspaces } from './hooks';
import { useOwnActions } from './notify/ownActions';
import { Toasts } from './notify/Toasts';
import { CreateDialog } from './workspaces/CreateDialog';
import { WorkspaceList } from './workspaces/WorkspaceList';
import { WorkspacePage } from './workspaces/WorkspacePage';

export function App({ client: connection }: { client: BenchtopClient }) {
  // Every lifecycle call goes through this client, so the toasts can leave out what was done in this window.
  const { client, own } = useOwnActions(connection);
  const { workspaces, error } = useWorkspaces(client);
  const backends = useBackends(client);
  const [route, go] = useRoute();
  const [creating, setCreating] = useState(false);
  const current = route.page === 'workspace' ? workspaces?.find((w) => w.id === route.id) : undefined;

  return (
    <BackendsContext.Provider value={backends}>
    <div className="app">
      <aside className="sidebar">
        <h1>Benchtop</h1>
        <nav aria-label="Pages">
          <a href="#/" className={route.page !== 'backends' && route.page !== 'help' ? 'active' : ''}>
            Workspaces
          </a>
          <a href="#/backends" className={route.page === 'backends' ? 'active' : ''} data-testid="nav-backends">
            Backends
          </a>
          <a href="#/help" className={route.page === 'help' ? 'active' : ''} aria-current={route.page === 'help' ? 'page' : undefined} data-testid="nav-help">
            Help
          </a>
        </nav>
        <ul className="ws-nav" aria-label="Workspaces">
          {(workspaces ?? []).map((w) => (
            <li key={w.id}>
              <a href={`#/w/${w.id}/overview`} className={current?.id === w.id ? 'active' : ''} aria-current={current?.id === w.id ? 'page' : undefined} title={`${w.name} — ${w.state}${w.reason ? `: ${w.reason}` : ''}`} data-testid="ws-nav-item">
                <span className={`dot state-${w.state}`} aria-hidden="true" />
                <span className="ws-nav-name">{w.name}</span>
                <span className="ws-nav-state">{w.state}</span>
              </a>
            </li>
          ))}
        </ul>
      </aside>
      {/* Focusable: a long page (the backends) scrolls here, and keyboard users must reach it. */}
      <main tabIndex={0}>
        {error && <p className="error" role="alert">{error}</p>}
        {workspaces === null ? (
          <p className="page">Loading…</p>
        ) : route.page === 'backends' ? (
          <BackendsPage backends={backends} />
        ) : route.page === 'help' ? (
          <HelpPage client={client} />
        ) : route.page === 'workspace' && current ? (
          <WorkspacePage client={client} workspace={current} tab={route.tab} seq={route.seq} onTab={(tab) => go({ page: 'workspace', id: current.id, tab })} onBack={() => go({ page: 'workspaces' })} onDeleted={() => go({ page: 'workspaces' })} />
        ) : route.page === 'workspace' ? (
          <p className="page">This workspace no longer exists. <a href="#/">Back to workspaces</a></p>
        ) : (
          <WorkspaceList client={client} workspaces={workspaces} onOpen={(w) => go({ page: 'workspace', id: w.id, tab: 'overview' })} onCreate={() => setCreating(true)} />
        )}
      </main>
      <Toasts client={client} own={own} />
      {creating && (
        <CreateDialog
          client={client}
          backends={backends}
          taken={(workspaces ?? []).map((w) => w.name)}
          onClose={() => setCreating(false)}
          onCreated={(w) => {
            setCreating(false);
            go({ page: 'workspace', id: w.id, tab: 'terminals' });
          }}
        />
      )}
    </div>
    </BackendsContext.Provider>
  );
}
