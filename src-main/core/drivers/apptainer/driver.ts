/**
 * The Apptainer driver: a workspace is a persistent instance (`instance
 * start`), commands and terminals run in it via `instance://NAME`, and all of
 * Benchtop's instances are listed with one `instance list --json`.
 */
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { BenchtopError, type LimitName, type Workspace } from '../../../../src-preload/contract';
import { backendFailed } from '../errors';
import { KILL_EXEC_SCRIPT, EXEC_MARKER } from '../podman/argv';
import { launcherEnv } from '../shell';
import { hostProcesses } from '../../process/host-launch';
import { viaArgv } from '../../process/types';
import type { Driver, DriverContext, ResolvedImage, SandboxStatus, DetectedBackend } from '../types';
import { which } from '../which';
import {
  buildInstanceExecArgv,
  buildInstanceListArgv,
  buildInstanceStartArgv,
  buildInstanceStopArgv,
  buildShellCommand,
  imageKindOf,
  parseInstanceList,
  projectDirInside,
  secretEnvFor,
  sessionEnv,
  type ApptainerSpec,
} from './argv';

export const instanceNameFor = (workspaceId: string): string => `benchtop-${workspaceId}`;

export function apptainerSpecFor(ws: Workspace, home: string): ApptainerSpec {
  const username = safeUser(os.userInfo().username);
  return {
    image: ws.image ?? '',
    username,
    hostHome: home,
    project: ws.project,
    projectSlug: ws.name,
    projectMount: ws.apptainer.projectMount ?? 'workspace',
    hostname: ws.name,
    env: ws.env,
    devRepos: ws.devRepos,
    hostMounts: ws.mounts,
    ...(ws.apptainer.texlivePrefix ? { texlivePrefix: ws.apptainer.texlivePrefix } : {}),
    limits: {
      ...(ws.limits.cpus !== undefined && !ws.unenforcedLimits.includes('cpus') ? { cpus: ws.limits.cpus } : {}),
      ...(ws.limits.memoryMiB !== undefined && !ws.unenforcedLimits.includes('memory') ? { memoryMiB: ws.limits.memoryMiB } : {}),
      ...(ws.limits.pids !== undefined && !ws.unenforcedLimits.includes('pids') ? { pids: ws.limits.pids } : {}),
      ...(ws.apptainer.applyCgroups ? { applyCgroups: ws.apptainer.applyCgroups } : {}),
    },
    gpu: ws.gpu,
    network: ws.network,
    ...(ws.apptainer.overlay ? { overlay: ws.apptainer.overlay } : {}),
    ...(ws.apptainer.fakeroot ? { fakeroot: true } : {}),
  };
}

function safeUser(name: string): string {
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(name) ? name : 'user';
}

export function createApptainerDriver(ctx: DriverContext): Driver {
  const bin = () => which('apptainer');
  const home = (ws: Workspace) => join(ctx.workspaceDir(ws), 'home');
  const run = (argv: string[], opts?: Parameters<typeof ctx.runner.run>[1]) => ctx.runner.run(argv, opts);

  function requireBin(): void {
    if (!bin()) throw new BenchtopError('BACKEND_UNAVAILABLE', 'apptainer: not installed (see apptainer.org; Debian has no package)', { hint: 'install Apptainer' });
  }

  function enforced(): LimitName[] {
    // Apptainer applies --cpus/--memory/--pids-limit through cgroups: as root, or rootless on cgroups v2 with systemd delegation.
    return !ctx.host.rootless || ctx.host.cgroup === 'v2' ? ['cpus', 'memory', 'pids'] : [];
  }

  const processes = hostProcesses(ctx.runner, {
    launch(ws, req) {
      // An instance runs as the user who started it (or fakeroot): there is no per-exec switch.
      if (req.user) throw new BenchtopError('INVALID_INPUT', 'user: an apptainer instance runs commands as you; it cannot switch users', { field: 'user' });
      const spec = apptainerSpecFor(ws, home(ws));
      // `apptainer exec instance://` does not inherit what `instance start` was given, so each exec repeats it.
      const argv = buildInstanceExecArgv(instanceNameFor(ws.id), req.argv ?? buildShellCommand(), { cwd: req.cwd, env: { ...sessionEnv(spec), ...req.env, [EXEC_MARKER]: req.id } });
      // Secrets pass --cleanenv as APPTAINERENV_* in apptainer's own environment: never in argv.
      const env = secretEnvFor(req.secretEnv);
      return { argv: [...viaArgv(req), ...argv], ...(req.tty ? { env: launcherEnv(env), extendEnv: false } : { env }) };
    },
    killSpec: (ws, id, prefix = []) => ({ kind: 'argv', argv: [...prefix, 'apptainer', 'exec', `instance://${instanceNameFor(ws.id)}`, 'sh', '-c', KILL_EXEC_SCRIPT, 'benchtop-kill', id] }),
  });

  return {
    id: 'apptainer',
    listKey: 'apptainer',
    descriptor: {
      label: 'Apptainer',
      summary: 'a persistent Apptainer instance (the HPC container), --cleanenv --containall',
      isolation: 'container',
      projectPath: '~/proj/NAME (or /workspace)',
      image: { use: 'required', kinds: 'a SIF file, or a sandbox folder', example: '/data/images/pytorch.sif', rootfs: true },
      supports: { tty: true, stdin: true, userSwitch: false, slurm: true, pull: false, apptainerOptions: true, files: true, ports: false, console: false },
      portsNote: "not supported yet: Benchtop does not forward into an Apptainer instance (with network full it shares the host's network)",
      defaultNetwork: 'none',
      needsConsent: false,
      labelsSandboxes: false,
      ttlProcess: false,
      disk: {
        measures: "the workspace's folder: its home, journal and recordings; not --writable-tmpfs (memory), an --overlay, or the project folder",
        quota: 'measured',
        why: 'apptainer has no disk quota: the home is a folder on the host',
      },
    },

    async detect(): Promise<DetectedBackend> {
      const path = bin();
      const caps = {
        enforcedLimits: path ? enforced() : [],
        network: ['none', 'full'] as ('none' | 'full')[],
        gpu: true,
        isolation: 'container' as const,
        rootless: ctx.host.rootless,
      };
      if (!path) return { id: 'apptainer', available: false, version: null, hint: 'Apptainer is not installed (apptainer.org/docs/admin/main/installation.html; on HPC systems: module load apptainer)', capabilities: caps };
      const v = await run([path, '--version'], { timeoutMs: 10000 });
      const hint = caps.enforcedLimits.length === 0 ? 'cpu/memory/pids limits need cgroups v2 (with systemd delegation) or root here' : null;
      return { id: 'apptainer', available: v.exitCode === 0, version: v.stdout.trim() || null, hint: v.exitCode === 0 ? hint : `apptainer --version failed: ${v.stderr.trim()}`, capabilities: caps };
    },

    // --nv binds the host's NVIDIA driver; apptainer itself says when there is none.
    async gpuSupport() {
      return null;
    },

    async resolveImage(image): Promise<ResolvedImage> {
      if (!image) throw new BenchtopError('INVALID_INPUT', 'image: apptainer needs --image (a .sif file or a sandbox directory)', { field: 'image' });
      const path = resolve(image);
      if (!existsSync(path)) throw new BenchtopError('INVALID_INPUT', `image: ${path} does not exist (a .sif file or a sandbox directory was expected)`, { field: 'image' });
      const kind = imageKindOf(statSync(path), path);
      if (!kind) throw new BenchtopError('INVALID_INPUT', `image: ${path} is neither a .sif file nor a sandbox directory`, { field: 'image' });
      return { image: realpathSync(path), imageKind: kind === 'sif' ? 'image' : 'rootfs' };
    },

    async prepare(ws) {
      mkdirSync(home(ws), { recursive: true });
    },

    allocationPlan(ws) {
      const name = instanceNameFor(ws.id);
      return {
        start: buildInstanceStartArgv(apptainerSpecFor(ws, home(ws)), name),
        alive: { argv: ['apptainer', 'exec', `instance://${name}`, 'true'] },
        stop: buildInstanceStopArgv(name),
      };
    },

    async start(ws) {
      requireBin();
      const name = instanceNameFor(ws.id);
      const existing = (await this.list([ws])).get(ws.id);
      if (existing?.running) return { adopted: true, runtime: { containerName: name } };
      const r = await run(buildInstanceStartArgv(apptainerSpecFor(ws, home(ws)), name), { timeoutMs: 300000 });
      if (r.exitCode !== 0) throw backendFailed('apptainer: could not start the instance', r);
      return { adopted: false, runtime: { containerName: name } };
    },

    async stop(ws) {
      requireBin();
      const r = await run(buildInstanceStopArgv(instanceNameFor(ws.id)), { timeoutMs: 60000 });
      if (r.exitCode !== 0 && !/no instance found|not found/i.test(r.stderr)) throw backendFailed('apptainer: could not stop the instance', r);
    },

    async remove(ws) {
      if (!bin()) return;
      await run(buildInstanceStopArgv(instanceNameFor(ws.id)), { timeoutMs: 60000 });
    },

    async list(workspaces): Promise<Map<string, SandboxStatus>> {
      const out = new Map<string, SandboxStatus>();
      if (!bin()) return out;
      const r = await run(buildInstanceListArgv(), { timeoutMs: 30000 });
      if (r.exitCode !== 0) throw backendFailed('apptainer: could not list instances', r);
      const instances = parseInstanceList(r.stdout);
      for (const ws of workspaces) {
        const i = instances.get(instanceNameFor(ws.id));
        if (i) out.set(ws.id, { running: true, description: `instance running (pid ${i.pid ?? '?'})` });
      }
      return out;
    },

    ...processes,
    // The binary is checked when a process starts (the argv alone needs none).
    spawn: (ws, req, sink) => {
      requireBin();
      return processes.spawn(ws, req, sink);
    },


    defaultCwd: (ws) => projectDirInside(apptainerSpecFor(ws, home(ws))),
  };
}
