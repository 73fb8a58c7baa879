/**
 * A workspace's terminals: many at once, each a tab (new, rename, close), all kept by main across reloads.
 * Closing one whose shell runs a program (vi, python, a job) asks first, naming the program, as VS Code
 * does; an idle shell closes at once. Where the host cannot see the shell's processes (gVisor, SLURM) it
 * asks too, in general words: losing a running job to a stray click costs more than one more click.
 */
import { useEffect, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { TerminalInfo, Workspace } from '../../../src-preload/contract';
import { ConfirmDialog } from '../ConfirmDialog';
import { AsUserField } from '../workspaces/AsUserField';
import { TerminalView } from './TerminalView';

/** A close waiting for the user's yes: the terminal, and what runs in it (null: unknown). */
interface PendingClose {
  terminal: TerminalInfo;
  program: string | null;
}

const selectedKey = (workspaceId: string) => `benchtop.terminal.${workspaceId}`;

export function TerminalsTab({ client, workspace }: { client: BenchtopClient; workspace: Workspace }) {
  const [terminals, setTerminals] = useState<TerminalInfo[]>([]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pendingClose, setPendingClose] = useState<PendingClose | null>(null);
  const [asUser, setAsUser] = useState('');
  /** Terminals being closed: gone from the tabs at once, though their end (through srun, say) takes a moment. */
  const closing = useRef(new Set<string>());

  useEffect(() => {
    let alive = true;
    client.call('terminals.list', { workspace: workspace.id }).then((list) => {
      if (!alive) return;
      setTerminals(list);
      // A reload keeps the terminal that was selected (per browser tab, in sessionStorage).
      const kept = sessionStorage.getItem(selectedKey(workspace.id));
      setActiveId((cur) => cur ?? (list.some((t) => t.id === kept) ? kept : list.at(-1)?.id) ?? null);
    }, (e: Error) => setError(e.message));
    const off = client.on('terminal.changed', ({ terminal, closed }) => {
      if (terminal.workspaceId !== workspace.id) return;
      if (closing.current.has(terminal.id) && !closed) return;
      setTerminals((list) => {
        if (closed) return list.filter((t) => t.id !== terminal.id);
        return list.some((t) => t.id === terminal.id) ? list.map((t) => (t.id === terminal.id ? terminal : t)) : [...list, terminal];
      });
    });
    return () => {
      alive = false;
      off();
    };
  }, [client, workspace.id]);

  const open = async () => {
    setError(null);
    try {
      const t = await client.call('terminals.open', { workspace: workspace.id, cols: 100, rows: 30, ...(asUser ? { user: asUser, title: `shell as ${asUser}` } : {}) });
      setTerminals((list) => (list.some((x) => x.id === t.id) ? list : [...list, t]));
      setActiveId(t.id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const rename = async (t: TerminalInfo) => {
    const title = prompt('Terminal name', t.title)?.trim();
    if (title) await client.call('terminals.rename', { id: t.id, title }).catch((e: Error) => setError(e.message));
  };
  /** Asks first when the shell runs a program (or nobody can tell); an ended or idle shell closes at once. */
  const askClose = async (t: TerminalInfo) => {
    setError(null);
    if (!t.running) return close(t);
    const state = await client.call('terminals.busy', { id: t.id }).catch(() => ({ busy: null, program: undefined }));
    if (state.busy === false) return close(t);
    setPendingClose({ terminal: t, program: state.busy ? (state.program ?? 'a program') : null });
  };
  const close = async (t: TerminalInfo) => {
    closing.current.add(t.id);
    setTerminals((list) => list.filter((x) => x.id !== t.id));
    if (activeId === t.id) setActiveId(terminals.find((x) => x.id !== t.id)?.id ?? null);
    try {
      await client.call('terminals.close', { id: t.id });
    } catch (e) {
      setError((e as Error).message);
      // Not closed after all: show the terminals as they are.
      closing.current.delete(t.id);
      setTerminals(await client.call('terminals.list', { workspace: workspace.id }).catch(() => terminals));
    } finally {
      closing.current.delete(t.id);
    }
  };

  const current = terminals.find((t) => t.id === activeId) ?? terminals.at(-1) ?? null;
  useEffect(() => {
    if (current) sessionStorage.setItem(selectedKey(workspace.id), current.id);
  }, [current, workspace.id]);
  return (
    <div className="terminals">
      <div className="term-tabs" role="group" aria-label="Terminals">
        {terminals.map((t) => (
          <div key={t.id} className={`term-tab ${current?.id === t.id ? 'active' : ''}`} data-testid="terminal-tab">
            <button
              className="term-title"
              aria-current={current?.id === t.id ? 'true' : undefined}
              onClick={() => setActiveId(t.id)}
              onDoubleClick={() => rename(t)}
              onKeyDown={(e) => {
                if (e.key === 'F2') {
                  e.preventDefault();
                  void rename(t);
                }
              }}
              title="F2 or double-click to rename"
            >
              {t.title}
              {!t.running && <span className="muted">{t.failure ? ' (did not start)' : ` (exit ${t.exitCode})`}</span>}
            </button>
            <button className="term-rename" onClick={() => rename(t)} aria-label={`rename ${t.title}`} title="rename" data-testid="rename-terminal">
              ✎
            </button>
            <button className="term-close" onClick={() => void askClose(t)} aria-label={`close ${t.title}`} data-testid="close-terminal">
              ×
            </button>
          </div>
        ))}
        <button className="term-new" onClick={open} disabled={workspace.state !== 'running'} data-testid="new-terminal">
          + Terminal
        </button>
        <AsUserField workspace={workspace} value={asUser} onChange={setAsUser} label="Open the next terminal as this user" testId="terminal-user" />
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {current?.failure && (
        <p className="error" role="alert" data-testid="terminal-failure">
          {current.title} did not start: {current.failure}
        </p>
      )}
      {pendingClose && (
        <ConfirmDialog
          title={`Close ${pendingClose.terminal.title}?`}
          confirmLabel={`Close ${pendingClose.terminal.title}`}
          onCancel={() => setPendingClose(null)}
          onConfirm={() => {
            const t = pendingClose.terminal;
            setPendingClose(null);
            void close(t);
          }}
        >
          <p data-testid="close-terminal-question">
            {pendingClose.program !== null
              ? `${pendingClose.program} is still running in ${pendingClose.terminal.title}. Closing the terminal ends it.`
              : `A program may still be running in ${pendingClose.terminal.title} (Benchtop cannot see this shell’s processes from here). Closing the terminal ends whatever runs in it.`}
          </p>
        </ConfirmDialog>
      )}
      {terminals.length === 0 ? (
        <div className="empty">{workspace.state === 'running' ? 'No terminal open. “+ Terminal” opens a shell in this workspace.' : `The workspace is ${workspace.state}: start it to open a terminal.`}</div>
      ) : (
        <div className="term-stack">
          {terminals.map((t) => (
            <TerminalView key={t.id} client={client} terminal={t} active={current?.id === t.id} />
          ))}
        </div>
      )}
    </div>
  );
}
