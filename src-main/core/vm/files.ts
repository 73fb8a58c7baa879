/**
 * A VM workspace's files, all in `<workspace folder>/vm/`: what the
 * supervisor was asked to run, the sockets to the guest, and what tells a
 * later process whether the VM lives and, if not, why it ended.
 *
 *   launch.json      VmLaunch: QEMU's argv (no secrets: they travel over the agent stream)
 *   overlay.qcow2    the workspace's copy-on-write layer over the image's root disk
 *   console.log      the guest's serial console
 *   qemu.log         QEMU's own stderr
 *   qemu.pid         written by QEMU (-pidfile)
 *   supervisor.pid   the supervisor (vm/supervisor.ts)
 *   guest.sock       QEMU's virtio-serial socket (one client: the supervisor)
 *   agent.sock       the supervisor's socket: any number of host clients
 *   qmp.sock         QEMU's monitor (ports added to a running VM)
 *   ready.json       the guest agent said hello: kernel, agent, boot time
 *   exit.json        VmExit: why the VM ended
 *   project-copied   the project was copied in (no live share): not again
 *   heartbeat.json   VmHeartbeat: when the guest agent last answered a ping
 */
import { join } from 'node:path';

export interface VmLaunch {
  argv: string[];
  bootTimeoutMs: number;
  /** The workspace's TTL: the supervisor powers the guest off when it runs out, with or without an app running. */
  ttlSec?: number | null;
  /** The VMM's name in what the supervisor reports; QEMU when absent. */
  vmm?: string;
  /** guest.sock is a Firecracker vsock socket: each connection asks for this guest port (`CONNECT PORT`) first. */
  vsockPort?: number;
  /** Where the VMM serves the guest's stream when not guest.sock (a jailed Firecracker's is inside its chroot). */
  guestSocket?: string;
  /** The VMM's stdout is the guest's serial console (Firecracker's is), written to console.log. */
  consoleOnStdout?: boolean;
}

/** What exit.json says when the TTL ended the VM. */
export const TTL_REASON = 'its TTL ran out';

export interface VmExit {
  reason: string;
  code: number | null;
  signal: string | null;
  at: string;
}

/** The supervisor pings the guest's agent every HEARTBEAT_MS; a guest silent for long is shown as not answering. */
export const HEARTBEAT_MS = 5000;

export interface VmHeartbeat {
  /** When the agent last answered (ISO). */
  answeredAt: string;
  /** That ping's round trip. */
  rttMs: number;
}

export interface VmReady {
  kernel: string;
  agent: string;
  bootMs: number;
  qemuPid?: number;
}

export function vmFiles(vmDir: string) {
  const f = (name: string): string => join(vmDir, name);
  return {
    dir: vmDir,
    launch: f('launch.json'),
    overlay: f('overlay.qcow2'),
    console: f('console.log'),
    qemuLog: f('qemu.log'),
    qemuPid: f('qemu.pid'),
    supervisorPid: f('supervisor.pid'),
    guestSocket: f('guest.sock'),
    agentSocket: f('agent.sock'),
    qmpSocket: f('qmp.sock'),
    ready: f('ready.json'),
    exit: f('exit.json'),
    /** There when the project was copied in (a VM without a live share). */
    projectCopied: f('project-copied'),
    heartbeat: f('heartbeat.json'),
  };
}

export type VmFiles = ReturnType<typeof vmFiles>;
