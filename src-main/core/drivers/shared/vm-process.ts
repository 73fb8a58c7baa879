/**
 * Starting, finding and ending a VM's supervisor (core/vm/supervisor.ts),
 * which owns QEMU. Everything a later process needs is in the workspace's
 * vm/ folder (core/vm/files.ts): pids to tell whether it lives, ready.json
 * once the guest agent answered, exit.json saying why it ended.
 */
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BenchtopError } from '../../../../src-preload/contract';
import { packageRoot } from '../../host/package-root';
import { daemonEnv } from '../../watchdog/ensure';
import type { VmExit, VmFiles, VmReady } from '../../vm/files';
import { firstLine } from '../../host/first-line';
import { AgentConnection } from '../../agent/client';

export function supervisorScript(): string {
  return join(packageRoot(), 'dist', 'vm-supervisor.js');
}

/** What a SLURM allocation runs on its node to start the VM (start-on-node.ts). */
export function startOnNodeScript(): string {
  return join(packageRoot(), 'dist', 'vm-start.js');
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function cmdlineHas(pid: number, needle: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
  } catch {
    return false;
  }
}

export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The supervisor's pid when it lives (and is this VM's: a reused pid is not). */
export function livingSupervisor(files: VmFiles): number | null {
  const pid = readPid(files.supervisorPid);
  return pid !== null && cmdlineHas(pid, files.dir) ? pid : null;
}

/** QEMU's pid when it lives, found by the marker in its command line. */
export function livingQemu(files: VmFiles, marker: string): number | null {
  const pid = readPid(files.qemuPid);
  return pid !== null && cmdlineHas(pid, marker) ? pid : null;
}

export type VmState = { kind: 'running'; ready: VmReady } | { kind: 'booting' } | { kind: 'ended'; exit: VmExit | null };

export function vmState(files: VmFiles): VmState {
  if (livingSupervisor(files) !== null) {
    const ready = existsSync(files.agentSocket) ? readJson<VmReady>(files.ready) : null;
    return ready ? { kind: 'running', ready } : { kind: 'booting' };
  }
  return { kind: 'ended', exit: readJson<VmExit>(files.exit) };
}

/** Starts the supervisor (detached: the VM outlives this process) and waits for the guest agent's hello. */
export async function startSupervisor(files: VmFiles, timeoutMs: number, backend = 'qemu'): Promise<VmReady> {
  // Its own descriptor, not execa's `{file}` (a pipe through this process): the supervisor
  // outlives this process, and a write to a pipe nobody reads would end it (EPIPE).
  const logFd = openSync(join(files.dir, 'supervisor.log'), 'a');
  let child;
  let line: string | null;
  try {
    child = execa(process.execPath, [supervisorScript(), files.dir], {
      detached: true,
      stdin: 'ignore',
      stdout: 'pipe',
      // A descriptor is passed to spawn as is (execa's types list only 3-9).
      stderr: logFd as 3,
      env: daemonEnv(),
      extendEnv: false,
      cwd: '/',
      cleanup: false,
      reject: false,
      buffer: false,
    });
    line = await firstLine(child.stdout!, timeoutMs);
  } finally {
    closeSync(logFd);
  }
  child.stdout?.destroy();
  child.unref();
  let said: { ready?: boolean; error?: string } & Partial<VmReady> = {};
  try {
    said = line ? (JSON.parse(line) as typeof said) : {};
  } catch {
    said = { error: `the VM supervisor said: ${line?.slice(0, 200)}` };
  }
  if (said.ready) return { kernel: said.kernel ?? '', agent: said.agent ?? '', bootMs: said.bootMs ?? 0 };
  if (line === null) child.kill('SIGTERM');
  throw new BenchtopError('BACKEND_FAILED', `${backend}: ${said.error ?? `the VM did not start within ${Math.round(timeoutMs / 1000)} s`}`);
}

/** Waits until the supervisor is gone, up to `ms`; true when it is. */
export async function waitGone(files: VmFiles, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (livingSupervisor(files) !== null) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}


/** A clean power-off asked of the guest's agent is given this long before signals. */
const CLEAN_SHUTDOWN_MS = 15_000;

/**
 * Stops a supervised VM: the agent powers the guest off; if the supervisor
 * is still there after CLEAN_SHUTDOWN_MS, SIGTERM (it ends its VMM), then
 * `killVmm` and SIGKILL. `killVmm` also runs when no supervisor lives (a VMM
 * left behind by one that was killed).
 */
export async function stopSupervisedVm(files: VmFiles, killVmm: () => void): Promise<void> {
  if (livingSupervisor(files) === null) {
    killVmm();
    return;
  }
  try {
    const conn = await AgentConnection.connect(files.agentSocket, 5000);
    conn.shutdown();
    conn.close();
  } catch {
    // No agent to ask: the supervisor ends the VMM below.
  }
  if (await waitGone(files, CLEAN_SHUTDOWN_MS)) return;
  const sup = livingSupervisor(files);
  if (sup !== null) process.kill(sup, 'SIGTERM');
  if (await waitGone(files, 3000)) return;
  killVmm();
  const s2 = livingSupervisor(files);
  if (s2 !== null) process.kill(s2, 'SIGKILL');
}
