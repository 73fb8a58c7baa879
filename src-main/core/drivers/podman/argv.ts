/**
 * Pure argv builders for podman (and podman under gVisor). Nothing here runs
 * anything; every line is unit-tested.
 */
import type { NetworkMode } from '../../../../src-preload/contract';
import { gpuRunArgs } from './gpu';

export const WORKSPACE_LABEL = 'benchtop.workspace';
export const NAME_LABEL = 'benchtop.name';
/** Which backend made the container (podman or gvisor): says it when the record is lost. */
export const BACKEND_LABEL = 'benchtop.backend';
/** The data folder whose workspace it is: a container whose record is gone is claimed by that folder only. */
export const HOME_LABEL = 'benchtop.home';
export const CONTAINER_PROJECT_DIR = '/workspace';
/** Env var that marks every process of one exec, so a timeout can find them inside. */
export const EXEC_MARKER = 'BENCHTOP_EXEC';

/** How podman is told which OCI runtime to use; these are global flags (before the subcommand). */
export type PodmanRuntime =
  | { kind: 'default' }
  | { kind: 'named'; runtime: string }
  | { kind: 'gvisor'; runsc: string };

export function podmanGlobalArgs(runtime: PodmanRuntime): string[] {
  switch (runtime.kind) {
    case 'default':
      return [];
    case 'named':
      return ['--runtime', runtime.runtime];
    case 'gvisor':
      // runsc refuses a network in the root namespace and cannot use podman's
      // cgroups here; both flags are what works on these hosts (RUNTIMES.md).
      return ['--runtime', runtime.runsc, '--runtime-flag', 'network=none', '--runtime-flag', 'ignore-cgroups'];
  }
}

export interface Ulimits {
  nofile?: { soft: number; hard: number };
  nproc?: { soft: number; hard: number };
}

/**
 * Ulimits that fit under this process's hard limits: podman's defaults can
 * exceed them, and then every run fails with "setrlimit: Operation not permitted".
 */
export function ulimitsFor(host: {
  nofile: { soft: number; hard: number } | null;
  nproc: { soft: number; hard: number } | null;
}): Ulimits {
  const out: Ulimits = {};
  if (host.nofile && Number.isFinite(host.nofile.hard)) {
    const hard = Math.min(host.nofile.hard, 1048576);
    out.nofile = { soft: Math.min(1024, hard), hard };
  }
  if (host.nproc && Number.isFinite(host.nproc.hard)) {
    const n = Math.min(host.nproc.hard, 4096);
    out.nproc = { soft: n, hard: n };
  }
  return out;
}

export interface PodmanRunSpec {
  workspaceId: string;
  name: string;
  containerName: string;
  image: string;
  imageKind: 'image' | 'rootfs';
  project: string;
  network: NetworkMode;
  cpus?: number;
  memoryMiB?: number;
  pids?: number;
  /** Non-secret env only: `podman run --env K=V` is stored in the container config. */
  env: Record<string, string>;
  rootless: boolean;
  ulimits: Ulimits;
  runtime: PodmanRuntime;
  /** Labelled on the container (the driver always gives them). */
  backend?: 'podman' | 'gvisor';
  home?: string;
  /**
   * The workspace's TTL: the container's main process lives that long and
   * then ends, with exit code 0, taking the container with it, whether or not
   * any Benchtop process runs. `podman start` runs it again from the start,
   * as a start sets a new expiry.
   */
  ttlSec?: number | null;
  /** All NVIDIA GPUs through CDI (see gpu.ts). */
  gpu?: boolean;
}

export function buildRunArgv(spec: PodmanRunSpec): string[] {
  const argv = [...podmanGlobalArgs(spec.runtime), 'run', '--detach'];
  argv.push('--name', spec.containerName);
  argv.push('--label', `${WORKSPACE_LABEL}=${spec.workspaceId}`, '--label', `${NAME_LABEL}=${spec.name}`);
  if (spec.backend) argv.push('--label', `${BACKEND_LABEL}=${spec.backend}`);
  if (spec.home) argv.push('--label', `${HOME_LABEL}=${spec.home}`);
  argv.push('--hostname', spec.name);
  // A real init makes `podman stop` immediate (sleep as PID 1 ignores SIGTERM).
  argv.push('--init');
  // "full" takes podman's default network for the mode (bridge rootful, slirp4netns rootless).
  if (spec.network === 'none' || spec.runtime.kind === 'gvisor') argv.push('--network', 'none');
  argv.push('--cap-drop=all', '--security-opt', 'no-new-privileges');
  if (spec.ulimits.nofile) argv.push('--ulimit', `nofile=${spec.ulimits.nofile.soft}:${spec.ulimits.nofile.hard}`);
  if (spec.ulimits.nproc) argv.push('--ulimit', `nproc=${spec.ulimits.nproc.soft}:${spec.ulimits.nproc.hard}`);
  if (spec.cpus !== undefined) argv.push('--cpus', String(spec.cpus));
  if (spec.memoryMiB !== undefined) argv.push('--memory', `${spec.memoryMiB}m`);
  if (spec.pids !== undefined) argv.push('--pids-limit', String(spec.pids));
  // Rootless: keep the user's uid inside so project files stay theirs. Rootful podman refuses it.
  if (spec.rootless) argv.push('--userns=keep-id');
  argv.push('--volume', `${spec.project}:${CONTAINER_PROJECT_DIR}`);
  argv.push('--workdir', CONTAINER_PROJECT_DIR);
  for (const [k, v] of Object.entries(spec.env)) argv.push('--env', `${k}=${v}`);
  if (spec.gpu) argv.push(...gpuRunArgs());
  // `:O` mounts the rootfs as an overlay, so the directory itself is never written.
  if (spec.imageKind === 'rootfs') argv.push('--rootfs', `${spec.image}:O`);
  else argv.push(spec.image);
  argv.push('sleep', spec.ttlSec ? String(spec.ttlSec) : 'infinity');
  return argv;
}

export interface PodmanExecSpec {
  containerName: string;
  cwd: string;
  env: Record<string, string>;
  /** Keys only: the values travel in podman's own environment (`--env KEY`). */
  secretKeys: string[];
  execId: string;
  argv: string[];
  runtime: PodmanRuntime;
  /** true: a terminal (`-i -t`); 'stdin': stdin forwarded, no terminal (`-i`). */
  interactive?: boolean | 'stdin';
  /** A user name or uid from the container's /etc/passwd (podman sets HOME from it). */
  user?: string;
}

export function buildExecArgv(spec: PodmanExecSpec): string[] {
  const argv = [...podmanGlobalArgs(spec.runtime), 'exec'];
  if (spec.interactive === true) argv.push('--interactive', '--tty');
  else if (spec.interactive === 'stdin') argv.push('--interactive');
  argv.push('--workdir', spec.cwd);
  if (spec.user) {
    argv.push('--user', spec.user);
    // podman sets HOME from passwd but not USER; a name is its own USER (a bare uid has none to give).
    if (!/^\d+$/.test(spec.user)) argv.push('--env', `USER=${spec.user}`, '--env', `LOGNAME=${spec.user}`);
  }
  argv.push('--env', `${EXEC_MARKER}=${spec.execId}`);
  for (const [k, v] of Object.entries(spec.env)) argv.push('--env', `${k}=${v}`);
  for (const k of spec.secretKeys) argv.push('--env', k);
  argv.push(spec.containerName, ...spec.argv);
  return argv;
}

/**
 * Kills, inside the container, every process carrying this exec's marker.
 * Killing the `podman exec` client alone leaves the command running.
 * The exec id is passed as $1, never spliced into the script.
 */
export const KILL_EXEC_SCRIPT = [
  `m="${EXEC_MARKER}=$1"`,
  'for round in 1 2 3 4 5; do',
  '  found=',
  '  for d in /proc/[0-9]*; do',
  '    p=${d#/proc/}',
  '    [ "$p" = "$$" ] && continue',
  // environ is NUL-separated; busybox grep stops at a NUL, so split it into lines first.
  `    if tr '\\000' '\\n' < "$d/environ" 2>/dev/null | grep -qxF "$m"; then kill -9 "$p" 2>/dev/null; found=1; fi`,
  '  done',
  '  [ -z "$found" ] && exit 0',
  '  sleep 0.1',
  'done',
].join('\n');

export function buildKillExecArgv(runtime: PodmanRuntime, containerName: string, execId: string): string[] {
  return [...podmanGlobalArgs(runtime), 'exec', containerName, 'sh', '-c', KILL_EXEC_SCRIPT, 'benchtop-kill', execId];
}

/** All Benchtop containers, podman and gVisor alike, in one call. */
export function buildListArgv(): string[] {
  return ['ps', '--all', '--filter', `label=${WORKSPACE_LABEL}`, '--format', 'json'];
}

export function buildStartArgv(runtime: PodmanRuntime, containerName: string): string[] {
  return [...podmanGlobalArgs(runtime), 'start', containerName];
}

export function buildStopArgv(runtime: PodmanRuntime, containerName: string, timeoutSec = 10): string[] {
  return [...podmanGlobalArgs(runtime), 'stop', '--time', String(timeoutSec), containerName];
}

export function buildRemoveArgv(runtime: PodmanRuntime, containerName: string): string[] {
  return [...podmanGlobalArgs(runtime), 'rm', '--force', '--time', '2', containerName];
}

export function buildInfoArgv(): string[] {
  return ['info', '--format', 'json'];
}

export function buildImageExistsArgv(image: string): string[] {
  return ['image', 'exists', image];
}

export function buildImagesArgv(): string[] {
  return ['images', '--format', '{{.Repository}}:{{.Tag}}'];
}

export function containerNameFor(workspaceId: string): string {
  return `benchtop-${workspaceId}`;
}

export interface PsEntry {
  Id?: string;
  Names?: string[];
  State?: string;
  Status?: string;
  ExitCode?: number;
  Exited?: boolean;
  Labels?: Record<string, string> | null;
  /** Unix seconds. */
  Created?: number;
  Image?: string;
}

export interface PsStatus {
  running: boolean;
  description: string;
  exitCode: number | null;
  /** What the container says of itself (its name and labels), for a workspace whose record is lost. */
  sandbox: { container?: string; name?: string; backend?: string; home?: string; createdAt?: string; image?: string };
}

/** Parses `podman ps --format json` into status by workspace id. */
export function parsePs(json: string): Map<string, PsStatus> {
  const out = new Map<string, PsStatus>();
  const trimmed = json.trim();
  if (!trimmed) return out;
  const entries = JSON.parse(trimmed) as PsEntry[];
  for (const e of entries) {
    const id = e.Labels?.[WORKSPACE_LABEL];
    if (!id) continue;
    const state = (e.State ?? 'unknown').toLowerCase();
    const running = state === 'running';
    const exitCode = running ? null : (e.ExitCode ?? null);
    const description = running ? 'running' : `container ${state}${exitCode !== null ? ` (exit code ${exitCode})` : ''}`;
    const labels = e.Labels ?? {};
    const sandbox: PsStatus['sandbox'] = {};
    if (e.Names?.[0]) sandbox.container = e.Names[0];
    if (labels[NAME_LABEL]) sandbox.name = labels[NAME_LABEL];
    if (labels[BACKEND_LABEL]) sandbox.backend = labels[BACKEND_LABEL];
    if (labels[HOME_LABEL]) sandbox.home = labels[HOME_LABEL];
    if (typeof e.Created === 'number' && e.Created > 0) sandbox.createdAt = new Date(e.Created * 1000).toISOString();
    if (e.Image) sandbox.image = e.Image;
    out.set(id, { running, description, exitCode, sandbox });
  }
  return out;
}

/** Every local image with size and age, as JSON (one call). */
export function buildImagesJsonArgv(): string[] {
  return ['images', '--format', 'json'];
}

/** `--` ends the options: a reference is never read as a flag (the contract also refuses a leading "-"). */
export function buildPullArgv(ref: string): string[] {
  return ['pull', '--', ref];
}

export interface PodmanImage {
  id: string;
  names: string[];
  sizeBytes: number | null;
  createdAt: string | null;
}

/** `podman images --format json`, named images only (dangling layers of old builds are not choices). */
export function parseImagesJson(stdout: string): PodmanImage[] {
  const raw = JSON.parse(stdout || '[]') as { Id?: string; Names?: string[] | null; Size?: number; Created?: number; CreatedAt?: string; Dangling?: boolean }[];
  const out: PodmanImage[] = [];
  for (const e of raw) {
    const names = (e.Names ?? []).filter((n) => n && !n.startsWith('<none>'));
    // podman repeats an image once per name it has, each time with all its names.
    if (!e.Id || names.length === 0 || out.some((o) => o.id === e.Id)) continue;
    const createdAt = e.CreatedAt ?? (typeof e.Created === 'number' ? new Date(e.Created * 1000).toISOString() : null);
    out.push({ id: e.Id, names, sizeBytes: typeof e.Size === 'number' ? e.Size : null, createdAt });
  }
  return out;
}

/** The host pid of the container's first process: its namespaces are the container's (see portRelayArgv). */
export function buildInspectPidArgv(containerName: string): string[] {
  return ['container', 'inspect', '--format', '{{.State.Pid}}', containerName];
}

export interface PortRelaySpec {
  /** The relay program inside the namespaces (see core/ports/relay.ts), PORT included. */
  relay: string[];
  containerName: string;
  port: number;
  /** From `podman container inspect`: the container's first process on the host. */
  pid: number;
  rootless: boolean;
  runtime: PodmanRuntime;
  /** The podman program (gVisor's relay is a `podman exec`). */
  podman: string;
}

/**
 * The host argv whose stdin and stdout are one connection to PORT inside
 * (a complete argv, program first). Podman cannot publish ports under
 * `--network none` (it drops `-p`) nor add them to a running container, so
 * Benchtop carries each connection itself.
 *  - runc (rootful): enter the container's network namespace only
 *    (`nsenter -t PID -n`) and run the relay there; the relay stays on the
 *    host's filesystem, so the image needs nothing. The sandbox gains no
 *    route: only this one connection to its own loopback is made, from outside.
 *  - runc (rootless): the network namespace belongs to the user's podman
 *    user namespace, so enter that first (`-U --preserve-credentials`: keep
 *    our own uid, no root inside is needed to connect to a port).
 *  - gVisor: the network stack is inside runsc, not a kernel namespace: a
 *    relay has to run inside the sandbox, `podman exec -i NAME nc 127.0.0.1
 *    PORT` (the image needs nc; busybox has it).
 */
export function buildPortRelayArgv(spec: PortRelaySpec): string[] {
  if (spec.runtime.kind === 'gvisor') {
    return [spec.podman, ...podmanGlobalArgs(spec.runtime), 'exec', '--interactive', spec.containerName, 'nc', '127.0.0.1', String(spec.port)];
  }
  const userns = spec.rootless ? ['-U', '--preserve-credentials'] : [];
  return ['nsenter', '-t', String(spec.pid), ...userns, '-n', ...spec.relay];
}

/** Whether the image has the nc a gVisor relay runs (`sh -c 'command -v nc'` exits 0). */
export function buildHasNcArgv(runtime: PodmanRuntime, containerName: string): string[] {
  return [...podmanGlobalArgs(runtime), 'exec', containerName, 'sh', '-c', 'command -v nc'];
}
