/**
 * What every backend driver provides. Drivers build argv with pure functions
 * (see each driver's argv.ts) and hand them to the shared runner; processes
 * in a sandbox are started through the one process protocol (process/types.ts).
 */
import type { BackendDescriptor, BackendId, BackendInfo, ImageChoice, Workspace } from '../../../src-preload/contract';
import type { HostInfo } from '../host/hostinfo';
import type { Runner } from '../runner/runner';
import type { KillSpec } from '../watchdog/kill';
import type { ProcessSink, SandboxProcess, SpawnRequest } from '../process/types';
import type { HostLaunch } from '../process/host-launch';
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
  /** How many live processes the workspace has, where the backend can tell (bwrap, host: by their marker). */
  processes?: number;
}

/** What a stop did, where the backend can tell. */
export interface StopReport {
  /** The workspace's processes it ended (TERM, then KILL). */
  processesEnded?: number;
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

/** How connections reach one port inside a sandbox (see core/ports/). */
export interface PortRelay {
  /** A host argv whose stdin and stdout are one connection to the port inside; run once per connection. */
  argv: string[];
  /** A host process that lives as long as the sandbox: the forwarder ends when it is gone. */
  watchPid?: number;
}

/** A backend's own image store (podman's, the VM images): what is in it, and pulling into it where it can. */
export interface DriverImages {
  list(): Promise<ImageChoice[]>;
  /** Pulls `ref` (validated by the contract); each progress line as it comes. Resolves to the stored image. Absent: images are built, not pulled. */
  pull?(ref: string, onLine: (line: string) => void): Promise<ImageChoice>;
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
  /**
   * Decides, at create, what the workspace runs on (the OCI runtime, rootless
   * or not); kept in its record so every later start uses the same.
   */
  chooseRuntime?(): Promise<Workspace['runtime']>;
  /** Refuses limits this backend cannot take in that form (e.g. a fraction of a vCPU), before anything is written. */
  checkLimits?(limits: Pick<Workspace['limits'], 'cpus' | 'memoryMiB' | 'pids'>): void;
  /** Prepares host-side files (called once, at create). */
  prepare(ws: Workspace): Promise<void>;
  /** Starts the sandbox, or adopts it when it is already running. Returns whether it adopted. */
  start(ws: Workspace, secretEnv: Record<string, string>): Promise<{ adopted: boolean; runtime: Workspace['runtime'] }>;
  stop(ws: Workspace): Promise<StopReport | void>;
  /** Stops and deletes the sandbox (not the record). Idempotent. */
  remove(ws: Workspace): Promise<void>;
  /** Sandboxes this driver owns, by workspace id, in ONE backend call. */
  list(workspaces: Workspace[]): Promise<Map<string, SandboxStatus>>;
  /**
   * The disk use (bytes) of each sandbox's own writable layer, by workspace
   * id, in ONE backend call. Absent: the backend keeps nothing of a workspace
   * outside its folder.
   */
  sandboxDiskUse?(workspaces: Workspace[]): Promise<Map<string, number>>;
  /**
   * Starts one process in the running sandbox (a command, a terminal's shell,
   * a copy's tar): everything that runs in a workspace goes through here.
   */
  spawn(ws: Workspace, req: SpawnRequest, sink: ProcessSink): Promise<SandboxProcess>;
  /**
   * Drivers whose sandboxes are entered by a host program: the program `spawn`
   * runs for a request (argv tests and the benchmarks read it).
   */
  launch?(ws: Workspace, req: SpawnRequest): HostLaunch;
  /** How to end one process's whole tree inside the sandbox, from any process (the watchdog too). */
  killSpec(ws: Workspace, id: string, via?: string[]): KillSpec;
  /**
   * After a command ended with a non-zero code and this stderr tail: whether
   * the sandbox failed rather than the command (its code is then not the command's).
   */
  diagnose?(ws: Workspace, req: SpawnRequest, outcome: { exitCode: number; stderrTail: string }): Promise<SandboxFailure | null>;
  /**
   * For SLURM placement: how the allocation script starts the sandbox, tells
   * that it lives, and stops it. Absent: the allocation itself is the sandbox's
   * home (bwrap: each exec is a fresh sandbox inside it).
   */
  allocationPlan?(ws: Workspace): AllocationPlan;
  /**
   * How to carry connections to `port` inside this running workspace (throws
   * when it cannot, e.g. an image without nc under gVisor). Absent: the backend
   * cannot publish ports; its descriptor's `portsNote` says why.
   */
  portRelay?(ws: Workspace, port: number): Promise<PortRelay>;
  /** Where the machine's console is written (a VM's serial console); absent: it has none. */
  consoleLog?(ws: Workspace): string;
  /** Default working directory inside the sandbox. */
  defaultCwd(ws: Workspace): string;
}
