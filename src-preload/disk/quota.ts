/**
 * Where a workspace stands against its disk quota, from its last measurement:
 * one definition for the exec check, the CLI and the window. Pure, so the
 * thresholds are tested without a sandbox.
 */
import type { Workspace } from '../contract';

/** From this share of the quota on, the workspace is warned about (the CLI says so once per crossing). */
export const DISK_WARN_RATIO = 0.9;

const MIB = 1024 * 1024;

/**
 * `none`: no quota. `unmeasured`: a quota, no measurement yet. `ok`: under 90%.
 * `near`: 90% of the quota up to the quota itself. `over`: more than the quota.
 */
export type DiskLevel = 'none' | 'unmeasured' | 'ok' | 'near' | 'over';

export interface DiskStanding {
  level: DiskLevel;
  usedBytes: number | null;
  quotaBytes: number | null;
  /** Used, in whole percent of the quota (rounded down: 89.9% is not yet 90). */
  percent: number | null;
}

type Measured = Pick<Workspace, 'limits' | 'disk'>;

export function diskStanding(ws: Measured): DiskStanding {
  const usedBytes = ws.disk?.usedBytes ?? null;
  const quotaMiB = ws.limits.diskQuotaMiB;
  if (quotaMiB === undefined) return { level: 'none', usedBytes, quotaBytes: null, percent: null };
  const quotaBytes = quotaMiB * MIB;
  if (usedBytes === null) return { level: 'unmeasured', usedBytes, quotaBytes, percent: null };
  const percent = Math.floor((usedBytes / quotaBytes) * 100);
  const level: DiskLevel = usedBytes > quotaBytes ? 'over' : usedBytes >= quotaBytes * DISK_WARN_RATIO ? 'near' : 'ok';
  return { level, usedBytes, quotaBytes, percent };
}

/** 2141361 → "2.0 MiB", 67108864 → "64 MiB". */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** "12 MiB", "58 MiB of 64 MiB (91%)", "not measured yet". */
export function diskUseText(ws: Measured): string {
  const s = diskStanding(ws);
  if (s.usedBytes === null) return s.quotaBytes === null ? 'not measured yet' : `not measured yet (quota ${humanBytes(s.quotaBytes)})`;
  if (s.quotaBytes === null) return humanBytes(s.usedBytes);
  return `${humanBytes(s.usedBytes)} of ${humanBytes(s.quotaBytes)} (${s.percent}%)`;
}

/** Why a new command is refused: the use, the quota, when it was measured, and the way out. */
export function overQuotaMessage(ws: Measured & Pick<Workspace, 'name'>): string {
  const s = diskStanding(ws);
  const at = ws.disk ? ` (measured ${ws.disk.measuredAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')})` : '';
  return (
    `disk quota exceeded: workspace "${ws.name}" uses ${humanBytes(s.usedBytes ?? 0)}, its quota is ${humanBytes(s.quotaBytes ?? 0)}${at}; ` +
    'new commands are refused until files are deleted (in a terminal) and the use is measured again'
  );
}

/** The 90% warning, one line. */
export function nearQuotaMessage(ws: Measured & Pick<Workspace, 'name'>): string {
  const s = diskStanding(ws);
  return `workspace "${ws.name}" uses ${humanBytes(s.usedBytes ?? 0)} of its ${humanBytes(s.quotaBytes ?? 0)} disk quota (${s.percent}%); above the quota new commands are refused`;
}
