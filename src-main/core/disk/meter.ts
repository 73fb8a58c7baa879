/**
 * Measures workspaces' disk use — their folder on the host (du, never the
 * project folder) plus their sandbox's writable layer (one backend call for
 * all its sandboxes) — and records it on each workspace. Never on the event
 * loop: every walk is a child process. One measurement runs at a time, so a
 * later one is never overwritten by an earlier one from the same process.
 */
import type { DiskUse, Workspace } from '../../../src-preload/contract';
import type { Driver } from '../drivers/types';
import type { Runner } from '../runner/runner';
import { folderDiskUse } from './folder';

export interface DiskMeterHost {
  runner: Runner;
  now(): number;
  dir(ws: Workspace): string;
  driver(ws: Workspace): Driver;
  /** Writes the measurement on the workspace's record (a newer one already there wins). */
  record(id: string, use: Omit<DiskUse, 'warned'>): Promise<void>;
}

/** Folders walked at once: du is I/O, and the machine's other work goes on. */
const PARALLEL_WALKS = 2;

export class DiskMeter {
  private chain: Promise<void> = Promise.resolve();
  private readonly soonTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly host: DiskMeterHost) {}

  /** Measures these workspaces, after any measurement already under way. Failures keep the last measurement. */
  measure(list: Workspace[]): Promise<void> {
    const run = this.chain.then(() => this.measureNow(list));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Measures a workspace `delayMs` after the last call for it: a burst of commands costs one measurement. */
  soon(ws: Workspace, delayMs: number): void {
    clearTimeout(this.soonTimers.get(ws.id));
    const timer = setTimeout(() => {
      this.soonTimers.delete(ws.id);
      void this.measure([ws]).catch(() => undefined);
    }, delayMs);
    timer.unref?.();
    this.soonTimers.set(ws.id, timer);
  }

  /** Measures what `pick` returns every `everyMs` until the returned function is called. */
  every(everyMs: number, pick: () => Workspace[]): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.measure(pick())
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, everyMs);
    timer.unref?.();
    return () => {
      clearInterval(timer);
      for (const t of this.soonTimers.values()) clearTimeout(t);
      this.soonTimers.clear();
    };
  }

  private async measureNow(list: Workspace[]): Promise<void> {
    const measuredAt = new Date(this.host.now()).toISOString();
    const sandboxes = await this.sandboxLayers(list);
    const queue = [...list];
    const walker = async () => {
      for (let ws = queue.shift(); ws; ws = queue.shift()) {
        const layer = sandboxes.get(ws.id);
        // The layer could not be read: a use without it would be too low to hold a quota by.
        if (layer === 'failed') continue;
        try {
          const folderBytes = await folderDiskUse(this.host.runner, this.host.dir(ws), ws.project);
          await this.host.record(ws.id, { usedBytes: folderBytes + (layer ?? 0), folderBytes, sandboxBytes: layer ?? null, measuredAt });
        } catch {
          // Removed meanwhile, or unreadable: the last measurement stands.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_WALKS, list.length) }, walker));
  }

  /**
   * Each workspace's writable layer: one call per backend family (podman and
   * gVisor share one). null: its backend keeps none, or it runs in SLURM on
   * another node, where this host cannot see it.
   */
  private async sandboxLayers(list: Workspace[]): Promise<Map<string, number | null | 'failed'>> {
    const out = new Map<string, number | null | 'failed'>();
    const groups = new Map<string, { driver: Driver; list: Workspace[] }>();
    for (const ws of list) {
      const driver = this.host.driver(ws);
      if (!driver.sandboxDiskUse || ws.placement.kind !== 'local') {
        out.set(ws.id, null);
        continue;
      }
      const group = groups.get(driver.listKey) ?? { driver, list: [] };
      group.list.push(ws);
      groups.set(driver.listKey, group);
    }
    await Promise.all(
      [...groups.values()].map(async ({ driver, list: members }) => {
        try {
          const sizes = (await driver.sandboxDiskUse?.(members)) ?? new Map<string, number>();
          // No container (never started, or removed): no layer to count.
          for (const ws of members) out.set(ws.id, sizes.get(ws.id) ?? 0);
        } catch {
          for (const ws of members) out.set(ws.id, 'failed');
        }
      }),
    );
    return out;
  }
}
