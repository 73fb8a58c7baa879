/**
 * Drivers whose sandboxes are entered by running a host program (podman
 * exec, bwrap, apptainer exec, a host shell) describe that program once, for
 * pipes and terminals alike; `hostSpawner` turns the description into the
 * process protocol. A guest agent reached over a byte stream implements
 * `spawn` itself instead.
 */
import type { Workspace } from '../../../src-preload/contract';
import type { Runner } from '../runner/runner';
import { runKill, type KillSpec } from '../watchdog/kill';
import { spawnPipes } from './host-pipes';
import { spawnPty } from './host-pty';
import { viaArgv, type ProcessSink, type SandboxProcess, type SpawnRequest } from './types';

/** The host process that carries one process in a sandbox. */
export interface HostLaunch {
  argv: string[];
  /** Environment of the host process (secret values travel here, never in argv). */
  env: Record<string, string>;
  /** Whether `env` is added to this process's environment (default) or replaces it. */
  extendEnv?: boolean;
  cwd?: string;
  /** Data for fd 3 (bwrap --args 3); a PTY child gets it through a small launcher. */
  fd3?: Uint8Array;
  /** Start it in its own process group and kill the group (host commands, which nothing else contains). */
  killProcessGroup?: boolean;
  /** How the sandbox's own error lines begin (see SandboxProcess.failurePrefix). */
  failurePrefix?: string;
  /** Whether the processes it starts show in this host's /proc (false under gVisor's own kernel). */
  hostVisible?: boolean;
}

export interface HostLaunchDriver {
  /** The host program for this request (its carrier, `viaArgv(req)`, already in front). */
  launch(ws: Workspace, req: SpawnRequest): HostLaunch;
  killSpec(ws: Workspace, id: string, via?: string[]): KillSpec;
}

/** Whether a terminal is carried by `srun --pty`, whose window size must wait for its pty connection. */
function viaSrunPty(req: SpawnRequest): boolean {
  return viaArgv(req).includes('--pty');
}

/** A driver's process members from its host program: `spawn` runs what `launch` describes. */
export function hostProcesses(runner: Runner, driver: HostLaunchDriver): HostLaunchDriver & { spawn(ws: Workspace, req: SpawnRequest, sink: ProcessSink): Promise<SandboxProcess> } {
  const spawn = async (ws: Workspace, req: SpawnRequest, sink: ProcessSink): Promise<SandboxProcess> => {
    const launch = driver.launch(ws, req);
    const killTree = () => runKill(runner, driver.killSpec(ws, req.id, req.via?.pipes));
    const hostVisible = (launch.hostVisible ?? true) && !req.via;
    if (req.tty) return spawnPty(launch, req.tty, sink, { killTree, hostVisible, holdResizeUntilOutput: viaSrunPty(req) });
    return spawnPipes(runner, launch, req.stdin, sink, { killTree, hostVisible });
  };
  return { launch: (ws, req) => driver.launch(ws, req), killSpec: (ws, id, via) => driver.killSpec(ws, id, via), spawn };
}
