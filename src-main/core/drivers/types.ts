/**
 * What every backend driver provides. Drivers build argv with pure functions
 * (see each driver's argv.ts) and hand them to the shared runner.
 */
import type { BackendDescriptor, BackendId, BackendInfo, ImageChoice, Workspace } from '../../../src-preload/contract';
import type { HostInfo } from '../host/hostinfo';
import type { Runner } from '../runner/runner';
import type { KillSpec } from '../watchdog/kill';
import type { AllocationPlan } from '../slurm/argv';

export interface DriverContext {
  runner: Runner;
  host: HostInfo;
  /** The workspace's own folder on the host (record, journal, home, files). */
  workspaceDir(ws: Workspace): string;
  /** The data folder: labelled on sandboxes that can carry labels, so one whose record is lost is still ours. */
  home?: string;
}

/** What the backend says about one of its sandboxes, from its single list call. */
export interface SandboxStatus {
  running: boolean;
  /** Backend's own words (e.g. "exited (137)"), used as the reason when it died. */
  description: string;
  exitCode?: number | null;
  /**
   * What the sandbox says of itself (podman: container name and labels), so
   * a workspace whose record is lost can still be shown and removed.
   */
  sandbox?: { container?: string; name?: string; backend?: string; home?: string; createdAt?: string; image?: string };
}

export interface DriverExecRequest {
  /** The argv to run inside the sandbox. */
  argv: string[];
  /** Absolute path inside the sandbox. */
  cwd: string;
  env: Record<string, string>;
  /** Passed to the sandbox without ever appearing in an argv. */
  secretEnv: Record<string, string>;
  /** Unique per exec: marks every process of the command, so its whole tree can be found and killed. */
  execId: string;
  /** Keep the command's stdin open (as `podman exec -i`); otherwise it reads an empty stdin. */
  stdin: boolean;
  /** Run as this user (a name or uid) inside the sandbox; absent: the workspace's default user. */
  user?: string;
  /** Runs the driver's argv through this first (e.g. `srun --jobid=… --overlap` for SLURM placement). */
  prefix?: string[];
}

/** The host process that runs one command in a sandbox; exec starts it, streams it and times it out. */
export interface ExecLaunch {
  argv: string[];
  /** Environment of the host process (secret values travel here, never in argv). */
  env: Record<string, string>;
  /** Whether `env` is added to this process's environment (default) or replaces it. */
  extendEnv?: boolean;
  cwd?: string;
  /** Data for fd 3 (bwrap --args 3). */
  fd3?: Uint8Array;
  /** Start it in its own process group and kill the group (host commands, which nothing else contains). */
  killProcessGroup?: boolean;
  /**
   * How the sandbox's own error lines begin ("Error: " for podman, "bwrap: ").
   * stderr that holds only such lines is held back from the caller until it is
   * known whether the command ran: a sandbox failure is then reported as one
   * line of Benchtop's, not as the sandbox's words (the journal keeps them).
   */
  failurePrefix?: string;
}

/** The sandbox, not the command, failed: the command did not run, or was cut off by the sandbox. */
export interface SandboxFailure {
  /** One line for the user, e.g. "the container was removed while the command ran". */
  reason: string;
  /** The input field at fault, when it is the caller's (e.g. cwd): reported as INVALID_INPUT. */
  field?: string;
  /** True when the command never started. */
  notRun: boolean;
  /** The sandbox was not running when asked: the workspace's state is out of date. */
  notRunning?: boolean;
}

/** Result of validating --image for a backend. */
export interface ResolvedImage {
  image: string | null;
  imageKind: 'image' | 'rootfs' | 'system';
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

/** How connections reach one port inside a sandbox (see core/ports/). */
export interface PortRelay {
  /** A host argv whose stdin and stdout are one connection to the port inside; run once per connection. */
  argv: string[];
  /** A host process that lives as long as the sandbox: the forwarder ends when it is gone. */
  watchPid?: number;
}

/** A backend's own image store (podman's): what is in it, and pulling into it. */
export interface DriverImages {
  list(): Promise<ImageChoice[]>;
  /** Pulls `ref` (validated by the contract); each progress line as it comes. Resolves to the stored image. */
  pull(ref: string, onLine: (line: string) => void): Promise<ImageChoice>;
}

/** What a driver finds on this host; the service adds the driver's descriptor. */
export type DetectedBackend = Omit<BackendInfo, 'descriptor'>;

export interface Driver {
  readonly id: BackendId;
  /** What this backend is, the same on every host (see backendDescriptorSchema). */
  readonly descriptor: BackendDescriptor;
  /** Present when the backend keeps images of its own (rootfs folders and files are found from earlier workspaces). */
  readonly images?: DriverImages;
  /** Drivers with the same key share one list call per refresh (podman and gvisor). */
  readonly listKey: string;
  detect(): Promise<DetectedBackend>;
  resolveImage(image: string | undefined): Promise<ResolvedImage>;
  /**
   * Whether a workspace here can have a GPU: null when it can, else why not
   * and how to fix it. A driver without it cannot give GPUs at all.
   */
  gpuSupport?(): Promise<string | null>;
  /** Prepares host-side files (called once, at create). */
  prepare(ws: Workspace): Promise<void>;
  /** Starts the sandbox, or adopts it when it is already running. Returns whether it adopted. */
  start(ws: Workspace, secretEnv: Record<string, string>): Promise<{ adopted: boolean; runtime: Workspace['runtime'] }>;
  stop(ws: Workspace): Promise<void>;
  /** Stops and deletes the sandbox (not the record). Idempotent. */
  remove(ws: Workspace): Promise<void>;
  /** Sandboxes this driver owns, by workspace id, in ONE backend call. */
  list(workspaces: Workspace[]): Promise<Map<string, SandboxStatus>>;
  /** How to run one command in the sandbox (exec runs it; see workspaces/exec.ts). */
  execLaunch(ws: Workspace, req: DriverExecRequest): ExecLaunch;
  /** How to end one command's (or terminal's) whole process tree inside the sandbox, from any process. */
  killSpec(ws: Workspace, execId: string, prefix?: string[]): KillSpec;
  /**
   * After a command ended with a non-zero code and this stderr tail: whether
   * the sandbox failed rather than the command (its code is then not the command's).
   */
  diagnose?(ws: Workspace, req: DriverExecRequest, outcome: { exitCode: number; stderrTail: string }): Promise<SandboxFailure | null>;
  /**
   * For SLURM placement: how the allocation script starts the sandbox, tells
   * that it lives, and stops it. Absent: the allocation itself is the sandbox's
   * home (bwrap: each exec is a fresh sandbox inside it).
   */
  allocationPlan?(ws: Workspace): AllocationPlan;
  /** What a terminal into this workspace runs. `sessionId` marks its processes like an exec id. */
  shellCommand(ws: Workspace, opts: { sessionId: string; secretEnv: Record<string, string>; user?: string }): TerminalSource;
  /**
   * How to carry connections to `port` inside this running workspace (throws
   * when it cannot, e.g. an image without nc under gVisor). Absent: the backend
   * cannot publish ports; its descriptor's `portsNote` says why.
   */
  portRelay?(ws: Workspace, port: number): Promise<PortRelay>;
  /** Default working directory inside the sandbox. */
  defaultCwd(ws: Workspace): string;
}
