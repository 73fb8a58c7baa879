/**
 * The one process protocol: how anything (exec, terminals, `benchtop shell`,
 * copies) runs a process in a sandbox. A driver's `spawn` returns a handle;
 * the caller never learns whether a host argv under a PTY, a pipe, or a byte
 * stream to a guest agent carries it.
 *
 * Shaped after VS Code's ITerminalChildProcess (input, resize, flow control
 * by pausing the source, an exit event) and Tabby's BaseSession (output as
 * bytes, early output never lost): output goes to a sink given at spawn, so
 * nothing a process says before the caller holds the handle can be dropped.
 */
export type OutputStream = 'stdout' | 'stderr';

/** Receives output as it arrives, bytes untouched. A terminal has one stream (stdout). */
export type ProcessSink = (stream: OutputStream, chunk: Buffer) => void;

export interface SpawnRequest {
  /** What to run; absent: the workspace's login shell (a terminal). */
  argv?: string[];
  /** Absolute path inside the sandbox. */
  cwd: string;
  env: Record<string, string>;
  /** Reaches the process's environment without ever appearing in an argv. */
  secretEnv: Record<string, string>;
  /** Unique per process: marks everything it starts, so its whole tree can be found and killed. */
  id: string;
  /** Run as this user (a name or uid) inside the sandbox; absent: the workspace's default user. */
  user?: string;
  /** Keep stdin open (`exec -i`); otherwise it reads an empty stdin. A terminal always has input. */
  stdin: boolean;
  /** A terminal of this size: stdout and stderr become one stream, and it can be resized. */
  tty?: { cols: number; rows: number };
  /**
   * Host argvs the process is carried through first (SLURM placement: `srun
   * --jobid … --overlap`, with `--pty` for a terminal); only drivers whose
   * processes are host argvs take it.
   */
  via?: Carrier;
}

/** A host argv in front of another: one for pipes, one for a terminal. */
export interface Carrier {
  pipes: string[];
  tty: string[];
}

/** The carrier's argv for this request (none when it is not carried). */
export function viaArgv(req: Pick<SpawnRequest, 'via' | 'tty'>): string[] {
  if (!req.via) return [];
  return req.tty ? req.via.tty : req.via.pipes;
}

export interface ProcessExit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

/** One process running in a sandbox. */
export interface SandboxProcess {
  /** Host pid of what carries it (podman exec, bwrap, srun, a PTY child), when there is one. */
  readonly pid: number | undefined;
  /** Whether its processes can be seen in this host's /proc (not on another node, not under gVisor's kernel). */
  readonly hostVisible: boolean;
  /**
   * How the sandbox's own error lines begin on stderr ("Error: " for podman,
   * "bwrap: "), when it reports its failures there: such stderr is held back
   * until it is known whether the command ran (see workspaces/exec.ts).
   */
  readonly failurePrefix?: string;
  /** Resolves once written, so a caller that awaits each chunk never outruns the process. */
  write(data: Buffer | string): Promise<void>;
  /** End of input (pipes); a terminal has none (its user types ^D). */
  end(): void;
  resize(cols: number, rows: number): void;
  /** Flow control: stop reading its output until resumed (the process blocks when its buffer fills). */
  pause(): void;
  resume(): void;
  /** Ends what carries it (a hang-up for a terminal, SIGKILL for a pipe). */
  kill(): void;
  /** Ends everything it started inside the sandbox; an error line when that failed. */
  killTree(): Promise<string | undefined>;
  readonly exited: Promise<ProcessExit>;
}
