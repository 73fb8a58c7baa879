/**
 * The host "backend": plain processes in the project folder, with no
 * isolation at all. Only created with an explicit --allow-host, and reported
 * everywhere as "no isolation" (pyro's allow_host_compat).
 */
import { statSync } from 'node:fs';
import { BenchtopError } from '../../../../src-preload/contract';
import { WORKSPACE_MARKER } from '../../host/procscan';
import { EXEC_MARKER } from '../podman/argv';
import { TERMINAL_TERM } from '../shell';
import { hostProcesses } from '../../process/host-launch';
import type { Driver, DriverContext, ResolvedImage, DetectedBackend } from '../types';
import { placeLifecycle } from '../shared/place-lifecycle';

export function createHostDriver(ctx: DriverContext): Driver {
  return {
    id: 'host',
    listKey: 'host',
    descriptor: {
      label: 'Host (no isolation)',
      summary: 'commands run as you, on this machine, in the project folder: no sandbox at all',
      isolation: 'none',
      projectPath: null,
      image: { use: 'none', kinds: 'none: the host system', example: '', rootfs: false },
      supports: { tty: true, stdin: true, userSwitch: false, slurm: false, pull: false, apptainerOptions: false, files: true, ports: false, console: false },
      portsNote: 'not needed: programs in a host workspace listen on the host itself (use 127.0.0.1:PORT directly)',
      defaultNetwork: 'full',
      needsConsent: true,
      labelsSandboxes: false,
      ttlProcess: false,
      disk: {
        measures: "only the workspace's folder (journal, recordings): commands write wherever you can",
        quota: 'measured',
        why: 'no sandbox: nothing holds the commands to a quota',
      },
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
    ...placeLifecycle({ ready: async () => undefined }),

    ...hostProcesses(ctx.runner, {
      launch(ws, req) {
        if (req.user) throw new BenchtopError('INVALID_INPUT', 'user: a host workspace runs commands as you; it cannot switch users', { field: 'user' });
        if (!isDirectory(req.cwd)) throw new BenchtopError('INVALID_INPUT', `cwd: ${req.cwd}: no such folder`, { field: 'cwd' });
        const shell = process.env.SHELL && process.env.SHELL.startsWith('/') ? process.env.SHELL : '/bin/sh';
        return {
          argv: req.argv ?? [shell, '-l'],
          cwd: req.cwd,
          env: { ...ws.env, ...req.env, ...req.secretEnv, ...(req.tty ? { TERM: TERMINAL_TERM } : {}), [WORKSPACE_MARKER]: ws.id, [EXEC_MARKER]: req.id },
          // Nothing else contains a host command: it gets a process group of its own (a terminal has its session).
          ...(req.tty ? {} : { killProcessGroup: true }),
        };
      },
      killSpec: (_ws, id) => ({ kind: 'env', marker: `${EXEC_MARKER}=${id}` }),
    }),

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
