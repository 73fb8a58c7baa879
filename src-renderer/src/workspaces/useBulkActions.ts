/**
 * Stop or delete many workspaces: three at a time, with progress while it runs
 * and, at the end, one report that names every workspace that failed and why,
 * without losing the ones that worked.
 */
import { useCallback, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { Workspace } from '../../../src-preload/contract';
import { runBounded } from './runBounded';

/** Enough to overlap slow teardowns, few enough not to swamp the machine (or SLURM) with thirty at once. */
export const BULK_CONCURRENCY = 3;

export type BulkKind = 'stop' | 'remove';

export interface BulkProgress {
  kind: BulkKind;
  done: number;
  total: number;
}

export interface BulkReport {
  kind: BulkKind;
  total: number;
  succeeded: number;
  /** Selected workspaces the action did not apply to (Stop: those not running). */
  skipped: number;
  failures: { name: string; message: string }[];
}

export function useBulkActions(client: BenchtopClient): {
  progress: BulkProgress | null;
  report: BulkReport | null;
  dismissReport: () => void;
  run: (kind: BulkKind, targets: readonly Workspace[], skipped?: number) => Promise<Set<string>>;
} {
  const [progress, setProgress] = useState<BulkProgress | null>(null);
  const [report, setReport] = useState<BulkReport | null>(null);

  /** Runs the action; resolves with the ids it succeeded on. */
  const run = useCallback(
    async (kind: BulkKind, targets: readonly Workspace[], skipped = 0): Promise<Set<string>> => {
      const total = targets.length;
      setReport(null);
      setProgress({ kind, done: 0, total });
      const action = (w: Workspace) =>
        client.call(`workspaces.${kind}`, { workspace: w.id }).catch((e: { code?: string }) => {
          // Gone between the click and the call (another window, the CLI): say so, not "no workspace named <id>".
          if (e.code === 'NOT_FOUND') throw new Error(kind === 'remove' ? 'already deleted elsewhere' : 'no longer exists');
          throw e;
        });
      const outcomes = await runBounded(targets, BULK_CONCURRENCY, action, (done) => setProgress({ kind, done, total }));
      const failures = outcomes.filter((o) => o.error !== undefined).map((o) => ({ name: o.item.name, message: o.error as string }));
      setProgress(null);
      setReport({ kind, total, succeeded: total - failures.length, skipped, failures });
      return new Set(outcomes.filter((o) => o.error === undefined).map((o) => o.item.id));
    },
    [client],
  );

  return { progress, report, dismissReport: useCallback(() => setReport(null), []), run };
}
