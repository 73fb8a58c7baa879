/**
 * The lifecycle of a workspace that is a place, not a process (bwrap, host):
 * it holds nothing between commands, so it is "running" from start to stop,
 * and what it has live is every process carrying its marker (see
 * core/host/procscan.ts): counted by list, ended by stop and remove.
 */
import { ACTIVE_STATES, type Workspace } from '../../../../src-preload/contract';
import { countByWorkspace, endWorkspaceProcesses, scanMarkedProcesses, type EndOptions } from '../../host/procscan';
import type { Driver, SandboxStatus, StopReport } from '../types';

/** `procRoot` and `graceMs` are for tests: where /proc is, and how long processes get between SIGTERM and SIGKILL. */
export interface PlaceOptions extends EndOptions {
  /** Throws when the backend cannot run commands here (e.g. bubblewrap missing). */
  ready(): Promise<void>;
}


export function placeLifecycle(opts: PlaceOptions): Pick<Driver, 'start' | 'stop' | 'remove' | 'list'> {
  const end = async (ws: Workspace): Promise<StopReport> => ({ processesEnded: await endWorkspaceProcesses(ws.id, opts) });
  return {
    async start() {
      await opts.ready();
      return { adopted: false, runtime: {} };
    },
    stop: end,
    async remove(ws) {
      await end(ws);
    },
    async list(workspaces): Promise<Map<string, SandboxStatus>> {
      // One pass over /proc for every workspace of the backend.
      const counts = countByWorkspace(scanMarkedProcesses(opts.procRoot));
      const out = new Map<string, SandboxStatus>();
      for (const ws of workspaces) {
        // Running by its record (a place needs nothing to live); the count is what really runs in it.
        if (ACTIVE_STATES.has(ws.state)) out.set(ws.id, { running: true, description: 'ready', processes: counts.get(ws.id) ?? 0 });
      }
      return out;
    },
  };
}
