/**
 * What every microVM backend (qemu, firecracker) does the same way once its
 * VM runs: processes through the guest agent behind the VM's supervisor
 * (carried by srun when the VM is in a SLURM allocation), the list read from
 * the VM's files, the console, and the project copied in where it is not
 * shared live.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { BenchtopError, type Workspace } from '../../../../src-preload/contract';
import { AgentConnection } from '../../agent/client';
import { bridgeArgv, carriedStream } from '../../agent/carried';
import type { SpawnRequest } from '../../process/types';
import type { Runner } from '../../runner/runner';
import { TTL_REASON, type VmFiles } from '../../vm/files';
import { copyProjectIn } from '../../vm/project-copy';
import { LOGIN_SHELL_SCRIPT, TERMINAL_TERM } from '../shell';
import type { Driver, SandboxStatus } from '../types';
import { vmState } from './vm-process';

export const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A connection to the guest's agent: through the supervisor's socket, or carried onto the node (SLURM). */
export async function connectToGuest(runner: Runner, ws: Workspace, files: VmFiles, via?: SpawnRequest['via']): Promise<AgentConnection> {
  // Carried onto the node that runs the VM: its processes are not ours to look at.
  if (via) return AgentConnection.over(carriedStream(runner, bridgeArgv(via.pipes, process.execPath, files.agentSocket)));
  const state = vmState(files);
  if (state.kind !== 'running') {
    const why = state.kind === 'booting' ? 'it is still booting' : (state.exit?.reason ?? 'it is not running');
    throw new BenchtopError('CONFLICT', `workspace "${ws.name}": its VM is not running (${why})`);
  }
  return AgentConnection.connect(files.agentSocket);
}

/** No live share: the project goes in once, at the first start; /workspace then lives on the guest's own disk. */
export async function copyProjectOnce(ws: Workspace, files: VmFiles, backend: string): Promise<void> {
  if (existsSync(files.projectCopied)) return;
  const agent = await AgentConnection.connect(files.agentSocket);
  try {
    const bytes = await copyProjectIn(agent, ws.project);
    writeFileSync(files.projectCopied, `${JSON.stringify({ bytes, at: new Date().toISOString() })}\n`);
  } catch (e) {
    throw new BenchtopError('BACKEND_FAILED', `${backend}: could not copy the project into the VM: ${(e as Error).message}`);
  } finally {
    agent.close();
  }
}

/** The driver's part that is the same for every VM backend. */
export function vmGuestParts(runner: Runner, filesOf: (ws: Workspace) => VmFiles): Pick<Driver, 'list' | 'spawn' | 'killSpec' | 'consoleLog' | 'defaultCwd'> {
  return {
    async list(workspaces) {
      const out = new Map<string, SandboxStatus>();
      for (const ws of workspaces) {
        const state = vmState(filesOf(ws));
        if (state.kind === 'running') out.set(ws.id, { running: true, description: `running (kernel ${state.ready.kernel})` });
        else if (state.kind === 'booting') out.set(ws.id, { running: true, description: 'booting' });
        // Ended by its TTL: code 0, as a container's `sleep TTL` ends (the reconciler then says expired).
        else if (state.exit) out.set(ws.id, { running: false, description: state.exit.reason, ...(state.exit.reason === TTL_REASON ? { exitCode: 0 } : {}) });
      }
      return out;
    },

    async spawn(ws, req, sink) {
      const conn = await connectToGuest(runner, ws, filesOf(ws), req.via);
      const proc = await conn.spawn(
        {
          argv: req.argv ?? ['/bin/sh', '-c', LOGIN_SHELL_SCRIPT],
          cwd: req.cwd,
          env: { PATH: GUEST_PATH, ...ws.env, ...req.env, ...req.secretEnv, ...(req.tty ? { TERM: TERMINAL_TERM } : {}) },
          ...(req.user !== undefined ? { user: req.user } : {}),
          ...(req.tty ? { tty: req.tty } : {}),
        },
        sink,
      );
      // Without `stdin` it reads an empty input, as a pipe would give it.
      if (!req.stdin && !req.tty) proc.end();
      // One connection per process: when it ends, so does the connection (and a lost host closes its sessions).
      void proc.exited.then(() => conn.close());
      return proc;
    },

    // A process whose owner died is closed by the supervisor when the owner's connection drops.
    killSpec: () => ({ kind: 'all', specs: [] }),

    consoleLog: (ws) => filesOf(ws).console,

    defaultCwd: () => '/workspace',
  };
}
