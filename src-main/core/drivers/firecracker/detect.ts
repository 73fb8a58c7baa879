/**
 * Whether Firecracker can run workspaces on this host, and if not, one hint
 * naming everything missing and how to fix it. The facts are gathered by
 * `hostFacts` (PATH, /dev/kvm opened read-write, /dev/vhost-vsock, whether
 * this host is itself a VM) and judged by the pure `verdict`, so each case
 * is tested without the host having it.
 */
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { which } from '../which';

export interface FirecrackerHostFacts {
  firecracker: string | null;
  jailer: string | null;
  /** usable: opened read-write; otherwise why not (errno code). */
  kvm: 'usable' | 'absent' | 'EACCES' | string;
  vhostVsock: boolean;
  /** The CPU says it runs under a hypervisor: KVM here is nested. */
  nested: boolean;
  /** The jailer needs root (chroot, mknod, cgroups); Benchtop uses it only then. */
  root: boolean;
}

export interface FirecrackerVerdict {
  available: boolean;
  hint: string;
  /** The jailer will be used for this host's VMs. */
  useJailer: boolean;
}

/** The vsock device: not needed (Firecracker's vsock is its own, over Unix sockets), but its docs list it, so we say. */
const VHOST_NOTE = 'no /dev/vhost-vsock (Firecracker does not need it: its vsock runs over Unix sockets)';
const NESTED_NOTE = 'this host is itself a VM: nested KVM may hang guests after their kernel starts (seen on Benchtop\'s own test machines)';

export function verdict(f: FirecrackerHostFacts): FirecrackerVerdict {
  const missing: string[] = [];
  if (!f.firecracker) missing.push('firecracker is not on PATH (download a release from https://github.com/firecracker-microvm/firecracker/releases and put firecracker, and optionally jailer, in /usr/local/bin)');
  if (f.kvm === 'absent') missing.push('/dev/kvm does not exist (enable virtualization in the BIOS and load kvm_intel or kvm_amd; on a cloud VM, choose one with nested virtualization)');
  else if (f.kvm === 'EACCES' || f.kvm === 'EPERM') missing.push('/dev/kvm cannot be opened read-write by this user (add yourself to the kvm group: sudo usermod -aG kvm $USER, then log in again)');
  else if (f.kvm !== 'usable') missing.push(`/dev/kvm cannot be opened read-write (${f.kvm})`);
  const notes: string[] = [];
  if (f.nested && f.kvm === 'usable') notes.push(NESTED_NOTE);
  if (!f.vhostVsock) notes.push(VHOST_NOTE);
  const useJailer = f.jailer !== null && f.root;
  if (f.firecracker) notes.push(f.jailer ? (useJailer ? 'VMs run under the jailer' : 'jailer found but not used: it needs root') : 'no jailer: Firecracker runs unjailed, as you');
  notes.push('full network needs a tap device made by root (CAP_NET_ADMIN): set BENCHTOP_FIRECRACKER_TAP to its name');
  // Unavailable: only what is missing, so the line stays one a user can act on.
  if (missing.length) return { available: false, hint: `Firecracker cannot run here: ${missing.join('; ')}`, useJailer: false };
  return { available: true, hint: notes.join('; '), useJailer };
}

/** Opens /dev/kvm read-write, as Firecracker will: existing is not enough. */
function kvmState(): FirecrackerHostFacts['kvm'] {
  if (!existsSync('/dev/kvm')) return 'absent';
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return 'usable';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

function nested(): boolean {
  try {
    return /^flags\s*:.*\bhypervisor\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export function hostFacts(): FirecrackerHostFacts {
  return {
    firecracker: which('firecracker'),
    jailer: which('jailer'),
    kvm: kvmState(),
    vhostVsock: existsSync('/dev/vhost-vsock'),
    nested: nested(),
    root: process.getuid?.() === 0,
  };
}
