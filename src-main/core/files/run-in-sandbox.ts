/**
 * The one way the file copies run a process inside a workspace's sandbox:
 * the driver's exec launch (podman exec -i, a fresh bwrap with fd 3, a host
 * process; behind `srun` under SLURM) started by the shared runner. Copies
 * call nothing else, so moving them to another process protocol is a change
 * here alone.
 */
import { randomUUID } from 'node:crypto';
import type { Workspace } from '../../../src-preload/contract';
import type { Driver, DriverExecRequest, SandboxFailure } from '../drivers/types';
import type { Exit, Runner } from '../runner/runner';
import { runKill } from '../watchdog/kill';

export interface SandboxProcessHost {
  readonly runner: Runner;
  driver(ws: Workspace): Driver;
  /** SLURM placement: the prefix that runs a command inside the allocation. */
  prefix(ws: Workspace): string[] | undefined;
}

export interface SandboxProcess {
  /** The process's stdin when asked for (else it reads an empty stdin). */
  stdin: NodeJS.WritableStream | null;
  exited: Promise<Exit>;
  /** Ends it, inside the sandbox too (killing `podman exec` alone would leave the command running there). */
  kill(): Promise<void>;
  /** After a non-zero exit: whether the sandbox, not the command, failed (a container removed meanwhile…). */
  diagnose(exitCode: number, stderrTail: string): Promise<SandboxFailure | null>;
}

export function runInSandbox(
  host: SandboxProcessHost,
  ws: Workspace,
  opts: { argv: string[]; stdin: boolean; onStdout(chunk: Buffer): void; onStderr(chunk: Buffer): void },
): SandboxProcess {
  const driver = host.driver(ws);
  const prefix = host.prefix(ws);
  const req: DriverExecRequest = {
    argv: opts.argv,
    cwd: driver.defaultCwd(ws),
    env: {},
    // A copy needs none of the workspace's secrets: they stay out of its process.
    secretEnv: {},
    execId: randomUUID(),
    stdin: opts.stdin,
    ...(prefix ? { prefix } : {}),
  };
  const launch = driver.execLaunch(ws, req);
  const started = host.runner.start(launch.argv, {
    env: launch.env,
    ...(launch.extendEnv !== undefined ? { extendEnv: launch.extendEnv } : {}),
    ...(launch.cwd ? { cwd: launch.cwd } : {}),
    ...(launch.fd3 ? { fd3: launch.fd3 } : {}),
    ...(launch.killProcessGroup ? { killProcessGroup: true } : {}),
    stdin: opts.stdin,
    onStdout: opts.onStdout,
    onStderr: opts.onStderr,
  });
  return {
    stdin: started.stdin,
    exited: started.exited,
    async kill() {
      await runKill(host.runner, driver.killSpec(ws, req.execId, prefix));
      started.kill();
    },
    async diagnose(exitCode, stderrTail) {
      return driver.diagnose ? driver.diagnose(ws, req, { exitCode, stderrTail }).catch(() => null) : null;
    },
  };
}
