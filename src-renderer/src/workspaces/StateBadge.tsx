import type { Workspace } from '../../../src-preload/contract';

export function StateBadge({ ws }: { ws: Workspace }) {
  return (
    <span className={`badge state-${ws.state}`} title={ws.reason ?? undefined} data-testid="state-badge">
      {ws.state}
    </span>
  );
}

export function IsolationBadge({ ws }: { ws: Workspace }) {
  if (ws.isolation !== 'none') return null;
  return (
    <span className="badge danger" title="commands run as you, on this machine">
      no isolation
    </span>
  );
}
