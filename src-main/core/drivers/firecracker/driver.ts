/**
 * The Firecracker driver: a workspace is a KVM microVM booted by Firecracker
 * from a VM image (core/vm/store.ts), on its own writable raw copy of the
 * image's root disk (Firecracker takes no qcow2), every process run by the
 * same guest agent as under QEMU, reached over vsock through the same VM
 * supervisor (core/vm/supervisor.ts: `vsockPort` in its launch.json). No
 * 9p: the project is copied in through the agent at the first start.
 * Real only where Firecracker and a usable /dev/kvm exist; elsewhere
 * detect() says what is missing (tests validate what it would send against
 * Firecracker's own OpenAPI file).
 */
import { chownSync, copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError, type Workspace } from '../../../../src-preload/contract';
import { vmFiles, type VmLaunch } from '../../vm/files';
import { listVmImages, resolveVmImage } from '../../vm/store';
import { backendFailed } from '../errors';
import type { Driver, DriverContext, DetectedBackend, ResolvedImage } from '../types';
import { livingSupervisor, readJson, startSupervisor, stopSupervisedVm, vmState } from '../shared/vm-process';
import { firecrackerArgv, jailerArgv, jailLayout, vmIdFor } from './argv';
import { AGENT_VSOCK_PORT, firecrackerConfig, type FirecrackerVmOptions } from './config';
import { hostFacts, verdict } from './detect';
import { copyProjectOnce, vmGuestParts } from '../shared/vm-guest';

const DEFAULT_MEMORY_MIB = 512;
/** The jailer's chroots (its own default). */
const JAILER_BASE = '/srv/jailer';

function bootTimeoutMs(): number {
  const s = Number(process.env.BENCHTOP_VM_BOOT_TIMEOUT);
  return (s > 0 ? s : 60) * 1000;
}

/** The workspace's files beyond the shared vm/ ones (core/vm/files.ts). */
export function firecrackerFiles(vmDir: string) {
  return {
    ...vmFiles(vmDir),
    /** The workspace's writable copy of the image's root disk (raw ext4). */
    rootDisk: join(vmDir, 'root.ext4'),
    config: join(vmDir, 'firecracker.json'),
    apiSocket: join(vmDir, 'firecracker.sock'),
    /** Written once the project was copied in (so a later start does not overwrite the guest's copy). */
    projectCopied: join(vmDir, 'project-copied'),
  };
}

/** The argv copying the image's root disk: a reflink where the filesystem can (instant), else a sparse copy. */
export function rootDiskCopyArgv(base: string, dest: string): string[] {
  return ['cp', '--reflink=auto', '--sparse=always', '--', base, dest];
}

/** Into the jail: a hard link, or a copy when the jail is on another filesystem. */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(from, to);
  }
}

export function createFirecrackerDriver(ctx: DriverContext): Driver {
  const home = (): string => {
    if (!ctx.home) throw new BenchtopError('INTERNAL', 'firecracker: no data folder to keep VM images in');
    return ctx.home;
  };
  const filesOf = (ws: Workspace) => firecrackerFiles(join(ctx.workspaceDir(ws), 'vm'));
  let probe: Promise<DetectedBackend> | undefined;

  /** The launch for this host: Firecracker directly, or (as root, with the jailer installed) inside its jail. */
  function launchFor(ws: Workspace, useJailer: boolean): VmLaunch {
    const files = filesOf(ws);
    const image = resolveVmImage(home(), ws.image as string);
    const firecracker = hostFacts().firecracker as string;
    const vmId = vmIdFor(ws.id);
    const tap = process.env.BENCHTOP_FIRECRACKER_TAP;
    const vm: FirecrackerVmOptions = {
      kernel: image.kernel,
      initrd: image.initrd,
      rootDisk: files.rootDisk,
      vsockUds: files.guestSocket,
      memoryMiB: ws.limits.memoryMiB ?? DEFAULT_MEMORY_MIB,
      cpus: ws.limits.cpus ?? 1,
      hostname: ws.name,
      network: ws.network,
      ...(tap ? { tapDevice: tap } : {}),
    };
    // The supervisor holds the TTL (powers the guest off when it runs out), as for QEMU.
    const common = { bootTimeoutMs: bootTimeoutMs(), ttlSec: ws.ttlSec, vmm: 'Firecracker', vsockPort: AGENT_VSOCK_PORT, consoleOnStdout: true };
    if (!useJailer) {
      rmSync(files.apiSocket, { force: true });
      writeFileSync(files.config, `${JSON.stringify(firecrackerConfig(vm), null, 2)}\n`);
      return { ...common, argv: firecrackerArgv({ firecrackerBinary: firecracker, vmId, apiSocket: files.apiSocket, configFile: files.config }) };
    }
    // The jail: a fresh chroot holding what Firecracker opens, owned by the uid it drops to (the workspace folder's owner).
    const jail = jailLayout(JAILER_BASE, firecracker, vmId);
    rmSync(join(jail.root, '..'), { recursive: true, force: true });
    mkdirSync(jail.root, { recursive: true });
    const uid = Number(process.env.SUDO_UID ?? 0);
    const gid = Number(process.env.SUDO_GID ?? 0);
    linkOrCopy(image.kernel, jail.onHost.kernel);
    linkOrCopy(image.initrd, jail.onHost.initrd);
    // The root disk must be the workspace's own file (a copy would lose the guest's writes when the jail is cleared).
    try {
      linkSync(files.rootDisk, jail.onHost.rootDisk);
    } catch (e) {
      throw new BenchtopError('BACKEND_FAILED', `firecracker: cannot link the root disk into the jail ${jail.root} (${(e as NodeJS.ErrnoException).code}): the data folder and ${JAILER_BASE} must be on one filesystem`);
    }
    chownSync(jail.onHost.rootDisk, uid, gid);
    writeFileSync(jail.onHost.configFile, `${JSON.stringify(firecrackerConfig({ ...vm, ...jail.inside }), null, 2)}\n`);
    return {
      ...common,
      guestSocket: jail.onHost.vsockUds,
      argv: jailerArgv({ firecrackerBinary: firecracker, vmId, apiSocket: jail.inside.apiSocket, configFile: jail.inside.configFile }, { jailerBinary: hostFacts().jailer as string, uid, gid, chrootBaseDir: JAILER_BASE }),
    };
  }

  /** Firecracker is the supervisor's child (the jailer execs it in place): its pid is in ready.json. */
  function stopVm(ws: Workspace): Promise<void> {
    const files = filesOf(ws);
    return stopSupervisedVm(files, () => {
      const vmmPid = readJson<{ qemuPid?: number }>(files.ready)?.qemuPid;
      if (vmmPid && livingSupervisor(files) !== null) process.kill(vmmPid, 'SIGKILL');
    });
  }

  return {
    id: 'firecracker',
    listKey: 'firecracker',
    images: {
      list: async () =>
        listVmImages(home()).map((m) => ({ ref: `${m.name}@${m.version}`, kind: 'image' as const, source: 'store' as const, sizeBytes: m.sizeMiB * 1024 * 1024, createdAt: m.createdAt })),
    },
    descriptor: {
      label: 'Firecracker microVM',
      summary: 'a KVM virtual machine with its own Linux kernel under Firecracker; the project is copied in at the first start (copy results back with `benchtop cp`)',
      isolation: 'vm',
      projectPath: '/workspace',
      image: { use: 'required', kinds: 'a VM image made with `benchtop image build` (NAME, or NAME@VERSION to pin one)', example: 'vm1', rootfs: false },
      supports: { tty: true, stdin: true, userSwitch: true, slurm: false, pull: false, apptainerOptions: false, files: true, ports: false, console: true },
      portsNote: 'not yet: Firecracker has no user-mode network to forward from; ports would go over vsock',
      defaultNetwork: 'none',
      needsConsent: false,
      labelsSandboxes: false,
      ttlProcess: true,
      disk: {
        measures: "the workspace's folder, with its own copy of the VM's root disk (sparse, or a reflink where the filesystem can)",
        quota: 'measured',
        why: 'the root disk copy is a plain file the guest writes into; nothing holds it to a quota yet',
      },
    },

    detect() {
      probe ??= (async (): Promise<DetectedBackend> => {
        const facts = hostFacts();
        const v = verdict(facts);
        const base = { id: 'firecracker' as const, capabilities: { enforcedLimits: ['cpus' as const, 'memory' as const], network: ['none' as const, 'full' as const], gpu: false, isolation: 'vm' as const } };
        if (!v.available || !facts.firecracker) return { ...base, available: false, version: null, hint: v.hint };
        const r = await ctx.runner.run([facts.firecracker, '--version'], { timeoutMs: 10000 });
        const version = /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? r.stdout.split('\n')[0]?.trim() ?? '';
        return { ...base, available: true, version, hint: v.hint };
      })();
      return probe;
    },

    async resolveImage(image): Promise<ResolvedImage> {
      if (!image) throw new BenchtopError('INVALID_INPUT', 'image: a firecracker workspace needs a VM image (build one: benchtop image build NAME --from DIR)', { field: 'image' });
      const v = resolveVmImage(home(), image);
      return { image: `${v.name}@${v.version}`, imageKind: 'image' };
    },

    checkLimits(limits) {
      if (limits.cpus !== undefined && (!Number.isInteger(limits.cpus) || limits.cpus > 32)) {
        throw new BenchtopError('INVALID_INPUT', `cpus: a Firecracker VM has 1 to 32 whole vCPUs (got ${limits.cpus})`, { field: 'cpus' });
      }
    },

    async prepare(ws) {
      const files = filesOf(ws);
      mkdirSync(files.dir, { recursive: true });
      const v = resolveVmImage(home(), ws.image as string);
      if (existsSync(files.rootDisk)) throw new BenchtopError('CONFLICT', `root disk ${files.rootDisk} exists already`);
      // Copied beside, then renamed: a half-copied disk never takes the name.
      const tmp = `${files.rootDisk}.tmp`;
      rmSync(tmp, { force: true });
      const r = await ctx.runner.run(rootDiskCopyArgv(v.rootDisk, tmp));
      if (r.exitCode !== 0) {
        rmSync(tmp, { force: true });
        throw backendFailed('cp (the VM root disk)', r);
      }
      renameSync(tmp, files.rootDisk);
    },

    async start(ws) {
      const files = filesOf(ws);
      const state = vmState(files);
      if (state.kind === 'running') return { adopted: true, runtime: {} };
      if (state.kind === 'booting') throw new BenchtopError('CONFLICT', `workspace "${ws.name}": its VM is booting already`);
      const facts = hostFacts();
      const v = verdict(facts);
      if (!v.available) throw new BenchtopError('BACKEND_UNAVAILABLE', `firecracker: ${v.hint}`);
      if (ws.network === 'full' && !process.env.BENCHTOP_FIRECRACKER_TAP) {
        throw new BenchtopError('BACKEND_UNAVAILABLE', 'firecracker: full network needs a tap device made by root (ip tuntap add dev fc0 mode tap user $USER, addressed 10.0.2.2/24 with NAT): set BENCHTOP_FIRECRACKER_TAP=fc0');
      }
      const launch = launchFor(ws, v.useJailer);
      writeFileSync(files.launch, `${JSON.stringify(launch, null, 2)}\n`);
      await startSupervisor(files, launch.bootTimeoutMs + 10_000, 'firecracker');
      try {
        await copyProjectOnce(ws, files, 'firecracker');
      } catch (e) {
        await stopVm(ws);
        throw e;
      }
      return { adopted: false, runtime: {} };
    },

    stop: (ws) => stopVm(ws),

    async remove(ws) {
      await stopVm(ws);
      rmSync(filesOf(ws).dir, { recursive: true, force: true });
      // A jailed VM's chroot (only root could have made one).
      const firecracker = hostFacts().firecracker;
      if (firecracker && process.getuid?.() === 0) rmSync(join(jailLayout(JAILER_BASE, firecracker, vmIdFor(ws.id)).root, '..'), { recursive: true, force: true });
    },

    ...vmGuestParts(ctx.runner, filesOf),
  };
}
