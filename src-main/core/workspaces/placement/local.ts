/** Sandboxes on this machine: the driver starts, stops and lists them itself. */
import { ACTIVE_STATES, BenchtopError, type Workspace } from '../../../../src-preload/contract';
import type { Driver, SandboxStatus, StopReport } from '../../drivers/types';
import { type Placement, type PlacementHost } from './types';

/** A record left in "starting" longer than this by a process that died is failed by reconciliation. */
const START_GRACE_MS = 5 * 60 * 1000;

export class LocalPlacement implements Placement {
  constructor(private readonly host: PlacementHost) {}

  async start(ws: Workspace, client: string): Promise<Workspace> {
    const { host } = this;
    try {
      const { adopted, runtime } = await host.driver(ws).start(ws, await host.secretsOf(ws));
      const startedMs = host.now();
      const running = await host.update(ws.id, (w) => ({
        ...w,
        state: 'running',
        reason: adopted ? 'adopted: its sandbox was already running' : null,
        runtime: { ...w.runtime, ...runtime },
        startedAt: new Date(startedMs).toISOString(),
        stoppedAt: null,
        expiresAt: w.ttlSec ? new Date(startedMs + w.ttlSec * 1000).toISOString() : null,
      }));
      await host.lifecycle(ws, adopted ? 'adopted' : 'started', client, running?.expiresAt ? `expires ${running.expiresAt}` : null);
      return running ?? host.read(ws.id) ?? ws;
    } catch (err) {
      const redactor = await host.redactor();
      const message = redactor.text(err instanceof Error ? err.message : String(err));
      await host.update(ws.id, (w) => ({ ...w, state: 'failed', reason: message }));
      await host.lifecycle(ws, 'failed', client, message);
      throw err instanceof BenchtopError ? new BenchtopError(err.code, redactor.text(err.message), redactor.value(err.details)) : err;
    }
  }

  stop(ws: Workspace): Promise<StopReport | void> {
    return this.host.driver(ws).stop(ws);
  }

  remove(ws: Workspace): Promise<void> {
    return this.host.driver(ws).remove(ws);
  }

  carrier(): undefined {
    return undefined;
  }

  /** ONE list call per backend family (drivers sharing a listKey share it). */
  async reconcile(list: Workspace[], opts: { everyContainer: boolean }): Promise<Map<string, SandboxStatus>> {
    const { host } = this;
    const byKey = new Map<string, { driver: Driver; list: Workspace[] }>();
    for (const ws of list) {
      const d = host.driver(ws);
      const group = byKey.get(d.listKey) ?? { driver: d, list: [] };
      group.list.push(ws);
      byKey.set(d.listKey, group);
    }
    // Sandboxes that carry our label are found even without a record (a lost record shows as broken).
    if (opts.everyContainer) for (const d of host.allDrivers()) if (d.descriptor.labelsSandboxes && !byKey.has(d.listKey)) byKey.set(d.listKey, { driver: d, list: [] });
    const statuses = new Map<string, SandboxStatus>();
    const labelled = new Map<string, SandboxStatus>();
    await Promise.all(
      [...byKey.values()].map(async ({ driver, list: group }) => {
        try {
          const listed = await driver.list(group);
          for (const [id, s] of listed) {
            statuses.set(id, s);
            if (driver.descriptor.labelsSandboxes) labelled.set(id, s);
          }
        } catch {
          // A backend that cannot list right now changes nothing this round.
          for (const ws of group) statuses.set(ws.id, { running: ACTIVE_STATES.has(ws.state), description: 'unknown' });
        }
      }),
    );
    host.observed(list, statuses);
    for (const ws of list) await this.reconcileOne(ws, statuses.get(ws.id));
    return labelled;
  }

  private async reconcileOne(ws: Workspace, status: SandboxStatus | undefined): Promise<void> {
    const { host } = this;
    const now = host.now();
    const persistent = host.driver(ws).descriptor.ttlProcess;
    // A container's main process ends with 0 only when its TTL ran out (`sleep TTL`; stop and kill give 143/137):
    // it may do so a moment before the record's expiry, and then it expired, it did not die.
    const ranOut = persistent && ws.state === 'running' && status !== undefined && !status.running && status.exitCode === 0;
    if (ws.expiresAt && ACTIVE_STATES.has(ws.state) && (Date.parse(ws.expiresAt) <= now || ranOut)) {
      await host.expire(ws);
      return;
    }
    let event: string | null = null;
    let detail: string | null = null;
    const nowIso = () => new Date(host.now()).toISOString();
    const next = await host.update(
      ws.id,
      (w) => {
        // The status was read for the record as it was; changed since (a start just finished), it says nothing.
        if (w.updatedAt !== ws.updatedAt) return null;
        if (w.state === 'running' && !status?.running) {
          event = 'died';
          detail = status ? `${status.description} outside Benchtop` : 'its sandbox is gone (removed outside Benchtop)';
          return { ...w, state: 'stopped', reason: detail, stoppedAt: nowIso(), expiresAt: null };
        }
        if (w.state === 'starting' && !status?.running && now - Date.parse(w.updatedAt) > START_GRACE_MS) {
          event = 'failed';
          detail = 'start was interrupted (the process starting it went away)';
          return { ...w, state: 'failed', reason: detail };
        }
        if (persistent && status?.running && (w.state === 'stopped' || w.state === 'failed' || w.state === 'created' || w.state === 'starting')) {
          event = 'adopted';
          detail = 'its sandbox was running: adopted';
          return { ...w, state: 'running', reason: detail, startedAt: w.startedAt ?? nowIso() };
        }
        return null;
      },
      // Someone holding the lock is changing this workspace right now; look again next round.
      { try: true },
    );
    if (next && event) await host.lifecycle(next, event, 'reconcile', detail);
    await host.reconciled(next ?? ws, event);
  }
}
