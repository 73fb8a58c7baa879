/**
 * Where a workspace's sandbox lives wraps its driver: `local` starts it on
 * this machine, `slurm` inside a batch allocation (start submits it; every
 * process goes through `srun --jobid --overlap`; one `squeue` follows them
 * all). The service asks the workspace's placement and never branches on it.
 */
import type { Workspace } from '../../../../src-preload/contract';
import type { Driver, SandboxStatus, StopReport } from '../../drivers/types';
import type { Carrier } from '../../process/types';
import type { Redactor } from '../../secrets/redact';

/** What a placement needs of the workspace service. */
export interface PlacementHost {
  driver(ws: Workspace): Driver;
  /** Every driver (lost sandboxes are looked for in all that label theirs). */
  allDrivers(): Driver[];
  /** Read-modify-write of one record under its lock; `mutate` returns null for "no change". */
  update(id: string, mutate: (ws: Workspace) => Workspace | null, opts?: { try?: boolean }): Promise<Workspace | null>;
  /** Writes a lifecycle entry in the workspace's journal. */
  lifecycle(ws: Workspace, event: string, client: string, detail: string | null): Promise<void>;
  /** Ends a workspace whose TTL ran out. */
  expire(ws: Workspace): Promise<void>;
  secretsOf(ws: Workspace): Promise<Record<string, string>>;
  redactor(): Promise<Redactor>;
  /** What one reconcile found of `list` (live process counts are read from it). */
  observed(list: Workspace[], statuses: Map<string, SandboxStatus>): void;
  /** After one workspace was reconciled: as it is now, and what happened to it (null: nothing). */
  reconciled(ws: Workspace, event: string | null): Promise<void>;
  /** The record as it is now (null once removed). */
  read(id: string): Workspace | null;
  now(): number;
}

export interface Placement {
  /** Brings up the sandbox of a workspace the caller marked "starting"; the record says how it went. */
  start(ws: Workspace, client: string): Promise<Workspace>;
  /** Stops the sandbox; the caller records the stop (with what the driver reports of it). */
  stop(ws: Workspace): Promise<StopReport | void>;
  /** Ends and deletes the sandbox (delete, TTL). Idempotent. */
  remove(ws: Workspace): Promise<void>;
  /** What carries a process into it (nothing for local). */
  carrier(ws: Workspace): Carrier | undefined;
  /**
   * Brings the records of `list` (all placed here) in line with what the
   * backends say. Returns what podman-like backends listed, by workspace id,
   * for records that are lost (see workspaces/broken.ts).
   */
  reconcile(list: Workspace[], opts: { everyContainer: boolean }): Promise<Map<string, SandboxStatus>>;
}
