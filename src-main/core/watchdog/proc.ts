/** Telling a live process from a dead one whose pid was reused: its start time from /proc. */
import { readFileSync } from 'node:fs';

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null when it is gone. */
export function processStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  if (!Number.isFinite(start)) return null;
  // A zombie has exited: it only waits for its parent to read its status.
  return fields[0] === 'Z' ? null : start;
}

/** True while the process that had this pid and start time still runs. */
export function isAlive(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}
