/**
 * Sandboxes inside SLURM allocations: start submits the allocation script
 * and waits for its ready marker, every process enters with `srun --jobid
 * --overlap`, one `squeue` follows every job, stop cancels the job. The
 * batch system is the truth.
 */
import { ACTIVE_STATES, BenchtopError, type Workspace } from '../../../../src-preload/contract';
import type { SandboxStatus } from '../../drivers/types';
import type { Carrier } from '../../process/types';
import { allocationTime } from '../../slurm/argv';
import { SlurmPlacement, type AllocationStatus } from '../../slurm/placement';
import { type Placement, type PlacementHost } from './types';

/**
 * A SLURM allocation that ends this close to its workspace's expiry ended by
 * the TTL: SLURM counts whole minutes from the job's start (before the
 * sandbox was ready), and the allocation notices within seconds a sandbox
 * whose own TTL ran out.
 */
const TTL_END_GRACE_MS = 30 * 1000;

export class SlurmAllocations implements Placement {
  constructor(
    private readonly host: PlacementHost,
    private readonly slurm: SlurmPlacement,
  ) {}

  /** Submits the allocation and waits (up to BENCHTOP_SLURM_WAIT seconds, default 600) for the ready marker. */
  async start(ws: Workspace, client: string): Promise<Workspace> {
    const { host } = this;
    let jobId: string;
    try {
      // The driver picks its runtime from what it detects (crun vs runc): detect first, in any process.
      await host.driver(ws).detect();
      jobId = await this.slurm.submit(ws, host.driver(ws));
    } catch (err) {
      const message = (await host.redactor()).text((err as Error).message);
      await host.update(ws.id, (w) => ({ ...w, state: 'failed', reason: message }));
      await host.lifecycle(ws, 'failed', client, message);
      throw err;
    }
    await host.update(ws.id, (w) => ({ ...w, state: 'starting', reason: `submitted as SLURM job ${jobId}`, slurm: SlurmPlacement.jobRecord(jobId, null) }));
    await host.lifecycle(ws, 'submitted', client, `SLURM job ${jobId}`);
    const waitMs = (Number(process.env.BENCHTOP_SLURM_WAIT) > 0 ? Number(process.env.BENCHTOP_SLURM_WAIT) : 600) * 1000;
    const start = Date.now();
    while (Date.now() - start < waitMs) {
      const current = host.read(ws.id);
      if (!current) throw new BenchtopError('NOT_FOUND', `workspace "${ws.name}" was removed while starting`);
      const status = (await this.slurm.statusAll([current])).get(ws.id);
      if (status) await this.apply(current, status, client);
      const now = host.read(ws.id);
      if (!now) throw new BenchtopError('NOT_FOUND', `workspace "${ws.name}" was removed while starting`);
      if (now.state === 'running') return now;
      if (now.state !== 'starting') throw new BenchtopError('BACKEND_FAILED', `workspace "${now.name}" did not start: ${now.reason ?? now.state}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    // Still queued: it stays "starting" and reconciliation follows it.
    return host.read(ws.id) ?? ws;
  }

  async stop(ws: Workspace): Promise<void> {
    await this.slurm.cancel(ws);
    await this.slurm.waitEnded(ws);
  }

  async remove(ws: Workspace): Promise<void> {
    await this.slurm.cancel(ws);
  }

  carrier(ws: Workspace): Carrier {
    return { pipes: this.slurm.prefix(ws), tty: this.slurm.prefix(ws, true) };
  }

  async reconcile(list: Workspace[]): Promise<Map<string, SandboxStatus>> {
    const { host } = this;
    let statuses: Map<string, AllocationStatus>;
    try {
      statuses = await this.slurm.statusAll(list);
    } catch {
      return new Map(); // Controller unreachable: change nothing this round.
    }
    for (const ws of list) {
      if (ws.expiresAt && ACTIVE_STATES.has(ws.state) && Date.parse(ws.expiresAt) <= host.now()) {
        await host.expire(ws);
        continue;
      }
      const status = statuses.get(ws.id);
      if (status) await this.apply(ws, status, 'reconcile', true);
    }
    return new Map();
  }

  /**
   * Whether an allocation that ended was ended by the workspace's TTL: its
   * --time was the TTL and it timed out, or it ended (a sandbox that ran out
   * of time stops the allocation within seconds) close to the expiry.
   */
  private endedByTtl(w: Workspace, status: AllocationStatus): boolean {
    if (!w.ttlSec || !w.expiresAt || w.placement.kind !== 'slurm') return false;
    if (status.job?.state === 'TIMEOUT' && allocationTime(w.placement.time, w.ttlSec).byTtl) return true;
    return Date.parse(w.expiresAt) - this.host.now() <= TTL_END_GRACE_MS;
  }

  /** Maps a job's state and the ready marker onto the workspace. */
  private async apply(ws: Workspace, status: AllocationStatus, client: string, tryLock = false): Promise<void> {
    const { host } = this;
    const jobId = ws.slurm?.jobId;
    if (!jobId) return;
    let event: string | null = null;
    let detail: string | null = null;
    const job = SlurmPlacement.jobRecord(jobId, status.job, status.job === null);
    const nowIso = () => new Date(host.now()).toISOString();
    const next = await host.update(
      ws.id,
      (w) => {
        const same = JSON.stringify(w.slurm) === JSON.stringify(job);
        if (!ACTIVE_STATES.has(w.state)) return same ? null : { ...w, slurm: job };
        if (status.failed) {
          event = 'failed';
          detail = `the sandbox did not start in SLURM job ${jobId}: ${status.tail}`;
          return { ...w, state: 'failed', reason: detail, slurm: job };
        }
        if (SlurmPlacement.ended(status)) {
          if (w.state === 'stopping') return same ? null : { ...w, slurm: job };
          if (this.endedByTtl(w, status)) {
            event = 'expired';
            detail = `TTL of ${w.ttlSec} s elapsed`;
            return { ...w, state: 'expired', reason: detail, stoppedAt: nowIso(), expiresAt: null, slurm: job };
          }
          event = 'died';
          detail = SlurmPlacement.endReason(jobId, status);
          if (!status.ready && status.tail) detail += ` — ${status.tail}`;
          return { ...w, state: 'stopped', reason: detail, stoppedAt: nowIso(), expiresAt: null, slurm: job };
        }
        if (status.job?.state === 'PENDING') {
          const reason = `queued in SLURM (job ${jobId}${status.job.reason ? `: ${status.job.reason}` : ''})`;
          return same && w.reason === reason ? null : { ...w, state: 'starting', reason, slurm: job };
        }
        if (status.ready && w.state === 'starting') {
          event = 'started';
          detail = `in SLURM job ${jobId} on ${job.node ?? '?'}`;
          const startedMs = host.now();
          return { ...w, state: 'running', reason: null, slurm: job, startedAt: new Date(startedMs).toISOString(), expiresAt: w.ttlSec ? new Date(startedMs + w.ttlSec * 1000).toISOString() : null };
        }
        if (!status.ready && w.state === 'starting') {
          const reason = `SLURM job ${jobId} running on ${job.node ?? '?'}, waiting for the sandbox`;
          return same && w.reason === reason ? null : { ...w, reason, slurm: job };
        }
        return same ? null : { ...w, slurm: job };
      },
      { try: tryLock },
    );
    if (next && event) await host.lifecycle(next, event, client, detail);
  }
}
