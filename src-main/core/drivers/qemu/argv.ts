/**
 * The QEMU command line of a Benchtop microVM, as a pure function so every
 * flag can be tested line by line. Each shape here was proven on this
 * project's machines (shared/RUNTIMES.md): a PVH-booted vmlinux with a
 * busybox initramfs, `-M microvm` with virtio-mmio devices (`-M pc` with
 * virtio-pci ones), the agent on a virtio-serial port QEMU serves as a Unix
 * socket, the project over 9p, and QEMU's user network, restricted unless
 * the workspace asked for full network.
 */
import { BenchtopError } from '../../../../src-preload/contract';

export interface QemuPort {
  hostPort: number;
  guestPort: number;
}

export interface QemuArgvOptions {
  kernel: string;
  initrd: string;
  /** The workspace's qcow2 overlay (never the image's base disk). */
  rootDisk: string;
  /** The agent's Unix socket; QEMU listens on it. */
  agentSocket: string;
  consoleLog: string;
  pidFile: string;
  qmpSocket: string;
  memoryMiB: number;
  cpus: number;
  accel: 'tcg' | 'kvm';
  machine: 'microvm' | 'pc';
  project?: { hostDir: string };
  network: 'none' | 'full';
  ports: QemuPort[];
  /** The host's TSC rate: microvm has no PIT the kernel can calibrate against reliably. */
  tscKhz: number;
  /** Put in -name so the process can be found again (reconciliation after an app restart). */
  marker: string;
  hostname: string;
  qemuBinary?: string;
}

/** The guest's name for the agent's port; the agent opens /dev/vport* with this name. */
export const AGENT_PORT_NAME = 'benchtop.agent';
/** The 9p mount tag stage 2 mounts at /workspace. */
export const PROJECT_MOUNT_TAG = 'workspace';

const MARKER_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A value inside QEMU's key=value,… options: a comma is written twice. */
const opt = (value: string): string => value.replace(/,/g, ',,');

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new BenchtopError('INVALID_INPUT', `${field}: ${message}`, { field });
}

function validate(o: QemuArgvOptions): void {
  for (const [field, path] of Object.entries({ kernel: o.kernel, initrd: o.initrd, rootDisk: o.rootDisk, agentSocket: o.agentSocket, consoleLog: o.consoleLog, pidFile: o.pidFile, qmpSocket: o.qmpSocket, ...(o.project ? { project: o.project.hostDir } : {}) })) {
    // eslint-disable-next-line no-control-regex
    check(path.startsWith('/') && !/[\u0000-\u001f]/.test(path), field, `must be an absolute path without control characters, got ${JSON.stringify(path)}`);
  }
  check(Number.isSafeInteger(o.memoryMiB) && o.memoryMiB >= 64, 'memoryMiB', `must be a whole number of MiB, at least 64, got ${o.memoryMiB}`);
  check(Number.isSafeInteger(o.cpus) && o.cpus >= 1, 'cpus', `must be a whole number, at least 1, got ${o.cpus}`);
  check(Number.isSafeInteger(o.tscKhz) && o.tscKhz > 0, 'tscKhz', `must be a positive whole number, got ${o.tscKhz}`);
  check(MARKER_RE.test(o.marker), 'marker', `must be 1-64 of A-Z a-z 0-9 _ . -, got ${JSON.stringify(o.marker)}`);
  check(HOSTNAME_RE.test(o.hostname), 'hostname', `must be a host name (letters, digits, -; at most 63), got ${JSON.stringify(o.hostname)}`);
  for (const p of o.ports) {
    for (const [field, n] of [['hostPort', p.hostPort], ['guestPort', p.guestPort]] as const) check(Number.isInteger(n) && n >= 1 && n <= 65535, field, `must be a port (1-65535), got ${n}`);
  }
}

/** The kernel command line: where the console goes, how to die, and what stage 2 reads (benchtop.*). */
export function kernelCmdline(o: Pick<QemuArgvOptions, 'tscKhz' | 'hostname' | 'project' | 'network'>): string {
  return [
    'console=ttyS0',
    // Boot messages cost time on an emulated UART; errors still reach the log.
    'quiet',
    'loglevel=3',
    // A panic reboots at once, and -no-reboot turns the reboot into QEMU exiting.
    'panic=-1',
    // microvm has no PIT to calibrate the TSC against reliably: tell the kernel the rate.
    `tsc_early_khz=${o.tscKhz}`,
    `benchtop.hostname=${o.hostname}`,
    // Without a share, stage 2 makes /workspace for the copy the host sends in.
    o.project ? 'benchtop.project=9p' : 'benchtop.project=copied',
    `benchtop.network=${o.network}`,
  ].join(' ');
}

export function qemuArgv(o: QemuArgvOptions): string[] {
  validate(o);
  const mmio = o.machine === 'microvm';
  // microvm has no PCI bus: its virtio devices are the -device (mmio) variants.
  const dev = (kind: string): string => `virtio-${kind}-${mmio ? 'device' : 'pci'}`;
  const argv = [
    o.qemuBinary ?? 'qemu-system-x86_64',
    '-name', opt(o.marker),
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-no-reboot',
    '-M', o.machine,
    '-accel', o.accel,
    // Under KVM the guest sees the host's CPU; TCG emulates its default model.
    ...(o.accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-m', String(o.memoryMiB),
    '-smp', String(o.cpus),
    '-kernel', o.kernel,
    '-initrd', o.initrd,
    '-append', kernelCmdline(o),
    // The console to a file: never -nographic, which wants a terminal on stdin.
    '-serial', `file:${o.consoleLog}`,
    '-pidfile', o.pidFile,
    // QMP, for what changes while the guest runs (hostfwd_add, quit).
    '-qmp', `unix:${opt(o.qmpSocket)},server=on,wait=off`,
    '-drive', `file=${opt(o.rootDisk)},format=qcow2,if=none,id=root`,
    '-device', `${dev('blk')},drive=root`,
    '-device', dev('serial'),
    // QEMU serves the socket and keeps what the host sends until the guest opens the port.
    '-chardev', `socket,id=agent,path=${opt(o.agentSocket)},server=on,wait=off`,
    '-device', `virtserialport,chardev=agent,id=agentport,name=${AGENT_PORT_NAME}`,
  ];
  if (o.project) {
    // security_model=none: files the guest writes belong to the host user with the guest's modes.
    if (mmio) argv.push('-fsdev', `local,id=project,path=${opt(o.project.hostDir)},security_model=none`, '-device', `virtio-9p-device,fsdev=project,mount_tag=${PROJECT_MOUNT_TAG}`);
    else argv.push('-virtfs', `local,id=project,path=${opt(o.project.hostDir)},mount_tag=${PROJECT_MOUNT_TAG},security_model=none`);
  }
  if (o.network === 'full' || o.ports.length) {
    // restrict=on: no way out, not even to the host's 127.0.0.1; host forwards still reach the guest.
    const forwards = o.ports.map((p) => `,hostfwd=tcp:127.0.0.1:${p.hostPort}-:${p.guestPort}`).join('');
    argv.push('-netdev', `user,id=net0${o.network === 'none' ? ',restrict=on' : ''}${forwards}`, '-device', `${dev('net')},netdev=net0`);
  }
  return argv;
}
