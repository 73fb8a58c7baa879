/**
 * Whether a terminal's shell is running a program in the foreground (vi,
 * python, sleep…), read from the host's /proc, so that closing it can ask first.
 *
 * The login shell every terminal starts (`bash -l`, `sh -l`, or the host's
 * `$SHELL -l`) is found among the PTY's descendants (host, bwrap: bwrap's
 * sandboxed processes are host processes) or, when the PTY runs a client whose
 * shell lives elsewhere (`podman exec`: the shell is conmon's child), by the
 * session's environment marker. Its controlling terminal's foreground process
 * group (`tpgid`, field 8 of /proc/<pid>/stat) is the shell's own group while
 * it waits at the prompt, and the job's group while a program runs.
 *
 * When the shell is not visible from here (gVisor's sandbox, a SLURM node), the
 * answer is "unknown" (`busy: null`), never a guess.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pidsWithEnv } from '../host/procscan';

export interface Foreground {
  /** null: the shell cannot be seen from this host, so nobody knows. */
  busy: boolean | null;
  /** The foreground program's name (argv[0]'s base name), when busy. */
  program?: string;
}

interface Stat {
  pid: number;
  ppid: number;
  pgrp: number;
  tpgid: number;
}

/** /proc/<pid>/stat's fields after the command name (which may itself hold spaces and parentheses). */
function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, pgrp 5, tpgid 8.
    return { pid, ppid: Number(rest[1]), pgrp: Number(rest[2]), tpgid: Number(rest[5]) };
  } catch {
    return null;
  }
}

function readArgv(pid: number): string[] {
  try {
    const parts = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (parts.at(-1) === '') parts.pop();
    return parts;
  } catch {
    return [];
  }
}

/** What a terminal's login shell looks like: `<something ending in sh> -l` (bash, sh, zsh, dash, fish…). */
function isLoginShell(pid: number): boolean {
  const argv = readArgv(pid);
  return argv.length === 2 && argv[1] === '-l' && /sh$/.test(basename(argv[0] as string));
}

function allStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    // No /proc: nothing is visible.
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) stats.set(s.pid, s);
  }
  return stats;
}

/** The pids under (and including) `root`, parents before children. */
function descendants(root: number, stats: Map<number, Stat>): number[] {
  const children = new Map<number, number[]>();
  for (const s of stats.values()) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const out: number[] = [];
  const queue = stats.has(root) ? [root] : [];
  while (queue.length) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The outermost login shell among `pids` (a `bash -l` typed into it is a program it runs). */
function outermostShell(pids: number[], stats: Map<number, Stat>): Stat | null {
  const shells = new Set(pids.filter(isLoginShell));
  for (const pid of shells) {
    let up = stats.get(pid)?.ppid;
    let nested = false;
    for (let hops = 0; up && up > 1 && hops < 64; hops++) {
      if (shells.has(up)) nested = true;
      up = stats.get(up)?.ppid;
    }
    if (!nested) return stats.get(pid) ?? null;
  }
  return null;
}

/** The name of a process group's program: its leader's, or (the leader gone, as in `a | b`) any member's. */
function programOf(pgid: number, stats: Map<number, Stat>): string | undefined {
  // The leader may have started after the sweep of /proc: look it up by its pid first.
  const member = readStat(pgid) ? pgid : [...stats.values()].find((s) => s.pgrp === pgid)?.pid;
  if (member === undefined) return undefined;
  const argv0 = readArgv(member)[0];
  if (argv0) return basename(argv0);
  try {
    return readFileSync(`/proc/${member}/comm`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The foreground state of the terminal whose PTY child is `ptyPid` and whose
 * processes carry `marker` (`BENCHTOP_EXEC=<session id>`) where its environment reaches.
 */
export function shellForeground(ptyPid: number, marker: string): Foreground {
  const stats = allStats();
  const shell = outermostShell(descendants(ptyPid, stats), stats) ?? outermostShell(pidsWithEnv(marker), stats);
  if (!shell || shell.tpgid <= 0) return { busy: null };
  if (shell.tpgid === shell.pgrp) return { busy: false };
  const program = programOf(shell.tpgid, stats);
  return program ? { busy: true, program } : { busy: true };
}
