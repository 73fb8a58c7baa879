/**
 * The host "backend": plain processes in the project folder, with no
 * isolation at all. Only created with an explicit --allow-host, and reported
 * everywhere as "no isolation" (pyro's allow_host_compat).
 */
import { statSync } from 'node:fs';
import { BenchtopError } from '../../../../src-preload/contract';
import { killByEnv, WORKSPACE_MARKER } from '../../host/procscan';
import { EXEC_MARKER } from '../podman/argv';
import type { Driver, DriverContext, ResolvedImage, SandboxStatus, DetectedBackend } from '../types';

export function createHostDriver(_ctx: DriverContext): Driver {
  return {
    id: 'host',
    listKey: 'host',
    descriptor: {
      label: 'Host (no isolation)',
      summary: 'commands run as you, on this machine, in the project folder: no sandbox at all',
      isolation: 'none',
      projectPath: null,
      image: { use: 'none', kinds: 'none: the host system', example: '', rootfs: false },
      supports: { tty: true, stdin: true, userSwitch: false, slurm: false, pull: false, apptainerOptions: false, files: true },
      defaultNetwork: 'full',
      needsConsent: true,
      labelsSandboxes: false,
      ttlProcess: false,
    },

    async detect(): Promise<DetectedBackend> {
      return {
        id: 'host',
        available: true,
        version: `${process.platform} ${process.arch}`,
        hint: 'no isolation: commands run as you, on this machine (needs --allow-host)',
        capabilities: {
          enforcedLimits: [],
          network: ['full'],
          gpu: true,
          isolation: 'none',
        },
      };
    },

    async resolveImage(image): Promise<ResolvedImage> {
      if (image) throw new BenchtopError('INVALID_INPUT', 'image: the host backend runs no image', { field: 'image' });
      return { image: null, imageKind: 'system' };
    },

    async prepare() {},
    async start() {
      return { adopted: false, runtime: {} };
    },
    async stop(ws) {
      await killByEnv(`${WORKSPACE_MARKER}=${ws.id}`);
    },
    async remove(ws) {
      await killByEnv(`${WORKSPACE_MARKER}=${ws.id}`);
    },
    async list(workspaces): Promise<Map<string, SandboxStatus>> {
      const out = new Map<string, SandboxStatus>();
      for (const ws of workspaces) if (ws.state === 'running' || ws.state === 'starting') out.set(ws.id, { running: true, description: 'ready' });
      return out;
    },

    execLaunch(ws, req) {
      // Nothing else contains a host command: it gets a process group of its own.
      if (req.user) throw new BenchtopError('INVALID_INPUT', 'user: a host workspace runs commands as you; it cannot switch users', { field: 'user' });
      if (!isDirectory(req.cwd)) throw new BenchtopError('INVALID_INPUT', `cwd: ${req.cwd}: no such folder`, { field: 'cwd' });
      return {
        argv: req.argv,
        cwd: req.cwd,
        env: { ...ws.env, ...req.env, ...req.secretEnv, [WORKSPACE_MARKER]: ws.id, [EXEC_MARKER]: req.execId },
        killProcessGroup: true,
      };
    },

    killSpec(_ws, execId) {
      return { kind: 'env', marker: `${EXEC_MARKER}=${execId}` };
    },

    shellCommand(ws, { sessionId, secretEnv, user }) {
      if (user) throw new BenchtopError('INVALID_INPUT', 'user: a host workspace runs commands as you; it cannot switch users', { field: 'user' });
      const shell = process.env.SHELL && process.env.SHELL.startsWith('/') ? process.env.SHELL : '/bin/sh';
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
      return {
        kind: 'argv',
        argv: [shell, '-l'],
        cwd: ws.project,
        env: { ...env, ...ws.env, ...secretEnv, TERM: 'xterm-256color', [WORKSPACE_MARKER]: ws.id, [EXEC_MARKER]: sessionId },
        cleanup: async () => void (await killByEnv(`${EXEC_MARKER}=${sessionId}`)),
      };
    },

    defaultCwd: (ws) => ws.project,
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
