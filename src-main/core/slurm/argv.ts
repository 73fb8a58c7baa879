/**
 * Pure builders for SLURM placement: the allocation script that holds a
 * workspace's sandbox, and the sbatch / squeue / srun / scancel argv.
 */

export const READY_MARKER = 'INSTANCE_READY';
export const FAILED_MARKER = 'INSTANCE_FAILED';
export const STOPPED_MARKER = 'INSTANCE_STOPPED';

/**
 * Quotes one word for a POSIX shell. The allocation script is the one shell
 * text Benchtop writes; every word in it that came from a workspace goes
 * through here (single quotes, with ' as '\'' — nothing inside is special).
 */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shLine(argv: string[]): string {
  return argv.map(shQuote).join(' ');
}

export interface SlurmRequest {
  partition?: string;
  /** HH:MM:SS, MM:SS, or D-HH:MM:SS. */
  time?: string;
  cpus?: number;
  memMiB?: number;
  gres?: string;
}

/** What the allocation holds: how to start the sandbox, tell that it lives, and stop it. */
export interface AllocationPlan {
  start?: string[];
  /** Exits 0 while the sandbox lives; its stdout is compared with `aliveOutput` when given. */
  alive?: { argv: string[]; output?: string };
  stop?: string[];
}

export function buildAllocationScript(opts: { workspaceId: string; name: string; plan: AllocationPlan }): string {
  const { plan } = opts;
  const lines = [
    '#!/bin/sh',
    `# Written by Benchtop for workspace ${opts.name} (${opts.workspaceId}).`,
    `# Starts the sandbox, prints ${READY_MARKER} (or ${FAILED_MARKER}), and keeps the allocation`,
    '# while the sandbox lives. scancel (SIGTERM) stops the sandbox and ends the job.',
    'set -u',
    `cleanup() { ${plan.stop ? `${shLine(plan.stop)} >/dev/null 2>&1 || true;` : ':;'} }`,
    `trap 'cleanup; echo ${STOPPED_MARKER}; exit 0' TERM INT HUP`,
  ];
  if (plan.start) lines.push(`if ! ${shLine(plan.start)}; then echo ${FAILED_MARKER}; exit 1; fi`);
  lines.push(`echo ${READY_MARKER}`);
  // `sleep & wait` keeps the trap responsive: the shell runs it as soon as the signal arrives.
  if (plan.alive) {
    const check = plan.alive.output !== undefined ? `[ "$(${shLine(plan.alive.argv)} 2>/dev/null)" = ${shQuote(plan.alive.output)} ]` : `${shLine(plan.alive.argv)} >/dev/null 2>&1`;
    lines.push(`while ${check}; do sleep 5 & wait $!; done`);
    lines.push('cleanup', `echo ${STOPPED_MARKER}`);
  } else {
    lines.push('while :; do sleep 60 & wait $!; done');
  }
  return `${lines.join('\n')}\n`;
}

export function buildSbatchArgv(req: SlurmRequest, opts: { jobName: string; output: string; chdir: string; script: string }): string[] {
  const a = ['sbatch', '--parsable', `--job-name=${opts.jobName}`, `--output=${opts.output}`, `--chdir=${opts.chdir}`];
  if (req.partition) a.push(`--partition=${req.partition}`);
  if (req.time) a.push(`--time=${req.time}`);
  if (req.cpus !== undefined) a.push(`--cpus-per-task=${req.cpus}`);
  if (req.memMiB !== undefined) a.push(`--mem=${req.memMiB}M`);
  if (req.gres) a.push(`--gres=${req.gres}`);
  // The job's environment is stored by slurmctld: give it nothing of ours (no secrets) but the basics.
  a.push('--export=NONE');
  a.push(opts.script);
  return a;
}

/** Every job of this user, finished ones too (until MinJobAge), in one call. */
export const SQUEUE_FORMAT = '%i|%j|%T|%N|%L|%r';
export function buildSqueueArgv(): string[] {
  return ['squeue', '--noheader', '--me', '--states=all', `--format=${SQUEUE_FORMAT}`];
}

export interface JobStatus {
  jobId: string;
  name: string;
  state: string;
  node: string | null;
  timeLeft: string | null;
  reason: string | null;
}

export function parseSqueue(text: string): Map<string, JobStatus> {
  const out = new Map<string, JobStatus>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split('|');
    if (parts.length < 6 || !parts[0]) continue;
    const [jobId, name, state, node, timeLeft, reason] = parts as [string, string, string, string, string, string];
    const none = (v: string) => (v === '' || v === '(null)' || v === 'None' || v === 'N/A' ? null : v);
    out.set(jobId, { jobId, name, state, node: none(node), timeLeft: none(timeLeft), reason: none(reason) });
  }
  return out;
}

/**
 * A command inside the running allocation. srun must start with default
 * SIGCHLD, SIGWINCH and SIGPIPE handling (Node ignores SIGPIPE, and ignored
 * signals survive exec), so `env --default-signal` resets them first.
 */
export function buildSrunPrefix(jobId: string, opts: { pty?: boolean } = {}): string[] {
  // Pipes --unbuffered: srun otherwise holds output until a newline (a progress bar, a binary stream, a prompt).
  return ['env', '--default-signal=SIGCHLD,SIGWINCH,SIGPIPE', 'srun', `--jobid=${jobId}`, '--overlap', ...(opts.pty ? ['--pty'] : ['--unbuffered']), '--quiet'];
}

export function buildScancelArgv(jobId: string): string[] {
  return ['scancel', jobId];
}

export const SLURM_TIME_RE = /^(\d+-)?\d{1,2}(:\d{2}){0,2}$/;

/**
 * A SLURM time limit in seconds: M, M:S, H:M:S, D-H, D-H:M or D-H:M:S (as
 * sbatch reads them); null when it is not one.
 */
export function slurmTimeSeconds(time: string): number | null {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time);
  if (!m) return null;
  const [, d, a, b, c] = m;
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  if (d !== undefined) return ((n(d) * 24 + n(a)) * 60 + n(b)) * 60 + n(c);
  if (c !== undefined) return (n(a) * 60 + n(b)) * 60 + n(c);
  if (b !== undefined) return n(a) * 60 + n(b);
  return n(a) * 60;
}

/** Whole minutes as a SLURM time, D-HH:MM:SS past a day, else HH:MM:SS. */
export function formatSlurmMinutes(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
  return d > 0 ? `${d}-${hms}` : hms;
}

/**
 * The allocation's --time for a workspace with a TTL: the TTL rounded up to
 * whole minutes (SLURM's own granularity), or the user's --time when that is
 * shorter. `byTtl` says the TTL is what ends the job (its TIMEOUT is then the
 * TTL running out). Without a TTL the user's time is kept as given.
 */
export function allocationTime(time: string | undefined, ttlSec: number | null | undefined): { time: string | undefined; byTtl: boolean } {
  if (!ttlSec) return { time, byTtl: false };
  const ttlMinutes = Math.max(1, Math.ceil(ttlSec / 60));
  const asked = time === undefined ? null : slurmTimeSeconds(time);
  if (asked !== null && asked > 0 && asked <= ttlMinutes * 60) return { time, byTtl: false };
  return { time: formatSlurmMinutes(ttlMinutes), byTtl: true };
}

/** Job states after which the allocation is gone (COMPLETING: it is being torn down). */
export const ENDED_STATES = new Set(['COMPLETING', 'CANCELLED', 'COMPLETED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'REVOKED', 'SPECIAL_EXIT']);
