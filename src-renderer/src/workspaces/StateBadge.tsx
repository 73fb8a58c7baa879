import type { Workspace } from '../../../src-preload/contract';

export function StateBadge({ ws }: { ws: Workspace }) {
  return (
    <span className={`badge state-${ws.state}`} title={ws.reason ?? undefined} data-testid="state-badge">
      {ws.state}
    </span>
  );
}

/**
 * "· 2 processes": what really runs in a workspace whose backend can count it
 * (bwrap, host: running from start to stop, with or without processes).
 */
export function ProcessCount({ ws, block = false }: { ws: Workspace; block?: boolean }) {
  if (ws.processes === undefined) return null;
  const title = "live processes of this workspace's commands and terminals";
  // Under the badge in a table cell; after it, with a separator, in a heading.
  if (block) return <div className="process-count" data-testid="process-count" title={title}>{processesText(ws.processes)}</div>;
  return <span className="process-count" data-testid="process-count" title={title}>· {processesText(ws.processes)}</span>;
}

export function processesText(n: number): string {
  return n === 1 ? '1 process' : `${n} processes`;
}

export function IsolationBadge({ ws }: { ws: Workspace }) {
  if (ws.isolation !== 'none') return null;
  return (
    <span className="badge danger" title="commands run as you, on this machine">
      no isolation
    </span>
  );
}
