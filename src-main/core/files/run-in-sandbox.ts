/**
 * The one way the file copies run a process inside a workspace's sandbox:
 * the driver's `spawn` (podman exec -i, a fresh bwrap with fd 3, a host
 * process; carried by `srun` under SLURM), as exec and terminals do.
 */
import { randomUUID } from 'node:crypto';
import type { Workspace } from '../../../src-preload/contract';
import type { Driver, SandboxFailure } from '../drivers/types';
import type { Carrier, ProcessExit, SandboxProcess, SpawnRequest } from '../process/types';

export interface SandboxProcessHost {
  driver(ws: Workspace): Driver;
  /** What carries a process to where the workspace is placed (SLURM: srun into the allocation). */
  carrier(ws: Workspace): Carrier | undefined;
}

/** One copy's process (tar, or its checks), usable at once: input written before it started waits for it. */
export interface CopyProcess {
  /** Resolves once written, so a sender that awaits each chunk never outruns tar. */
  write(data: Buffer): Promise<void>;
  end(): void;
  /** Rejects when the process could not be started (the driver's own error). */
  exited: Promise<ProcessExit>;
  /** Ends it, inside the sandbox too (killing `podman exec` alone would leave the command running there). */
  kill(): Promise<void>;
  /** After a non-zero exit: whether the sandbox, not the command, failed (a container removed meanwhile…). */
  diagnose(exitCode: number, stderrTail: string): Promise<SandboxFailure | null>;
}

export function runInSandbox(
  host: SandboxProcessHost,
  ws: Workspace,
  opts: { argv: string[]; stdin: boolean; onStdout(chunk: Buffer): void; onStderr(chunk: Buffer): void },
): CopyProcess {
  const driver = host.driver(ws);
  const via = host.carrier(ws);
  const req: SpawnRequest = {
    argv: opts.argv,
    cwd: driver.defaultCwd(ws),
    env: {},
    // A copy needs none of the workspace's secrets: they stay out of its process.
    secretEnv: {},
    id: randomUUID(),
    stdin: opts.stdin,
    ...(via ? { via } : {}),
  };
  const spawned: Promise<SandboxProcess> = driver.spawn(ws, req, (stream, chunk) => (stream === 'stdout' ? opts.onStdout(chunk) : opts.onStderr(chunk)));
  // Not started: whoever waits for the exit hears why; nothing else waits on it unhandled.
  spawned.catch(() => undefined);
  return {
    write: async (data) => (await spawned).write(data),
    end: () => void spawned.then((p) => p.end(), () => undefined),
    exited: spawned.then((p) => p.exited),
    async kill() {
      const p = await spawned.catch(() => null);
      if (!p) return;
      await p.killTree();
      p.kill();
    },
    async diagnose(exitCode, stderrTail) {
      return driver.diagnose ? driver.diagnose(ws, req, { exitCode, stderrTail }).catch(() => null) : null;
    },
  };
}
