/**
 * The live process count of each workspace whose backend can tell (bwrap and
 * host, see drivers/shared/place-lifecycle.ts), as of the last reconcile. It
 * is a live fact, not part of the record: it is added to the workspace as it
 * is shown (list, get, change events) and never written to workspace.json.
 */
import { ACTIVE_STATES, type Workspace } from '../../../src-preload/contract';
import type { SandboxStatus } from '../drivers/types';


export class LiveProcesses {
  private counts = new Map<string, number>();

  /** Takes what one reconcile of `workspaces` found. */
  update(workspaces: Workspace[], statuses: Map<string, SandboxStatus>): void {
    for (const ws of workspaces) {
      const n = statuses.get(ws.id)?.processes;
      if (n === undefined) this.counts.delete(ws.id);
      else this.counts.set(ws.id, n);
    }
  }

  /** A stop ended them all. */
  ended(id: string): void {
    this.counts.delete(id);
  }

  /** The workspace as shown: with its count while it is active and the count is known. */
  view(ws: Workspace): Workspace {
    const { processes: _stale, ...record } = ws;
    const n = this.counts.get(ws.id);
    return n !== undefined && ACTIVE_STATES.has(ws.state) ? { ...record, processes: n } : record;
  }
}

