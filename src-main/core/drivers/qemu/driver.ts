/**
 * The QEMU driver: a workspace is a microVM with its own kernel, booted from
 * a VM image (core/vm/images) over a copy-on-write overlay, the project
 * shared live over 9p, and every process run by the guest agent through the
 * VM's supervisor (core/vm/supervisor.ts). TCG here; KVM where it works.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError, type Workspace } from '../../../../src-preload/contract';
import { packageRoot } from '../../host/package-root';
import { vmFiles, type VmLaunch } from '../../vm/files';
import { listVmImages, resolveVmImage } from '../../vm/store';
import { createOverlay } from '../../vm/overlay';
import { which } from '../which';
import type { Driver, DriverContext, DetectedBackend, ResolvedImage } from '../types';
import { qemuArgv } from './argv';
import { hostTscKhz } from './host-tsc';
import { cachedAccel, probeAccel } from './kvm';
import { BEST_CAPS, qemuCaps, type QemuCaps } from './caps';
import { copyProjectOnce, vmGuestParts } from '../shared/vm-guest';
import { livingQemu, livingSupervisor, startOnNodeScript, startSupervisor, stopSupervisedVm, vmState } from '../shared/vm-process';

const DEFAULT_MEMORY_MIB = 512;
const DEFAULT_CPUS = 1;

function bootTimeoutMs(): number {
  const s = Number(process.env.BENCHTOP_VM_BOOT_TIMEOUT);
  return (s > 0 ? s : 120) * 1000;
}

/** What marks this workspace's QEMU in the process list (its -name). */
export function qemuMarker(ws: Workspace): string {
  return `benchtop-${ws.id}`;
}

export function createQemuDriver(ctx: DriverContext): Driver {
  const home = (): string => {
    if (!ctx.home) throw new BenchtopError('INTERNAL', 'qemu: no data folder to keep VM images in');
    return ctx.home;
  };
  const filesOf = (ws: Workspace) => vmFiles(join(ctx.workspaceDir(ws), 'vm'));
  let probe: Promise<DetectedBackend> | undefined;
  let caps: QemuCaps | undefined;

  /** Writes what the supervisor runs (no secrets: they travel over the agent stream). */
  function writeLaunch(ws: Workspace, qemu: string, accel: 'kvm' | 'tcg', can: QemuCaps = caps ?? BEST_CAPS): VmLaunch {
    const files = filesOf(ws);
    const v = resolveVmImage(home(), ws.image as string);
    const launch: VmLaunch = {
      argv: qemuArgv({
        qemuBinary: qemu,
        kernel: v.kernel,
        initrd: v.initrd,
        rootDisk: files.overlay,
        agentSocket: files.guestSocket,
        consoleLog: files.console,
        pidFile: files.qemuPid,
        qmpSocket: files.qmpSocket,
        memoryMiB: ws.limits.memoryMiB ?? DEFAULT_MEMORY_MIB,
        cpus: ws.limits.cpus ?? DEFAULT_CPUS,
        accel,
        machine: can.machine,
        ...(can.share9p ? { project: { hostDir: ws.project } } : {}),
        network: ws.network,
        ports: [],
        tscKhz: hostTscKhz(),
        marker: qemuMarker(ws),
        hostname: ws.name,
      }),
      bootTimeoutMs: bootTimeoutMs(),
      ttlSec: ws.ttlSec,
    };
    writeFileSync(files.launch, `${JSON.stringify(launch, null, 2)}\n`);
    return launch;
  }

  /** A QEMU still running without its supervisor (killed with SIGKILL): nothing can reach its guest. */
  function killOrphanQemu(ws: Workspace): void {
    const q = livingQemu(filesOf(ws), qemuMarker(ws));
    if (q !== null) process.kill(q, 'SIGKILL');
  }

  return {
    id: 'qemu',
    listKey: 'qemu',
    images: {
      // Every version, so the create form can pin an earlier one (a rollback is creating from it).
      list: async () =>
        listVmImages(home()).map((m) => ({ ref: `${m.name}@${m.version}`, kind: 'image' as const, source: 'store' as const, sizeBytes: m.sizeMiB * 1024 * 1024, createdAt: m.createdAt })),
    },
    descriptor: {
      label: 'QEMU microVM',
      summary: 'a virtual machine with its own Linux kernel: the strongest isolation here',
      isolation: 'vm',
      projectPath: '/workspace',
      image: { use: 'required', kinds: 'a VM image made with `benchtop image build` (NAME, or NAME@VERSION to pin one)', example: 'vm1', rootfs: false },
      supports: { tty: true, stdin: true, userSwitch: true, slurm: true, pull: false, apptainerOptions: false, files: true, ports: true, console: true },
      sizeDefaults: { cpus: DEFAULT_CPUS, memoryMiB: DEFAULT_MEMORY_MIB },
      portsNote: 'connections are carried by the guest agent: no network device is needed, so it works with network none',
      defaultNetwork: 'none',
      needsConsent: false,
      labelsSandboxes: false,
      ttlProcess: true,
      disk: {
        measures: "the workspace's folder, with its VM overlay (what the guest wrote to its root disk)",
        quota: 'measured',
        why: 'the overlay grows as the guest writes; nothing holds it to a quota yet',
      },
    },

    detect() {
      probe ??= (async (): Promise<DetectedBackend> => {
        const qemu = which('qemu-system-x86_64');
        const img = which('qemu-img');
        const base = { id: 'qemu' as const, capabilities: { enforcedLimits: ['cpus' as const, 'memory' as const], network: ['none' as const, 'full' as const], gpu: false, isolation: 'vm' as const } };
        if (!qemu || !img) return { ...base, available: false, version: null, hint: 'QEMU is not installed (Debian/Ubuntu: apt install qemu-system-x86 qemu-utils)' };
        const v = await ctx.runner.run([qemu, '--version'], { timeoutMs: 10000 });
        const version = /version ([\d.]+)/.exec(v.stdout)?.[1] ?? v.stdout.split('\n')[0]?.trim() ?? '';
        caps = await qemuCaps(ctx.runner, qemu);
        const accel = cachedAccel(qemu);
        const how = !accel ? 'KVM is tried at the first start (a guest that hangs under it falls back to TCG)' : accel.accel === 'kvm' ? `KVM (${accel.why})` : `TCG, software emulation: ${accel.why}`;
        return { ...base, available: true, version, hint: [how, ...caps.notes].join('; ') };
      })();
      return probe;
    },

    async resolveImage(image): Promise<ResolvedImage> {
      if (!image) throw new BenchtopError('INVALID_INPUT', 'image: a qemu workspace needs a VM image (build one: benchtop image build NAME --from DIR)', { field: 'image' });
      const v = resolveVmImage(home(), image);
      // Pinned in the record: a later build of the same name never changes this workspace.
      return { image: `${v.name}@${v.version}`, imageKind: 'image' };
    },

    checkLimits(limits) {
      if (limits.cpus !== undefined && !Number.isInteger(limits.cpus)) {
        throw new BenchtopError('INVALID_INPUT', `cpus: a VM has whole vCPUs (got ${limits.cpus})`, { field: 'cpus' });
      }
    },

    async prepare(ws) {
      const files = filesOf(ws);
      mkdirSync(files.dir, { recursive: true });
      const v = resolveVmImage(home(), ws.image as string);
      await createOverlay(ctx.runner, v.rootDisk, files.overlay);
    },

    async start(ws) {
      const files = filesOf(ws);
      const state = vmState(files);
      if (state.kind === 'running') return { adopted: true, runtime: {} };
      if (state.kind === 'booting') throw new BenchtopError('CONFLICT', `workspace "${ws.name}": its VM is booting already`);
      // A QEMU whose supervisor was killed holds the overlay and answers nobody: end it before booting again.
      killOrphanQemu(ws);
      const info = await this.detect();
      if (!info.available) throw new BenchtopError('BACKEND_UNAVAILABLE', `qemu: ${info.hint}`);
      const qemu = which('qemu-system-x86_64') as string;
      const { accel } = await probeAccel(ctx.runner, qemu, resolveVmImage(home(), ws.image as string).kernel, hostTscKhz());
      const launch = writeLaunch(ws, qemu, accel);
      await startSupervisor(files, launch.bootTimeoutMs + 10_000);
      if (!(caps ?? BEST_CAPS).share9p) await copyProjectOnce(ws, files, 'qemu');
      return { adopted: false, runtime: {} };
    },

    /**
     * In a SLURM allocation the script starts the supervisor on the node (from
     * the launch file written here, at submission) and keeps the job while it
     * lives; cancelling the job ends it, and QEMU with it.
     */
    allocationPlan(ws) {
      const qemu = which('qemu-system-x86_64') ?? 'qemu-system-x86_64';
      const files = filesOf(ws);
      writeLaunch(ws, qemu, cachedAccel(qemu)?.accel ?? 'tcg');
      return {
        start: [process.execPath, startOnNodeScript(), files.dir],
        alive: { argv: ['sh', '-c', 'kill -0 "$(cat "$1")"', 'sh', files.supervisorPid] },
        stop: ['sh', '-c', 'kill "$(cat "$1")"', 'sh', files.supervisorPid],
      };
    },

    stop: (ws) => stopSupervisedVm(filesOf(ws), () => killOrphanQemu(ws)),

    async remove(ws) {
      await this.stop(ws);
      rmSync(filesOf(ws).dir, { recursive: true, force: true });
    },

    ...vmGuestParts(ctx.runner, filesOf),

    // Each connection is one run of dist/agent-relay.js, which asks the guest
    // agent (through the supervisor's socket) to connect to the port inside:
    // no NIC and no hostfwd, so network none stays none.
    async portRelay(ws, port) {
      const files = filesOf(ws);
      const state = vmState(files);
      const supervisor = livingSupervisor(files);
      if (state.kind !== 'running' || supervisor === null) {
        const why = state.kind === 'booting' ? 'it is still booting' : state.kind === 'ended' ? state.exit?.reason : undefined;
        throw new BenchtopError('CONFLICT', `ports: workspace "${ws.name}": its VM is not running${why ? ` (${why})` : ''}`, { field: 'ports' });
      }
      const relay = join(packageRoot(), 'dist', 'agent-relay.js');
      if (!existsSync(relay)) throw new BenchtopError('INTERNAL', `ports: ${relay} is not built (npm run build)`);
      // The supervisor lives exactly as long as the VM: the forwarder ends with it.
      return { argv: [process.execPath, relay, files.agentSocket, String(port)], watchPid: supervisor };
    },
  };
}
