/**
 * Finds host processes by an environment marker, which is how bwrap and host
 * workspaces — which hold no long-lived process of their own — know which
 * live processes are theirs.
 *
 * Why an environment variable and not a process group, a session or a
 * cgroup: the environment is inherited through fork, exec, setsid and a
 * double fork alike, so a daemon a command leaves behind still carries it
 * after its parent died; a process group or session is left by any `setsid`
 * (every daemon does it), and a cgroup of our own needs a delegated cgroup
 * tree (systemd-run --user), which the CLI, the browser host and the app do
 * not all have. It is set by the driver on the process it launches, so it is
 * the same whoever starts the command. Its one blind spot is a program that
 * empties its own environment before forking (`env -i`); inside a bwrap
 * sandbox such a process still dies with the sandbox, whose bwrap is marked.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Every process of a bwrap or host workspace carries `BENCHTOP_WORKSPACE_ID=<workspace id>`. */
export const WORKSPACE_MARKER = 'BENCHTOP_WORKSPACE_ID';
/**
 * Set (to 1) on the host-side processes that only carry a sandbox (bwrap
 * itself, the fd-3 launcher): ended with the workspace, but not counted as
 * its processes, so the count is the same whether a command runs in a
 * sandbox or directly on the host.
 */
export const PLUMBING_MARKER = 'BENCHTOP_PLUMBING';

/** A live process that carries a workspace marker. */
export interface MarkedProcess {
  pid: number;
  workspaceId: string;
  plumbing: boolean;
}

const PROC = '/proc';

function numericEntries(procRoot: string): string[] {
  try {
    return readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
}

/** The value of `key` in a NUL-separated environ block, or undefined. */
export function envValue(environ: string, key: string): string | undefined {
  const prefix = `${key}=`;
  for (const entry of environ.split('\0')) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return undefined;
}

/** A zombie has exited and only waits to be reaped: it is no longer a live process. */
export function isZombieStat(stat: string): boolean {
  // The command name (field 2) may hold spaces and parentheses: the state follows the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

/**
 * Every live process carrying a workspace marker, in ONE pass over /proc
 * (one read of each process's environment; /proc/PID/stat only for marked
 * ones). Not this process itself, and no zombies.
 */
export function scanMarkedProcesses(procRoot = PROC): MarkedProcess[] {
  const out: MarkedProcess[] = [];
  for (const name of numericEntries(procRoot)) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`${procRoot}/${name}/environ`, 'latin1');
    } catch {
      continue; // Gone, or not ours to read.
    }
    const workspaceId = envValue(environ, WORKSPACE_MARKER);
    if (!workspaceId) continue;
    try {
      if (isZombieStat(readFileSync(`${procRoot}/${name}/stat`, 'latin1'))) continue;
    } catch {
      continue; // Ended between the two reads.
    }
    out.push({ pid, workspaceId, plumbing: envValue(environ, PLUMBING_MARKER) === '1' });
  }
  return out;
}

/** How many of each workspace's processes are live (plumbing not counted), from one scan. */
export function countByWorkspace(procs: MarkedProcess[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of procs) if (!p.plumbing) counts.set(p.workspaceId, (counts.get(p.workspaceId) ?? 0) + 1);
  return counts;
}

export function pidsWithEnv(entry: string, procRoot = PROC): number[] {
  const out: number[] = [];
  for (const name of numericEntries(procRoot)) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`${procRoot}/${name}/environ`, 'latin1').split('\0').includes(entry)) out.push(pid);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // Already gone.
  }
}

/** SIGKILLs every process carrying the marker, until none is left (a few rounds, for forks in flight). */
export async function killByEnv(entry: string): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 10; round++) {
    const pids = pidsWithEnv(entry);
    if (pids.length === 0) return killed;
    for (const pid of pids) if (signal(pid, 'SIGKILL')) killed++;
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}

export interface EndOptions {
  /** How long the processes get to exit after SIGTERM before SIGKILL. */
  graceMs?: number;
  procRoot?: string;
}

export const DEFAULT_GRACE_MS = 2000;
const POLL_MS = 50;

/**
 * Ends every live process of a workspace: SIGTERM, then SIGKILL to what is
 * left after the grace period (a few rounds, for forks in flight). Returns how
 * many of the workspace's own processes (plumbing not counted) it ended.
 */
export async function endWorkspaceProcesses(workspaceId: string, opts: EndOptions = {}): Promise<number> {
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const mine = () => scanMarkedProcesses(opts.procRoot).filter((p) => p.workspaceId === workspaceId);
  const seen = new Set<number>();
  const termed = new Set<number>();
  const term = (procs: MarkedProcess[]) => {
    for (const p of procs) {
      if (!p.plumbing) seen.add(p.pid);
      // Once each: a program that takes its time to clean up is not hurried by a second TERM.
      if (!termed.has(p.pid)) {
        termed.add(p.pid);
        signal(p.pid, 'SIGTERM');
      }
    }
  };
  let left = mine();
  if (left.length === 0) return 0;
  term(left);
  const deadline = Date.now() + graceMs;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    left = mine();
    // What started after the TERM (a trap forking, a fork in flight) is told to go too.
    term(left);
  }
  for (let round = 0; round < 10 && left.length > 0; round++) {
    for (const p of left) {
      if (!p.plumbing) seen.add(p.pid);
      signal(p.pid, 'SIGKILL');
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    left = mine();
  }
  const survivors = new Set(left.map((p) => p.pid));
  return [...seen].filter((pid) => !survivors.has(pid)).length;
}
