/** Run one command in the workspace (journaled like `benchtop exec`): a shell line, its exit code at a glance. */
import { useState, type FormEvent } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { ExecResult, Workspace } from '../../../src-preload/contract';

export function CommandBar({ client, workspace }: { client: BenchtopClient; workspace: Workspace }) {
  const [line, setLine] = useState('');
  const [running, setRunning] = useState(false);
  const [last, setLast] = useState<ExecResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!line.trim()) return;
    setRunning(true);
    setError(null);
    try {
      setLast(await client.call('exec.run', { workspace: workspace.id, shell: line }));
      setLine('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRunning(false);
    }
  };

  return (
    <form className="command-bar" onSubmit={run}>
      <span className="prompt mono">$</span>
      <input className="mono" value={line} onChange={(e) => setLine(e.target.value)} placeholder={workspace.state === 'running' ? 'run a command in /workspace (journaled)' : `workspace is ${workspace.state}`} disabled={workspace.state !== 'running' || running} data-testid="command-input" />
      <button type="submit" disabled={workspace.state !== 'running' || running} data-testid="command-run">
        {running ? 'Running…' : 'Run'}
      </button>
      {last && !error && (
        <span className={`badge ${last.exitCode === 0 ? 'state-running' : 'state-failed'}`} data-testid="command-exit">
          #{last.seq} exit {last.exitCode}
          {last.timedOut ? ' (timed out)' : ''}
        </span>
      )}
      {error && <span className="error">{error}</span>}
    </form>
  );
}
