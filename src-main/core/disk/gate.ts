/**
 * The disk quota on exec's path, from the LAST measurement only (nothing is
 * walked here): a workspace over its quota gets no new command — the refusal
 * is a journal entry, not-run with the reason — and one at 90% or more gets
 * one warning per crossing.
 */
import { BenchtopError, type ExecInput, type JournalEntry, type Workspace } from '../../../src-preload/contract';
import { diskStanding, nearQuotaMessage, overQuotaMessage } from '../../../src-preload/disk/quota';
import type { NewEntry } from '../journal/journal';
import { execEntry } from '../workspaces/exec';

export interface DiskGateHost {
  now(): number;
  /** Where a command runs when no cwd is given. */
  defaultCwd(ws: Workspace): string;
  appendJournal(ws: Workspace, entry: NewEntry): Promise<JournalEntry>;
  /** Sets the record's `disk.warned` under its lock: true when this call set it (nobody had warned yet). */
  markWarned(ws: Workspace): Promise<boolean>;
}

/** Throws QUOTA_EXCEEDED, after journaling the command as not run, when the last measurement is over the quota. */
export async function refuseOverQuota(host: DiskGateHost, ws: Workspace, input: ExecInput, client: string): Promise<void> {
  if (diskStanding(ws).level !== 'over') return;
  const reason = overQuotaMessage(ws);
  const entry = await host.appendJournal(ws, { ...execEntry(ws, input, host.defaultCwd(ws), client, new Date(host.now()).toISOString()), status: 'not-run', reason });
  throw new BenchtopError('QUOTA_EXCEEDED', reason, { seq: entry.seq, usedBytes: ws.disk?.usedBytes, quotaMiB: ws.limits.diskQuotaMiB });
}

/** The 90% warning, the first time a caller runs a command after the use crossed it (then not again until it drops below). */
export async function nearQuotaWarning(host: DiskGateHost, ws: Workspace): Promise<string | undefined> {
  if (diskStanding(ws).level !== 'near' || ws.disk?.warned) return undefined;
  return (await host.markWarned(ws)) ? nearQuotaMessage(ws) : undefined;
}
