/**
 * Commands running right now, one small file each in `<home>/running/`, so
 * that when the process that owns one dies — SIGKILL, a crash, a closed
 * laptop lid — the watchdog (or the next Benchtop process that looks) ends
 * the command's whole tree inside its sandbox and completes its journal entry
 * as interrupted. The file is written before the command starts and removed
 * when it has ended and been journaled. It is not fsynced: after a power cut
 * no command is left running to end.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../journal/journal';
import type { Runner } from '../runner/runner';
import { replaceFile } from '../store/atomic';
import { paths } from '../store/layout';
import { runKill, type KillSpec } from './kill';
import { isAlive, processStartTime } from './proc';

export interface RunningExec {
  execId: string;
  workspaceId: string;
  /** Journal seq of the entry written when the command started. */
  seq: number;
  startedAt: string;
  ownerPid: number;
  ownerStart: number;
  /** The host process that carries the command (podman exec, bwrap…), when known. */
  clientPid?: number;
  clientStart?: number;
  kill: KillSpec;
  /** Kills tried so far by a reaper (it retries while the sandbox cannot be reached). */
  attempts?: number;
}

const MAX_KILL_ATTEMPTS = 30;

const CLAIM = '.reaping-';

export const runningDir = (home: string): string => join(home, 'running');
const fileOf = (home: string, execId: string) => join(runningDir(home), `${execId}.json`);

/** Records a command this process is about to start. */
export function registerRunning(home: string, rec: Omit<RunningExec, 'ownerPid' | 'ownerStart'>): RunningExec {
  const full: RunningExec = { ...rec, ownerPid: process.pid, ownerStart: processStartTime(process.pid) ?? 0 };
  mkdirSync(runningDir(home), { recursive: true });
  replaceFile(fileOf(home, rec.execId), JSON.stringify(full));
  return full;
}

/** Adds the host process carrying the command, once it has started. */
export function setClient(home: string, rec: RunningExec, pid: number | undefined): void {
  if (pid === undefined) return;
  const start = processStartTime(pid);
  if (start === null) return;
  rec.clientPid = pid;
  rec.clientStart = start;
  replaceFile(fileOf(home, rec.execId), JSON.stringify(rec));
}

export function unregisterRunning(home: string, execId: string): void {
  rmSync(fileOf(home, execId), { force: true });
}

export function hasRunning(home: string): boolean {
  try {
    return readdirSync(runningDir(home)).some((f) => f.endsWith('.json') || f.includes(CLAIM));
  } catch {
    return false;
  }
}

/**
 * Ends every command whose owner died and completes its journal entry as
 * interrupted. Safe to run from several processes at once: a record is
 * claimed by renaming it, which only one of them can do.
 */
export async function reapOrphans(home: string, runner: Runner, now: () => number = Date.now): Promise<number> {
  let names: string[];
  try {
    names = readdirSync(runningDir(home));
  } catch {
    return 0;
  }
  let reaped = 0;
  for (const name of names) {
    const file = join(runningDir(home), name);
    const claimedBy = name.includes(CLAIM) ? Number(name.slice(name.indexOf(CLAIM) + CLAIM.length).split('-')[0]) : null;
    if (claimedBy === null && !name.endsWith('.json')) continue;
    // A claim whose reaper died is taken over; a live reaper's claim is left alone.
    if (claimedBy !== null && Number.isInteger(claimedBy) && processStartTime(claimedBy) !== null) continue;
    let rec: RunningExec;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as RunningExec;
    } catch {
      continue; // Being written or removed right now.
    }
    if (claimedBy === null && isAlive(rec.ownerPid, rec.ownerStart)) continue;
    const claim = join(runningDir(home), `${rec.execId}${CLAIM}${process.pid}-${Date.now()}`);
    try {
      renameSync(file, claim);
    } catch {
      continue; // Another process claimed it first.
    }
    const killError = await runKill(runner, rec.kill).catch((err: unknown) => String(err));
    if (killError !== undefined && (rec.attempts ?? 0) < MAX_KILL_ATTEMPTS) {
      // The sandbox could not be reached this time (busy, at its pids limit): try again next round.
      replaceFile(file, JSON.stringify({ ...rec, attempts: (rec.attempts ?? 0) + 1 }));
      rmSync(claim, { force: true });
      continue;
    }
    if (rec.clientPid !== undefined && rec.clientStart !== undefined && isAlive(rec.clientPid, rec.clientStart)) {
      try {
        process.kill(rec.clientPid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await completeInterrupted(home, rec, now).catch(() => undefined);
    rmSync(claim, { force: true });
    reaped++;
  }
  return reaped;
}

async function completeInterrupted(home: string, rec: RunningExec, now: () => number): Promise<void> {
  const dir = paths.workspaceDir(home, rec.workspaceId);
  if (!existsSync(paths.record(dir))) return; // Removed: nothing to complete, and nothing to recreate.
  const journal = new Journal(dir);
  const entry = journal.list(rec.seq - 1, 1)[0];
  if (!entry || entry.seq !== rec.seq || entry.status !== 'running') return;
  const size = (s: 'stdout' | 'stderr') => {
    try {
      return journal.readOutput(rec.seq, s, 0, 1).totalBytes;
    } catch {
      return 0;
    }
  };
  const out = size('stdout');
  const err = size('stderr');
  await journal.complete(rec.seq, {
    status: 'interrupted',
    reason: `the process that ran it (pid ${rec.ownerPid}) ended before the command did; the command was killed`,
    durationMs: Math.max(0, now() - Date.parse(rec.startedAt)),
    // What was produced after the owner died was never read: only the stored part is known.
    ...(entry.stdout ? { stdout: { bytes: out, storedBytes: out, truncated: false } } : {}),
    ...(entry.stderr ? { stderr: { bytes: err, storedBytes: err, truncated: false } } : {}),
  });
}
