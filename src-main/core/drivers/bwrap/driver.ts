/**
 * The bubblewrap driver: a workspace is its record, its folders and a
 * sandbox recipe; "running" means ready (see shared/place-lifecycle.ts).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { BenchtopError, type Workspace } from '../../../../src-preload/contract';
import { PLUMBING_MARKER, WORKSPACE_MARKER } from '../../host/procscan';
import { placeLifecycle } from '../shared/place-lifecycle';
import { EXEC_MARKER, KILL_EXEC_SCRIPT } from '../podman/argv';
import { withFd3Launcher } from '../../host/fd3';
import type { Driver, DriverContext, ResolvedImage, SandboxFailure, DetectedBackend } from '../types';
import {
  buildBwrapArgv,
  groupFile,
  HOST_ETC_FILES,
  HOST_SYSTEM_DIRS,
  imageEntryNames,
  passwdFile,
  resolveSandboxUser,
  SANDBOX_PROJECT,
  secretArgsPayload,
  systemEntriesFrom,
  type BwrapSpec,
  type SandboxUser,
} from './argv';
import { which } from '../which';
import { LOGIN_SHELL_SCRIPT, TERMINAL_TERM } from '../shell';
import { hostProcesses } from '../../process/host-launch';
import { viaArgv } from '../../process/types';
import type { KillSpec } from '../../watchdog/kill';

/** What a path is, without following a final symlink (bwrap recreates links and binds folders). */
export function lstatKind(path: string): { kind: 'dir' | 'file' | 'symlink' | 'missing'; target?: string } {
  try {
    const s = lstatSync(path);
    if (s.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(path) };
    return { kind: s.isDirectory() ? 'dir' : 'file' };
  } catch {
    return { kind: 'missing' };
  }
}

export function createBwrapDriver(ctx: DriverContext): Driver {
  const bwrapPath = (): string | null => which('bwrap');
  let probe: Promise<{ ok: true; version: string } | { ok: false; hint: string }> | undefined;

  function detectOnce() {
    probe ??= (async () => {
      const bwrap = bwrapPath();
      if (!bwrap) return { ok: false as const, hint: 'bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap)' };
      const v = await ctx.runner.run([bwrap, '--version'], { timeoutMs: 10000 });
      // A trivial sandbox proves user namespaces work here.
      const t = await ctx.runner.run(
        [bwrap, '--unshare-all', '--uid', '1000', '--gid', '1000', ...systemArgs(), '--proc', '/proc', '--dev', '/dev', '--', '/bin/sh', '-c', 'true'],
        { timeoutMs: 10000, extendEnv: false, env: {} },
      );
      if (t.exitCode !== 0) {
        return {
          ok: false as const,
          hint: `bubblewrap cannot create a sandbox here (${t.stderr.trim().split('\n')[0] ?? 'unknown error'}): enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or allow bwrap in AppArmor)`,
        };
      }
      return { ok: true as const, version: v.stdout.trim() };
    })();
    return probe;
  }

  function systemArgs(): string[] {
    const a: string[] = [];
    for (const e of systemEntriesFrom('/', HOST_SYSTEM_DIRS, lstatKind)) {
      if (e.kind === 'symlink') a.push('--symlink', e.target, `/${e.name}`);
      else a.push('--ro-bind', `/${e.name}`, `/${e.name}`);
    }
    return a;
  }

  async function requireBwrap(): Promise<string> {
    const p = await detectOnce();
    if (!p.ok) throw new BenchtopError('BACKEND_UNAVAILABLE', `bwrap: ${p.hint}`, { hint: p.hint });
    return bwrapPath() as string;
  }

  /** The passwd the sandbox sees: the image's own, or the one generated for the host system. */
  function passwdText(ws: Workspace): string {
    const fromImage = ws.imageKind === 'rootfs' && ws.image;
    try {
      return readFileSync(fromImage ? join(ws.image as string, 'etc', 'passwd') : join(ctx.workspaceDir(ws), 'etc', 'passwd'), 'utf8');
    } catch {
      return fromImage ? '' : passwdFile();
    }
  }

  function userFor(ws: Workspace, user: string | undefined): SandboxUser | undefined {
    if (!user) return undefined;
    const found = resolveSandboxUser(passwdText(ws), user);
    if (!found) throw new BenchtopError('INVALID_INPUT', `user: no user "${user}" in the workspace's /etc/passwd`, { field: 'user' });
    return found;
  }

  function specFor(ws: Workspace, req: { cwd: string; env: Record<string, string>; hasSecrets: boolean; argv: string[]; newSession: boolean; term: string; user?: SandboxUser }): BwrapSpec {
    const dir = ctx.workspaceDir(ws);
    const fromImage = ws.imageKind === 'rootfs' && ws.image;
    const root = fromImage ? (ws.image as string) : '/';
    const names = fromImage ? imageEntryNames(readdirSync(root)) : HOST_SYSTEM_DIRS;
    return {
      ...(req.user ? { user: req.user } : {}),
      system: { root, entries: systemEntriesFrom(root, names, lstatKind), etcFiles: fromImage ? null : HOST_ETC_FILES },
      passwd: fromImage ? null : join(dir, 'etc', 'passwd'),
      group: fromImage ? null : join(dir, 'etc', 'group'),
      project: ws.project,
      home: join(dir, 'home'),
      hostname: ws.name,
      network: ws.network,
      cwd: req.cwd,
      // The marker inside too (after --clearenv): the command's own processes are the ones counted.
      env: { ...ws.env, ...req.env, [WORKSPACE_MARKER]: ws.id },
      hasSecrets: req.hasSecrets,
      newSession: req.newSession,
      term: req.term,
      argv: req.argv,
    };
  }

  return {
    id: 'bwrap',
    listKey: 'bwrap',
    descriptor: {
      label: 'Bubblewrap',
      summary: 'a fresh namespace sandbox for each command: the host system read-only (or a rootfs folder), a home of its own',
      isolation: 'namespaces',
      projectPath: SANDBOX_PROJECT,
      image: { use: 'optional', kinds: 'a rootfs folder (default: the host system, read-only)', example: '/srv/rootfs/debian-12', rootfs: true },
      supports: { tty: true, stdin: true, userSwitch: true, slurm: true, pull: false, apptainerOptions: false, files: true, ports: false, console: false },
      portsNote: 'not supported: bubblewrap runs each command in a fresh sandbox, so no process stays inside to serve a port',
      defaultNetwork: 'none',
      needsConsent: false,
      labelsSandboxes: false,
      ttlProcess: false,
      disk: {
        measures: "the workspace's folder: its home, journal and recordings; never the project folder",
        quota: 'measured',
        why: 'bubblewrap has no disk quota: the home is a folder on the host',
      },
    },

    async detect(): Promise<DetectedBackend> {
      const p = await detectOnce();
      return {
        id: 'bwrap',
        available: p.ok,
        version: p.ok ? p.version : null,
        hint: p.ok ? 'no cpu/memory/pids limits: bubblewrap has no cgroup of its own' : p.hint,
        capabilities: {
          enforcedLimits: [],
          network: ['none', 'full'],
          gpu: false,
          isolation: 'namespaces',
        },
      };
    },

    async resolveImage(image): Promise<ResolvedImage> {
      if (!image) return { image: null, imageKind: 'system' };
      if (!isAbsolute(image) && !image.startsWith('.')) {
        throw new BenchtopError('INVALID_INPUT', `image: bwrap takes a rootfs directory, not "${image}"`, { field: 'image' });
      }
      const dir = resolve(image);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new BenchtopError('INVALID_INPUT', `image: ${dir} is not a directory (a rootfs directory was expected)`, { field: 'image' });
      }
      return { image: realpathSync(dir), imageKind: 'rootfs' };
    },

    async prepare(ws) {
      const dir = ctx.workspaceDir(ws);
      mkdirSync(join(dir, 'home'), { recursive: true, mode: 0o755 });
      mkdirSync(join(dir, 'etc'), { recursive: true });
      writeFileSync(join(dir, 'etc', 'passwd'), passwdFile());
      writeFileSync(join(dir, 'etc', 'group'), groupFile());
    },

    ...placeLifecycle({ ready: async () => void (await requireBwrap()) }),

    ...hostProcesses(ctx.runner, {
      launch(ws, req) {
        // The sandbox probe ran when the workspace started; a missing bwrap still fails clearly.
        const bwrap = bwrapPath();
        if (!bwrap) throw new BenchtopError('BACKEND_UNAVAILABLE', 'bwrap: bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap)');
        const hasSecrets = Object.keys(req.secretEnv).length > 0;
        const user = userFor(ws, req.user);
        // No --new-session for a terminal: an interactive shell needs it as its controlling tty.
        const argv = buildBwrapArgv(
          bwrap,
          specFor(ws, {
            cwd: req.cwd,
            env: req.env,
            hasSecrets,
            argv: req.argv ?? ['sh', '-c', LOGIN_SHELL_SCRIPT],
            newSession: !req.tty,
            term: req.tty ? TERMINAL_TERM : 'dumb',
            ...(user ? { user } : {}),
          }),
        );
        // Markers in bwrap's own environment (cleared inside) let stop/timeout find it; bwrap is not one of the workspace's processes.
        const markers = { PATH: process.env.PATH ?? '/usr/bin:/bin', [WORKSPACE_MARKER]: ws.id, [PLUMBING_MARKER]: '1', [EXEC_MARKER]: req.id };
        const via = viaArgv(req);
        // srun forwards no fd 3: under SLURM the launcher runs on the node and opens it there.
        const remote = via.length > 0 && hasSecrets ? withFd3Launcher(argv, markers, secretArgsPayload(req.secretEnv)) : null;
        return {
          argv: [...via, ...(remote?.argv ?? argv)],
          extendEnv: false,
          env: remote?.env ?? markers,
          ...(hasSecrets && !remote ? { fd3: secretArgsPayload(req.secretEnv) } : {}),
          failurePrefix: 'bwrap: ',
        };
      },
      killSpec: (ws, id, via) => bwrapKillSpec(id, via),
    }),

    async diagnose(_ws, _req, { exitCode, stderrTail }) {
      return bwrapSetupFailure(exitCode, stderrTail);
    },

    defaultCwd: () => SANDBOX_PROJECT,
  };
}

/** bwrap dies with its parent and takes its whole sandbox with it: ending the marked bwrap is enough. */
function bwrapKillSpec(execId: string, prefix: string[] = []): KillSpec {
  if (prefix.length) return { kind: 'argv', argv: [...prefix, 'sh', '-c', KILL_EXEC_SCRIPT, 'benchtop-kill', execId] };
  return { kind: 'env', marker: `${EXEC_MARKER}=${execId}` };
}

/**
 * bwrap's own words for a sandbox it could not set up (it exits 1 with one
 * `bwrap: ` line before the command starts), as opposed to the command's failure.
 */
export function bwrapSetupFailure(exitCode: number, stderrTail: string): SandboxFailure | null {
  if (exitCode !== 1) return null;
  const last = stderrTail.trimEnd().split('\n').pop() ?? '';
  if (!last.startsWith('bwrap: ')) return null;
  // A program that is not there is the command's own failure (podman's 127), not the sandbox's.
  if (/^bwrap: execvp /.test(last)) return null;
  const cwd = /^bwrap: Can't chdir to (.*): No such file or directory$/.exec(last);
  if (cwd) return { reason: `cwd: ${cwd[1]}: no such folder in the sandbox`, field: 'cwd', notRun: true };
  return { reason: `bubblewrap could not set up the sandbox: ${last.slice('bwrap: '.length)}`, notRun: true };
}
