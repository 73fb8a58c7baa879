/**
 * What Firecracker is told about a Benchtop microVM, as pure functions so
 * every body can be validated against Firecracker's own OpenAPI file
 * (test/fixtures/firecracker/firecracker.yaml): the machine, the boot source,
 * the root drive, the vsock the guest agent listens on, and a tap for full
 * network. The same bodies make the `--config-file` JSON (what the driver
 * uses: one process, no API round trips) and the API request sequence
 * (PUT each resource, then InstanceStart) for hosts that drive the socket.
 */
import { BenchtopError } from '../../../../src-preload/contract';

/** The vsock port the guest agent listens on (stage 2: benchtop.agent=vsock:PORT). */
export const AGENT_VSOCK_PORT = 1024;
/** The guest's vsock CID: 3 is the first a guest may have (0-2 are reserved); each VM has its own device, so all may use it. */
export const GUEST_CID = 3;
export const ROOT_DRIVE_ID = 'root';

export interface FirecrackerVmOptions {
  kernel: string;
  initrd: string;
  /** The workspace's own writable raw ext4 copy of the image's root disk (never the image's). */
  rootDisk: string;
  /** Where Firecracker listens for host-initiated vsock connections (and the API's sibling). */
  vsockUds: string;
  memoryMiB: number;
  cpus: number;
  hostname: string;
  network: 'none' | 'full';
  /** The tap device for full network (made by someone with CAP_NET_ADMIN beforehand). */
  tapDevice?: string;
}

export interface MachineConfiguration {
  vcpu_count: number;
  mem_size_mib: number;
  smt: boolean;
}
export interface BootSource {
  kernel_image_path: string;
  boot_args: string;
  initrd_path: string;
}
export interface Drive {
  drive_id: string;
  path_on_host: string;
  is_root_device: boolean;
  is_read_only: boolean;
}
export interface Vsock {
  guest_cid: number;
  uds_path: string;
}
export interface NetworkInterface {
  iface_id: string;
  host_dev_name: string;
}

/** The `--config-file` JSON: FullVmConfiguration in firecracker.yaml. */
export interface FirecrackerConfig {
  'boot-source': BootSource;
  drives: Drive[];
  'machine-config': MachineConfiguration;
  vsock: Vsock;
  'network-interfaces': NetworkInterface[];
}

/** One API call: the path under http://localhost, and its JSON body. */
export interface ApiRequest {
  method: 'PUT';
  path: string;
  body: object;
}

const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** A Linux interface name: at most 15 bytes, no '/', no blanks. */
const TAP_RE = /^[A-Za-z0-9_.-]{1,15}$/;

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new BenchtopError('INVALID_INPUT', `${field}: ${message}`, { field });
}

function validate(o: FirecrackerVmOptions): void {
  for (const [field, path] of Object.entries({ kernel: o.kernel, initrd: o.initrd, rootDisk: o.rootDisk, vsockUds: o.vsockUds })) {
    // eslint-disable-next-line no-control-regex
    check(path.startsWith('/') && !/[\u0000-\u001f]/.test(path), field, `must be an absolute path without control characters, got ${JSON.stringify(path)}`);
  }
  check(Number.isSafeInteger(o.memoryMiB) && o.memoryMiB >= 64, 'memoryMiB', `must be a whole number of MiB, at least 64, got ${o.memoryMiB}`);
  // Firecracker: 1 to 32 vCPUs, and with SMT off any count; we keep SMT off.
  check(Number.isSafeInteger(o.cpus) && o.cpus >= 1 && o.cpus <= 32, 'cpus', `Firecracker takes 1 to 32 whole vCPUs, got ${o.cpus}`);
  check(HOSTNAME_RE.test(o.hostname), 'hostname', `must be a host name (letters, digits, -; at most 63), got ${JSON.stringify(o.hostname)}`);
  if (o.network === 'full') {
    check(o.tapDevice !== undefined && TAP_RE.test(o.tapDevice), 'tapDevice', `full network needs a tap device name (1-15 of A-Z a-z 0-9 _ . -), got ${JSON.stringify(o.tapDevice)}`);
  }
}

/**
 * The kernel command line. `reboot=k`: the agent's power-off ends in a
 * reboot through the i8042 reset line, which is how an x86 guest makes
 * Firecracker exit (its FAQ: there is no ACPI power management); `panic=-1`
 * turns a panic into that reboot at once. `pci=off`: Firecracker's devices
 * are virtio-mmio, which it adds to this line itself.
 */
export function bootArgs(o: Pick<FirecrackerVmOptions, 'hostname' | 'network'>): string {
  return [
    'console=ttyS0',
    'quiet',
    'loglevel=3',
    'reboot=k',
    'panic=-1',
    'pci=off',
    `benchtop.hostname=${o.hostname}`,
    // No 9p in Firecracker: the project is copied in through the agent.
    'benchtop.project=copied',
    `benchtop.network=${o.network}`,
    `benchtop.agent=vsock:${AGENT_VSOCK_PORT}`,
  ].join(' ');
}

export function machineConfig(o: FirecrackerVmOptions): MachineConfiguration {
  return { vcpu_count: o.cpus, mem_size_mib: o.memoryMiB, smt: false };
}

export function bootSource(o: FirecrackerVmOptions): BootSource {
  return { kernel_image_path: o.kernel, boot_args: bootArgs(o), initrd_path: o.initrd };
}

/** The root disk: writable (the workspace's own copy), seen as /dev/vda, which stage 1 mounts. */
export function rootDrive(o: FirecrackerVmOptions): Drive {
  return { drive_id: ROOT_DRIVE_ID, path_on_host: o.rootDisk, is_root_device: true, is_read_only: false };
}

export function vsockDevice(o: FirecrackerVmOptions): Vsock {
  return { guest_cid: GUEST_CID, uds_path: o.vsockUds };
}

/** Full network only: a tap on the host (Firecracker has no user-mode network like QEMU's). */
export function networkInterfaces(o: FirecrackerVmOptions): NetworkInterface[] {
  return o.network === 'full' ? [{ iface_id: 'eth0', host_dev_name: o.tapDevice as string }] : [];
}

/** The whole `--config-file`: Firecracker configures and starts the VM from it. */
export function firecrackerConfig(o: FirecrackerVmOptions): FirecrackerConfig {
  validate(o);
  return {
    'boot-source': bootSource(o),
    drives: [rootDrive(o)],
    'machine-config': machineConfig(o),
    vsock: vsockDevice(o),
    'network-interfaces': networkInterfaces(o),
  };
}

/** The same VM through the API socket: each resource, then InstanceStart. */
export function apiRequests(o: FirecrackerVmOptions): ApiRequest[] {
  validate(o);
  const drive = rootDrive(o);
  return [
    { method: 'PUT', path: '/machine-config', body: machineConfig(o) },
    { method: 'PUT', path: '/boot-source', body: bootSource(o) },
    { method: 'PUT', path: `/drives/${encodeURIComponent(drive.drive_id)}`, body: drive },
    { method: 'PUT', path: '/vsock', body: vsockDevice(o) },
    ...networkInterfaces(o).map((n): ApiRequest => ({ method: 'PUT', path: `/network-interfaces/${encodeURIComponent(n.iface_id)}`, body: n })),
    { method: 'PUT', path: '/actions', body: { action_type: 'InstanceStart' } },
  ];
}
