/**
 * The podman driver: a workspace is one long-lived container labelled with
 * its id. The gVisor driver is the same driver with runsc as the runtime.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BenchtopError, type BackendId, type LimitName, type Workspace } from '../../../../src-preload/contract';
import type { Driver, DriverContext, ResolvedImage, SandboxStatus, SandboxFailure, DetectedBackend } from '../types';
import type { KillSpec } from '../../watchdog/kill';
import { hostProcesses } from '../../process/host-launch';
import { viaArgv } from '../../process/types';
import { backendFailed } from '../errors';
import { podmanHint } from './hints';
import { createPodmanImages } from './images';
import { gpuUnavailable } from './gpu';
import { buildDiskUseArgv, parseDiskUse } from './disk';
import { launcherEnv, LOGIN_SHELL_SCRIPT, TERMINAL_TERM } from '../shell';
import { which } from '../which';
import { buildRelayArgv } from '../../ports/relay';
import {
  buildExecArgv,
  buildHasNcArgv,
  buildInspectPidArgv,
  buildPortRelayArgv,
  buildImageExistsArgv,
  buildImagesArgv,
  buildInfoArgv,
  buildKillExecArgv,
  buildListArgv,
  buildRemoveArgv,
  buildRunArgv,
  buildStartArgv,
  buildStopArgv,
  CONTAINER_PROJECT_DIR,
  containerNameFor,
  EXEC_MARKER,
  parsePs,
  ulimitsFor,
  type PodmanRunSpec,
  type PodmanRuntime,
} from './argv';

interface PodmanInfo {
  version: string;
  rootless: boolean;
  cgroupVersion: string;
  cgroupControllers: string[];
  ociRuntime: string;
}

export interface PodmanDriverOptions {
  id: Extract<BackendId, 'podman' | 'gvisor'>;
  podman?: string;
}

export function createPodmanDriver(ctx: DriverContext, options: PodmanDriverOptions): Driver {
  const podman = options.podman ?? 'podman';
  const isGvisor = options.id === 'gvisor';
  let infoPromise: Promise<PodmanInfo | { error: string }> | undefined;

  const run = (argv: string[], opts?: Parameters<typeof ctx.runner.run>[1]) => ctx.runner.run([podman, ...argv], opts);

  /** From the host first (a container at its pids limit cannot start the kill script), then inside. */
  function killSpecFor(ws: Workspace, execId: string, prefix: string[] = []): KillSpec {
    const inside: KillSpec = { kind: 'argv', argv: [...prefix, podman, ...buildKillExecArgv({ kind: 'default' }, containerName(ws), execId)] };
    if (prefix.length) return inside; // On another node: only podman there can reach it.
    // (Processes under gVisor are not visible on the host: the script inside reaches them.)
    return { kind: 'all', specs: [{ kind: 'env', marker: `${EXEC_MARKER}=${execId}` }, inside] };
  }

  async function info(): Promise<PodmanInfo | { error: string }> {
    infoPromise ??= (async () => {
      const r = await run(buildInfoArgv(), { timeoutMs: 30000 });
      if (r.spawnError) return { error: 'podman is not installed (Debian/Ubuntu: apt install podman runc catatonit)' };
      if (r.exitCode !== 0) return { error: `podman info failed: ${firstLine(r.stderr)}` };
      const j = JSON.parse(r.stdout) as {
        version?: { Version?: string };
        host?: {
          security?: { rootless?: boolean };
          cgroupVersion?: string;
          cgroupControllers?: string[];
          ociRuntime?: { name?: string };
        };
      };
      return {
        version: j.version?.Version ?? 'unknown',
        rootless: j.host?.security?.rootless ?? ctx.host.rootless,
        cgroupVersion: j.host?.cgroupVersion ?? ctx.host.cgroup,
        cgroupControllers: j.host?.cgroupControllers ?? [],
        ociRuntime: j.host?.ociRuntime?.name ?? 'unknown',
      };
    })();
    return infoPromise;
  }

  /**
   * Which OCI runtime to ask for. crun cannot run on cgroups v1/hybrid hosts,
   * so there we pick runc when it is installed and say so in the hint otherwise.
   */
  function runtimeFor(i: PodmanInfo): { runtime: PodmanRuntime; hint: string | null } {
    if (isGvisor) {
      const runsc = which('runsc');
      return runsc
        ? { runtime: { kind: 'gvisor', runsc }, hint: null }
        : { runtime: { kind: 'default' }, hint: 'gVisor is not installed (Debian/Ubuntu: apt install runsc)' };
    }
    const forced = process.env.BENCHTOP_PODMAN_RUNTIME;
    if (forced) return { runtime: { kind: 'named', runtime: forced }, hint: null };
    if (i.cgroupVersion !== 'v2' && i.ociRuntime === 'crun') {
      return which('runc')
        ? { runtime: { kind: 'named', runtime: 'runc' }, hint: null }
        : {
            runtime: { kind: 'default' },
            hint: 'crun cannot run containers on this cgroups v1/hybrid host: install runc (apt install runc)',
          };
    }
    return { runtime: { kind: 'default' }, hint: null };
  }

  function enforcedLimits(i: PodmanInfo): LimitName[] {
    if (isGvisor) return []; // runsc runs with ignore-cgroups here: podman's limits are not applied.
    if (i.rootless && i.cgroupVersion !== 'v2') return []; // "not supported and ignored on cgroups V1 rootless"
    const have = i.rootless ? i.cgroupControllers : ctx.host.cgroupControllers;
    const out: LimitName[] = [];
    if (have.includes('cpu')) out.push('cpus');
    if (have.includes('memory')) out.push('memory');
    if (have.includes('pids')) out.push('pids');
    return out;
  }

  async function requireInfo(): Promise<{ i: PodmanInfo; runtime: PodmanRuntime }> {
    const i = await info();
    if ('error' in i) throw new BenchtopError('BACKEND_UNAVAILABLE', `${options.id}: ${i.error}`, { hint: i.error });
    const { runtime, hint } = runtimeFor(i);
    if (hint) throw new BenchtopError('BACKEND_UNAVAILABLE', `${options.id}: ${hint}`, { hint });
    lastRuntime = runtime;
    lastRootless = i.rootless;
    return { i, runtime };
  }

  const containerName = (ws: Workspace): string => ws.runtime.containerName ?? containerNameFor(ws.id);
  let lastRuntime: PodmanRuntime | undefined;
  /**
   * The OCI runtime a workspace was created with, from its record: decided
   * once, at create, so every later process (a start, a SLURM submission
   * from a fresh CLI) uses the same one. Records from before it was kept: null.
   */
  function recordedRuntime(ws: Workspace): PodmanRuntime | null {
    const oci = ws.runtime.ociRuntime;
    if (!oci) return null;
    return oci === 'runsc' ? { kind: 'gvisor', runsc: which('runsc') ?? 'runsc' } : { kind: 'named', runtime: oci };
  }
  const ociRuntimeName = (runtime: PodmanRuntime, i: PodmanInfo): string => (runtime.kind === 'default' ? i.ociRuntime : runtime.kind === 'named' ? runtime.runtime : 'runsc');
  let lastRootless: boolean | undefined;

  function runSpec(ws: Workspace, name: string, runtime: PodmanRuntime, rootless: boolean): PodmanRunSpec {
    if (!ws.image || ws.imageKind === 'system') throw new BenchtopError('INVALID_INPUT', 'image: missing', { field: 'image' });
    return {
      workspaceId: ws.id,
      name: ws.name,
      containerName: name,
      image: ws.image,
      imageKind: ws.imageKind,
      project: ws.project,
      network: ws.network,
      ...(ws.limits.cpus !== undefined && !ws.unenforcedLimits.includes('cpus') ? { cpus: ws.limits.cpus } : {}),
      ...(ws.limits.memoryMiB !== undefined && !ws.unenforcedLimits.includes('memory') ? { memoryMiB: ws.limits.memoryMiB } : {}),
      ...(ws.limits.pids !== undefined && !ws.unenforcedLimits.includes('pids') ? { pids: ws.limits.pids } : {}),
      env: ws.env,
      rootless,
      ulimits: ulimitsFor(ctx.host),
      runtime,
      backend: options.id,
      ...(ctx.home ? { home: ctx.home } : {}),
      ttlSec: ws.ttlSec,
      ...(ws.gpu ? { gpu: true } : {}),
    };
  }

  return {
    id: options.id,
    listKey: 'podman',
    descriptor: {
      label: isGvisor ? 'gVisor' : 'Podman',
      summary: isGvisor ? 'a container under gVisor: its system calls answered by a kernel in user space (runsc)' : 'a long-lived container: its own filesystem, namespaces, no capabilities',
      isolation: isGvisor ? 'gvisor' : 'container',
      projectPath: CONTAINER_PROJECT_DIR,
      image: { use: 'required', kinds: 'a local image, or a rootfs folder', example: 'localhost/benchtop-test:latest', rootfs: true },
      supports: { tty: true, stdin: true, userSwitch: true, slurm: true, pull: true, apptainerOptions: false, files: true, ports: true, console: false },
      portsNote: isGvisor
        ? 'published on 127.0.0.1 through nc inside the sandbox (podman exec): the image needs nc; the network stays none'
        : "published on 127.0.0.1 by Benchtop, into the container's network namespace (nsenter); the network stays as it is, none included",
      defaultNetwork: 'none',
      needsConsent: false,
      labelsSandboxes: true,
      ttlProcess: true,
      disk: {
        measures: "the container's writable layer (what its files hold) and the workspace's folder (journal, recordings); never the project folder",
        quota: 'measured',
        // Tried on this kind of host: "storage option overlay.size and overlay.inodes only supported for backingFS XFS".
        why: "podman can cap a container's writable layer (--storage-opt size=) only with overlay storage on xfs mounted with pquota",
      },
    },
    images: createPodmanImages(ctx.runner, podman),

    async detect(): Promise<DetectedBackend> {
      const i = await info();
      const base = {
        network: isGvisor ? (['none'] as const) : (['none', 'full'] as const),
        gpu: !isGvisor && gpuUnavailable() === null,
        isolation: isGvisor ? ('gvisor' as const) : ('container' as const),
      };
      if ('error' in i) {
        return { id: options.id, available: false, version: null, hint: i.error, capabilities: { ...base, network: [...base.network], enforcedLimits: [] } };
      }
      const { hint, runtime } = runtimeFor(i);
      lastRuntime = runtime;
      lastRootless = i.rootless;
      let version = `podman ${i.version}`;
      if (isGvisor && !hint) {
        const v = await ctx.runner.run([which('runsc') ?? 'runsc', '--version'], { timeoutMs: 10000 });
        version += `, ${firstLine(v.stdout) || 'runsc'}`;
      }
      return {
        id: options.id,
        available: hint === null,
        version,
        hint: hint ?? (isGvisor ? 'network is always none under gVisor here; limits are not enforced (runsc ignores cgroups)' : i.rootless && i.cgroupVersion !== 'v2' ? 'rootless podman on cgroups v1 cannot enforce cpu/memory/pids limits' : null),
        capabilities: { ...base, network: [...base.network], enforcedLimits: enforcedLimits(i), rootless: i.rootless },
      };
    },

    async resolveImage(image): Promise<ResolvedImage> {
      await requireInfo();
      const listImages = async (): Promise<string> => {
        const r = await run(buildImagesArgv(), { timeoutMs: 30000 });
        const names = r.stdout.split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('<none>'));
        return names.length ? names.join(', ') : '(none: build or import one, e.g. podman import rootfs.tar NAME)';
      };
      if (!image) {
        throw new BenchtopError('INVALID_INPUT', `image: ${options.id} needs --image (a local image or a rootfs directory); local images: ${await listImages()}`, { field: 'image' });
      }
      // A path is absolute, ./relative, or an existing folder; anything else is an image name.
      if (isAbsolute(image) || image.startsWith('.') || isDir(image)) {
        const dir = resolve(image);
        if (!existsSync(dir) || !statSync(dir).isDirectory()) {
          throw new BenchtopError('INVALID_INPUT', `image: ${dir} is not a directory (a rootfs directory was expected)`, { field: 'image' });
        }
        return { image: realpathSync(dir), imageKind: 'rootfs' };
      }
      const r = await run(buildImageExistsArgv(image), { timeoutMs: 30000 });
      if (r.exitCode !== 0) {
        throw new BenchtopError('INVALID_INPUT', `image: "${image}" is not in podman's local storage; local images: ${await listImages()}`, { field: 'image' });
      }
      return { image, imageKind: 'image' };
    },

    async gpuSupport() {
      // runsc of this vintage has no GPU proxy (nvproxy came later, and needs its own flags).
      if (isGvisor) return 'gVisor cannot pass a GPU through here (use the podman backend)';
      return gpuUnavailable();
    },

    async prepare() {},

    allocationPlan(ws) {
      // Chosen here (from this host's podman); the node runs the same podman. A gVisor
      // workspace is always submitted with runsc, whether or not this process asked podman yet.
      const runtime: PodmanRuntime = recordedRuntime(ws) ?? (isGvisor ? { kind: 'gvisor', runsc: which('runsc') ?? 'runsc' } : (lastRuntime ?? { kind: 'default' }));
      const name = containerName(ws);
      if (!ws.image || ws.imageKind === 'system') throw new BenchtopError('INVALID_INPUT', 'image: missing', { field: 'image' });
      return {
        start: [podman, ...buildRunArgv(runSpec(ws, name, runtime, ws.runtime.rootless ?? lastRootless ?? ctx.host.rootless))],
        alive: { argv: [podman, 'container', 'inspect', '--format', '{{.State.Running}}', name], output: 'true' },
        stop: [podman, ...buildRemoveArgv(runtime, name)],
      };
    },

    async chooseRuntime() {
      const { i, runtime } = await requireInfo();
      return { rootless: i.rootless, ociRuntime: ociRuntimeName(runtime, i) };
    },

    async start(ws, secretEnv) {
      const { i, runtime: detected } = await requireInfo();
      const runtime = recordedRuntime(ws) ?? detected;
      const name = containerName(ws);
      const runtimeInfo = { containerName: name, rootless: i.rootless, ociRuntime: ociRuntimeName(runtime, i) };
      const existing = (await this.list([ws])).get(ws.id);
      if (existing?.running) return { adopted: true, runtime: runtimeInfo };
      let r;
      if (existing) {
        r = await run(buildStartArgv(runtime, name), { timeoutMs: 120000 });
      } else {
        if (!ws.image || ws.imageKind === 'system') throw new BenchtopError('INVALID_INPUT', 'image: missing', { field: 'image' });
        r = await run(buildRunArgv(runSpec(ws, name, runtime, i.rootless)), { timeoutMs: 300000 });
      }
      if (r.exitCode !== 0) throw backendFailed(`${options.id}: could not start the container`, r, podmanHint);
      void secretEnv; // Secrets are given per exec (podman exec --env KEY), never to the container config.
      return { adopted: false, runtime: runtimeInfo };
    },

    async stop(ws) {
      const { runtime: detected } = await requireInfo();
      const runtime = recordedRuntime(ws) ?? detected;
      const r = await run(buildStopArgv(runtime, containerName(ws)), { timeoutMs: 60000 });
      if (r.exitCode !== 0 && !/no such container/i.test(r.stderr)) throw backendFailed(`${options.id}: could not stop the container`, r, podmanHint);
    },

    async remove(ws) {
      const { runtime: detected } = await requireInfo();
      const runtime = recordedRuntime(ws) ?? detected;
      const r = await run(buildRemoveArgv(runtime, containerName(ws)), { timeoutMs: 60000 });
      if (r.exitCode !== 0 && !/no such container/i.test(r.stderr)) throw backendFailed(`${options.id}: could not remove the container`, r, podmanHint);
    },

    async list(): Promise<Map<string, SandboxStatus>> {
      const r = await run(buildListArgv(), { timeoutMs: 30000 });
      if (r.spawnError) return new Map();
      if (r.exitCode !== 0) throw backendFailed('podman: could not list containers', r, podmanHint);
      return parsePs(r.stdout);
    },

    async sandboxDiskUse(): Promise<Map<string, number>> {
      const r = await run(buildDiskUseArgv(ctx.home), { timeoutMs: 120000, maxOutputBytes: 64 * 1024 * 1024 });
      if (r.exitCode !== 0) throw backendFailed('podman: could not measure the containers', r, podmanHint);
      return parseDiskUse(r.stdout);
    },

    ...hostProcesses(ctx.runner, {
      launch(ws, req) {
        // A container remembers its OCI runtime: exec needs no `podman info` (~250 ms) to choose one.
        const runtime: PodmanRuntime = { kind: 'default' };
        const argv = buildExecArgv({
          containerName: containerName(ws),
          cwd: req.cwd,
          env: req.tty ? { TERM: TERMINAL_TERM, ...req.env } : req.env,
          secretKeys: Object.keys(req.secretEnv),
          execId: req.id,
          argv: req.argv ?? ['sh', '-c', LOGIN_SHELL_SCRIPT],
          runtime,
          ...(req.tty ? { interactive: true } : req.stdin ? { interactive: 'stdin' as const } : {}),
          ...(req.user ? { user: req.user } : {}),
        });
        // Secret values reach `podman exec --env KEY` through podman's own environment.
        const env = req.tty ? launcherEnv(req.secretEnv) : req.secretEnv;
        // gVisor's processes live in its own kernel: the host's /proc does not show them.
        return { argv: [...viaArgv(req), podman, ...argv], env, ...(req.tty ? { extendEnv: false } : {}), failurePrefix: 'Error: ', hostVisible: !isGvisor };
      },
      killSpec: (ws, id, via) => killSpecFor(ws, id, via),
    }),

    async diagnose(ws, req, { exitCode, stderrTail }) {
      const own = podmanExecFailure(stderrTail, ws.limits.pids);
      if (own) return own;
      // The container going away kills the exec (137) or fails it (125/255): ask podman, only then.
      if (![125, 126, 127, 137, 255].includes(exitCode)) return null;
      const inspect = () => ctx.runner.run([...viaArgv(req), podman, 'container', 'inspect', '--format', '{{.State.Status}}', containerName(ws)], { timeoutMs: 15000 });
      let r = await inspect();
      // `podman rm --force` kills first and removes after: the exec can end in between, while the
      // container still shows as stopping or exited. Look again for a moment before calling it stopped.
      for (let i = 0; i < 6 && r.exitCode === 0 && r.stdout.trim() !== 'running'; i++) {
        await new Promise((ok) => setTimeout(ok, 500));
        r = await inspect();
      }
      if (r.exitCode !== 0 && /no such (container|object)/i.test(r.stderr)) return { reason: 'the container was removed while the command ran', notRun: false };
      const state = r.stdout.trim();
      if (r.exitCode === 0 && state !== 'running') return { reason: `the container stopped (${state}) while the command ran`, notRun: false };
      return null;
    },

    async portRelay(ws, port) {
      if (ws.placement.kind === 'slurm') {
        throw new BenchtopError('INVALID_INPUT', 'ports: a workspace placed in SLURM runs on a compute node; its ports cannot be published on this machine', { field: 'ports' });
      }
      const name = containerName(ws);
      const runtime: PodmanRuntime = isGvisor ? { kind: 'gvisor', runsc: which('runsc') ?? 'runsc' } : { kind: 'default' };
      const r = await run(buildInspectPidArgv(name), { timeoutMs: 15000 });
      const pid = Number(r.stdout.trim());
      if (r.exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) {
        throw new BenchtopError('CONFLICT', `ports: the container ${name} is not running`, { field: 'ports' });
      }
      if (isGvisor) {
        const nc = await run(buildHasNcArgv({ kind: 'default' }, name), { timeoutMs: 15000 });
        if (nc.exitCode !== 0) throw new BenchtopError('INVALID_INPUT', `ports: gVisor workspaces publish ports through nc inside the sandbox, and the image ${ws.image ?? ''} has no nc`, { field: 'ports' });
      }
      const argv = buildPortRelayArgv({
        relay: buildRelayArgv(process.execPath, port),
        containerName: name,
        port,
        pid,
        rootless: ws.runtime.rootless ?? ctx.host.rootless,
        runtime,
        podman,
      });
      return { argv, watchPid: pid };
    },

    defaultCwd: () => CONTAINER_PROJECT_DIR,
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

/**
 * podman's (and runc's) own words for an exec the sandbox could not run, as
 * opposed to the command's own failure. Only podman's "Error: " lines count:
 * the command's stderr may say anything.
 */
export function podmanExecFailure(stderrTail: string, pidsLimit: number | undefined): SandboxFailure | null {
  const own = stderrTail.split('\n').filter((l) => l.startsWith('Error: ')).join('\n');
  if (!own) return null;
  // Only podman's words for an exec that could not start: a container removed while the command ran
  // ends the exec with other "no such container" lines (its exit lookup), which diagnose reports as removed.
  if (/can only create exec sessions on running containers|no container with name or ID .* found/i.test(own)) return { reason: 'the container is not running', notRun: true, notRunning: true };
  const cwd = /chdir to cwd \("([^"]*)"\)[^\n]*no such file or directory/i.exec(own) ?? /chdir to `([^`]*)`: No such file or directory/i.exec(own);
  if (cwd) return { reason: `cwd: ${cwd[1]}: no such folder in the sandbox`, field: 'cwd', notRun: true };
  const user = /unable to find user ([^:\s]+): no matching entries in passwd file/i.exec(own);
  if (user) return { reason: `user: no user "${user[1]}" in the workspace's /etc/passwd`, field: 'user', notRun: true };
  if (/OCI runtime error[^\n]*(read init-p: connection reset by peer|resource temporarily unavailable)/i.test(own)) {
    return {
      reason: `the workspace is at its pids limit${pidsLimit !== undefined ? ` (${pidsLimit})` : ''}: stop something or restart it`,
      notRun: true,
    };
  }
  return null;
}
