/**
 * The timer a host with windows runs: the data folder is read every 500 ms
 * (records and journal ends only, no backend call), and the backends are
 * reconciled every `reconcileMs`. One poll at a time: a slow backend delays
 * the next round, never stacks rounds.
 */
import type { WorkspaceService } from './service';

const FOLDER_MS = 500;

export function pollDataFolder(service: WorkspaceService, reconcileMs: number): () => void {
  let busy = false;
  let lastReconcile = Date.now();
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    const reconcile = Date.now() - lastReconcile >= reconcileMs;
    if (reconcile) lastReconcile = Date.now();
    service
      .poll({ reconcile })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, Math.min(FOLDER_MS, reconcileMs));
  return () => clearInterval(timer);
}
