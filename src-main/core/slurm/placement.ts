/**
 * SLURM placement: a workspace's sandbox lives inside a batch allocation.
 * Starting writes an allocation script into the workspace folder and submits
 * it; one squeue call follows every job; the script's ready marker in the
 * job's output says when the sandbox is up; commands and terminals enter with
 * `srun --jobid --overlap`; stopping cancels the job.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError, type SlurmJob, type SlurmPartition, type Workspace } from '../../../src-preload/contract';
import { listPartitions } from './partitions';
import { backendFailed } from '../drivers/errors';
import type { Driver } from '../drivers/types';
import { which } from '../drivers/which';
import type { Runner } from '../runner/runner';
import {
  allocationTime,
  buildAllocationScript,
  buildScancelArgv,
  buildSbatchArgv,
  buildSqueueArgv,
  buildSrunPrefix,
  ENDED_STATES,
  FAILED_MARKER,
  parseSqueue,
  READY_MARKER,
  STOPPED_MARKER,
  type JobStatus,
} from './argv';

export interface AllocationStatus {
  job: JobStatus | null;
  ready: boolean;
  failed: boolean;
  /** The allocation script said its sandbox is gone. */
  stopped: boolean;
  /** The end of the job's output, for reasons. */
  tail: string;
}

export class SlurmPlacement {
  constructor(
    private readonly runner: Runner,
    private readonly dirOf: (ws: Workspace) => string,
  ) {}

  available(): { ok: true } | { ok: false; why: string } {
    for (const tool of ['sbatch', 'squeue', 'srun', 'scancel']) if (!which(tool)) return { ok: false, why: `SLURM is not available here (${tool} not found)` };
    return { ok: true };
  }

  /** The cluster's partitions (none when SLURM is not here). */
  partitions(): Promise<SlurmPartition[]> {
    return listPartitions(this.runner);
  }

  private slurmDir(ws: Workspace): string {
    return join(this.dirOf(ws), 'slurm');
  }

  private outputFile(ws: Workspace, jobId: string): string {
    return join(this.slurmDir(ws), `job-${jobId}.out`);
  }

  /** Writes the allocation script and submits it; returns the job id. */
  async submit(ws: Workspace, driver: Driver): Promise<string> {
    if (ws.placement.kind !== 'slurm') throw new Error('not a SLURM workspace');
    const dir = this.slurmDir(ws);
    mkdirSync(dir, { recursive: true });
    const script = join(dir, 'allocation.sh');
    writeFileSync(script, buildAllocationScript({ workspaceId: ws.id, name: ws.name, plan: driver.allocationPlan?.(ws) ?? {} }));
    chmodSync(script, 0o755);
    const { kind: _kind, ...asked } = ws.placement;
    // The TTL holds without Benchtop: the allocation ends no later than it (rounded up to a minute).
    const { time } = allocationTime(asked.time, ws.ttlSec);
    const req = { ...asked, ...(time !== undefined ? { time } : {}) };
    const r = await this.runner.run(buildSbatchArgv(req, { jobName: `benchtop-${ws.name}`, output: join(dir, 'job-%j.out'), chdir: dir, script }), { timeoutMs: 60000 });
    if (r.exitCode !== 0) throw backendFailed('slurm: sbatch refused the allocation', r);
    const jobId = r.stdout.trim().split(';')[0] ?? '';
    if (!/^\d+$/.test(jobId)) throw new BenchtopError('BACKEND_FAILED', `slurm: sbatch printed no job id (${r.stdout.trim()})`);
    return jobId;
  }

  /** Status of every SLURM workspace's job, from ONE squeue call. */
  async statusAll(workspaces: Workspace[]): Promise<Map<string, AllocationStatus>> {
    const out = new Map<string, AllocationStatus>();
    const withJobs = workspaces.filter((w) => w.slurm?.jobId);
    if (withJobs.length === 0) return out;
    const r = await this.runner.run(buildSqueueArgv(), { timeoutMs: 30000 });
    if (r.exitCode !== 0) throw backendFailed('slurm: squeue failed', r);
    const jobs = parseSqueue(r.stdout);
    for (const ws of withJobs) {
      const jobId = ws.slurm?.jobId as string;
      let text = '';
      try {
        text = readFileSync(this.outputFile(ws, jobId), 'utf8');
      } catch {
        // No output yet (pending).
      }
      out.set(ws.id, { job: jobs.get(jobId) ?? null, ready: text.includes(READY_MARKER), failed: text.includes(FAILED_MARKER), stopped: text.includes(STOPPED_MARKER), tail: text.trim().split('\n').slice(-3).join(' | ') });
    }
    return out;
  }

  /** What the workspace record keeps of its job. Time left only while the job runs: squeue goes on printing it for an ended (cancelled, completing) job. */
  static jobRecord(jobId: string, job: JobStatus | null, gone = false): SlurmJob {
    const timeLeft = job && !ENDED_STATES.has(job.state) ? job.timeLeft : null;
    return { jobId, state: job?.state ?? (gone ? 'GONE' : 'SUBMITTED'), node: job?.node ?? null, timeLeft, reason: job?.reason ?? null };
  }

  static ended(status: AllocationStatus): boolean {
    return status.job === null || ENDED_STATES.has(status.job.state) || status.stopped;
  }

  /**
   * Why an ended allocation ended, in the user's words. The allocation script
   * may say its sandbox stopped (e.g. after scancel) before squeue stops
   * saying RUNNING: that state is not the reason.
   */
  static endReason(jobId: string, status: AllocationStatus): string {
    const job = status.job;
    if (!job) return `SLURM job ${jobId} is gone (cancelled or ended outside Benchtop)`;
    if (!ENDED_STATES.has(job.state)) return `SLURM job ${jobId} is ending: its sandbox stopped`;
    return `SLURM job ${jobId} ended: ${job.state}${job.reason ? ` (${job.reason})` : ''}`;
  }

  prefix(ws: Workspace, pty = false): string[] {
    if (!ws.slurm?.jobId) throw new BenchtopError('CONFLICT', `workspace "${ws.name}" has no SLURM job`);
    return buildSrunPrefix(ws.slurm.jobId, { pty });
  }

  async cancel(ws: Workspace): Promise<void> {
    if (!ws.slurm?.jobId) return;
    const r = await this.runner.run(buildScancelArgv(ws.slurm.jobId), { timeoutMs: 30000 });
    if (r.exitCode !== 0 && !/invalid job id|already completing|completed/i.test(r.stderr)) throw backendFailed('slurm: scancel failed', r);
  }

  /**
   * Cancels the job of a workspace whose record is damaged, only when squeue
   * still shows it as Benchtop's (job name benchtop-NAME): an id read from a
   * damaged record may by now belong to someone else's job.
   */
  async cancelIfOurs(ws: Workspace): Promise<void> {
    const jobId = ws.slurm?.jobId;
    if (!jobId || !this.available().ok) return;
    const r = await this.runner.run(buildSqueueArgv(), { timeoutMs: 30000 });
    if (r.exitCode !== 0) throw backendFailed('slurm: squeue failed', r);
    const job = parseSqueue(r.stdout).get(jobId);
    if (!job || ENDED_STATES.has(job.state) || job.name !== `benchtop-${ws.name}`) return;
    await this.cancel(ws);
  }

  /** Waits until the job is gone from the queue or has ended (a cancelled job passes through COMPLETING). */
  async waitEnded(ws: Workspace, timeoutMs = 60000): Promise<void> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      const s = (await this.statusAll([ws])).get(ws.id);
      if (!s || SlurmPlacement.ended(s)) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
