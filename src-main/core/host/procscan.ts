/**
 * Finds host processes by an environment marker (BENCHTOP_WORKSPACE_ID=…),
 * which is how bwrap and host workspaces — which hold no long-lived process
 * of their own — know which live processes are theirs.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function pidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) out.push(pid);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

/** SIGKILLs every process carrying the marker, until none is left (a few rounds, for forks in flight). */
export async function killByEnv(entry: string): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 10; round++) {
    const pids = pidsWithEnv(entry);
    if (pids.length === 0) return killed;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // Already gone.
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}

export const WORKSPACE_MARKER = 'BENCHTOP_WORKSPACE_ID';
