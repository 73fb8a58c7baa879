/** Facts about this host that drivers and validation depend on, read once. */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface HostInfo {
  cores: number;
  memoryMiB: number;
  rootless: boolean;
  uid: number;
  gid: number;
  /** 'v2' when /sys/fs/cgroup is the unified hierarchy, 'v1' for legacy or hybrid. */
  cgroup: 'v1' | 'v2';
  /** Controllers usable for limits (v1: mounted hierarchies; v2: cgroup.controllers). */
  cgroupControllers: string[];
  /** The soft/hard limits of this process; podman's defaults can exceed the hard ones. */
  nofile: { soft: number; hard: number } | null;
  nproc: { soft: number; hard: number } | null;
}

function readLimit(text: string, label: string): { soft: number; hard: number } | null {
  const line = text.split('\n').find((l) => l.startsWith(label));
  if (!line) return null;
  const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
  const num = (v: string | undefined): number => (v === 'unlimited' || v === undefined ? Infinity : Number(v));
  return { soft: num(soft), hard: num(hard) };
}

export function readHostInfo(): HostInfo {
  const uid = process.getuid?.() ?? 0;
  const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
  let controllers: string[] = [];
  try {
    controllers = unified
      ? readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(/\s+/)
      : ['cpu', 'memory', 'pids'].filter((c) => existsSync(`/sys/fs/cgroup/${c}`));
  } catch {
    controllers = [];
  }
  let limits = '';
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    // Not Linux: no limits known.
  }
  return {
    cores: os.cpus().length,
    memoryMiB: Math.floor(os.totalmem() / 1024 / 1024),
    rootless: uid !== 0,
    uid,
    gid: process.getgid?.() ?? 0,
    cgroup: unified ? 'v2' : 'v1',
    cgroupControllers: controllers,
    nofile: readLimit(limits, 'Max open files'),
    nproc: readLimit(limits, 'Max processes'),
  };
}
