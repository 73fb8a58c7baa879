/**
 * What every backend driver provides. Drivers build argv with pure functions
 * (see each driver's argv.ts) and hand them to the shared runner.
 */
import type { BackendId, BackendInfo, Workspace } from '../../../src-preload/contract';
import type { HostInfo } from '../host/hostinfo';
import type { Runner, RunResult } from '../runner/runner';
import type { AllocationPlan } from '../slurm/argv';

export interface DriverContext {
  runner: Runner;
  host: HostInfo;
  /** The workspace's own folder on the host (record, journal, home, files). */
  workspaceDir(ws: Workspace): string;
}

/** What the backend says about one of its sandboxes, from its single list call. */
export interface SandboxStatus {
  running: boolean;
  /** Backend's own words (e.g. "exited (137)"), used as the reason when it died. */
  description: string;
  exitCode?: number | null;
}

export interface DriverExecRequest {
  /** The argv to run inside the sandbox. */
  argv: string[];
  /** Absolute path inside the sandbox. */
  cwd: string;
  env: Record<string, string>;
  /** Passed to the sandbox without ever appearing in an argv. */
  secretEnv: Record<string, string>;
  timeoutMs: number;
  /** Unique per exec: lets the driver find and kill what the command left behind. */
  execId: string;
  maxOutputBytes: number;
  /** Runs the driver's argv through this first (e.g. `srun --jobid=… --overlap` for SLURM placement). */
  prefix?: string[];
}

export interface DriverExecResult extends RunResult {
  /** Set when a timeout's clean-up inside the sandbox did not succeed. */
  cleanupError?: string;
}

/** Result of validating --image for a backend. */
export interface ResolvedImage {
  image: string | null;
  imageKind: 'image' | 'rootfs' | 'host';
}

/**
 * What a terminal runs: a host argv under a PTY (podman/gvisor exec -it, a
 * fresh bwrap, a host shell), or — for microVM guest agents later — a byte
 * stream. The PTY service takes either.
 */
export type TerminalSource =
  | {
      kind: 'argv';
      argv: string[];
      /** The process's whole environment (nothing is inherited implicitly). */
      env: Record<string, string>;
      cwd?: string;
      /** Data for fd 3 (bwrap --args 3), passed through a small launcher since a PTY has no fd 3. */
      fd3?: string;
      /** Clean-up after the terminal ends or is closed (e.g. kill what it left inside a container). */
      cleanup?: () => Promise<void>;
      /** Runs before the argv and the fd-3 launcher (e.g. `srun --pty` for SLURM placement). */
      prefix?: string[];
    }
  | { kind: 'stream'; open(): NodeJS.ReadWriteStream; cleanup?: () => Promise<void> };

export interface Driver {
  readonly id: BackendId;
  /** Drivers with the same key share one list call per refresh (podman and gvisor). */
  readonly listKey: string;
  detect(): Promise<BackendInfo>;
  resolveImage(image: string | undefined): Promise<ResolvedImage>;
  /** Prepares host-side files (called once, at create). */
  prepare(ws: Workspace): Promise<void>;
  /** Starts the sandbox, or adopts it when it is already running. Returns whether it adopted. */
  start(ws: Workspace, secretEnv: Record<string, string>): Promise<{ adopted: boolean; runtime: Workspace['runtime'] }>;
  stop(ws: Workspace): Promise<void>;
  /** Stops and deletes the sandbox (not the record). Idempotent. */
  remove(ws: Workspace): Promise<void>;
  /** Sandboxes this driver owns, by workspace id, in ONE backend call. */
  list(workspaces: Workspace[]): Promise<Map<string, SandboxStatus>>;
  exec(ws: Workspace, req: DriverExecRequest): Promise<DriverExecResult>;
  /**
   * For SLURM placement: how the allocation script starts the sandbox, tells
   * that it lives, and stops it. Absent: the allocation itself is the sandbox's
   * home (bwrap: each exec is a fresh sandbox inside it).
   */
  allocationPlan?(ws: Workspace): AllocationPlan;
  /** What a terminal into this workspace runs. `sessionId` marks its processes like an exec id. */
  shellCommand(ws: Workspace, opts: { sessionId: string; secretEnv: Record<string, string> }): TerminalSource;
  /** Default working directory inside the sandbox. */
  defaultCwd(ws: Workspace): string;
}
