/** One workspace: Overview, Terminals, Journal, Files (and Console for a machine), and the command bar on all of them; Stop/Start and Delete in its header. */
import { useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { Workspace } from '../../../src-preload/contract';
import { routeHash } from '../hooks';
import { FilesTab } from '../files/FilesTab';
import { ConsoleTab } from '../console/ConsoleTab';
import { useDescriptor } from '../backends/descriptors';
import { JournalTab } from '../journal/JournalTab';
import { TerminalsTab } from '../terminals/TerminalsTab';
import { CommandBar } from './CommandBar';
import { DeleteWorkspacesDialog } from './DeleteWorkspacesDialog';
import { DiskNotice } from './DiskUse';
import { Overview } from './Overview';
import { PortsPanel } from './PortsPanel';
import { IsolationBadge, ProcessCount, StateBadge } from './StateBadge';

type Tab = 'overview' | 'terminals' | 'journal' | 'files' | 'console';

interface Props {
  client: BenchtopClient;
  workspace: Workspace;
  tab: Tab;
  /** The journal entry the route names (shown when the Journal tab is). */
  seq?: number;
  onTab: (tab: Tab) => void;
  onBack: () => void;
  /** After a delete: the page has nothing left to show. */
  onDeleted: () => void;
}

/**
 * The entry the reader opened goes into the address (a reload shows it again; a link to
 * another entry is a change again), replacing it rather than adding to the history.
 */
function followInRoute(id: string, entry: number | null): void {
  const hash = routeHash(entry === null ? { page: 'workspace', id, tab: 'journal' } : { page: 'workspace', id, tab: 'journal', seq: entry });
  if (location.hash === hash) return;
  history.replaceState(history.state, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function WorkspacePage({ client, workspace: w, tab, seq, onTab, onBack, onDeleted }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const active = w.state === 'running' || w.state === 'starting';
  const hasConsole = useDescriptor(w.backend)?.supports.console === true;
  const tabs: Tab[] = hasConsole ? ['overview', 'terminals', 'journal', 'files', 'console'] : ['overview', 'terminals', 'journal', 'files'];
  const act = (what: 'start' | 'stop') => {
    setError(null);
    client.call(`workspaces.${what}`, { workspace: w.id }).catch((e: Error) => setError(e.message));
  };
  const remove = () => {
    setConfirming(false);
    setDeleting(true);
    setError(null);
    client.call('workspaces.remove', { workspace: w.id }).then(onDeleted, (e: Error) => {
      setDeleting(false);
      setError(e.message);
    });
  };
  return (
    <section className="page workspace-page">
      <header className="page-head">
        <button className="link" onClick={onBack}>
          ← Workspaces
        </button>
        <h2 data-testid="workspace-title">{w.name}</h2>
        <StateBadge ws={w} />
        <ProcessCount ws={w} />
        <IsolationBadge ws={w} />
        <span className="muted">{w.backend}</span>
        <span className="spacer" />
        {deleting ? (
          <span className="muted" role="status">
            Deleting…
          </span>
        ) : (
          <>
            {active ? <button onClick={() => act('stop')}>Stop</button> : <button onClick={() => act('start')}>Start</button>}
            <button className="danger" onClick={() => setConfirming(true)} data-testid="page-delete">
              Delete
            </button>
          </>
        )}
      </header>
      {confirming && <DeleteWorkspacesDialog workspaces={[w]} onConfirm={remove} onCancel={() => setConfirming(false)} />}
      {error && <p className="error" role="alert">{error}</p>}
      <DiskNotice ws={w} />
      <nav className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => onTab(t)} data-testid={`tab-${t}`}>
            {t[0]?.toUpperCase() + t.slice(1)}
          </button>
        ))}
      </nav>
      {/* On every tab, mounted across them: a command keeps streaming while you look elsewhere. */}
      <CommandBar key={w.id} client={client} workspace={w} onOpenJournal={(entry) => (location.hash = routeHash({ page: 'workspace', id: w.id, tab: 'journal', seq: entry }))} />
      <div className="tab-body">
        {tab === 'overview' && (
          <>
            <Overview workspace={w} />
            <PortsPanel client={client} workspace={w} />
          </>
        )}
        {/* Terminals stay mounted while other tabs show, so their screens keep streaming. */}
        <div style={{ display: tab === 'terminals' ? 'contents' : 'none' }}>
          <TerminalsTab client={client} workspace={w} />
        </div>
        {tab === 'files' && <FilesTab client={client} workspace={w} />}
        {tab === 'console' && hasConsole && <ConsoleTab client={client} workspace={w} />}
        {tab === 'journal' && <JournalTab client={client} workspace={w} focusSeq={seq} onChosen={(entry) => followInRoute(w.id, entry)} />}
      </div>
    </section>
  );
}
