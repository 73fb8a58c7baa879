/**
 * The one way core runs a non-interactive command: argv arrays only, never a
 * shell string. Output is streamed and capped (the head is kept, the total
 * counted) so a chatty command can neither exhaust memory nor be killed for
 * talking too much. Secrets reach the child through `env`, never argv.
 */
import { constants } from 'node:os';
import { execa } from 'execa';

export interface RunOptions {
  /** Extra environment; merged over the parent's unless `extendEnv` is false. */
  env?: Record<string, string>;
  extendEnv?: boolean;
  cwd?: string;
  timeoutMs?: number;
  /** Bytes kept per stream; the rest is counted and dropped. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Data offered to the child on file descriptor 3 (e.g. `bwrap --args 3`). */
  fd3?: Uint8Array;
  /** Run in its own process group and kill the whole group on timeout. */
  killProcessGroup?: boolean;
}

export interface RunResult {
  argv: string[];
  /** Exit code; 124 on timeout; 127 when the program could not be started. */
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  timedOut: boolean;
  /** Set when the program could not be started at all (e.g. not installed). */
  spawnError?: string;
}

export interface StartOptions extends Omit<RunOptions, 'timeoutMs' | 'maxOutputBytes'> {
  /** Each chunk of output as it arrives, bytes untouched. */
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** Give the child a stdin pipe (`started.stdin`); otherwise its stdin is /dev/null. */
  stdin?: boolean;
}

export interface Exit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Set when the program could not be started at all. */
  spawnError?: string;
}

/** A host process started by {@link Runner.start}, its output flowing to the callbacks. */
export interface Started {
  pid: number | undefined;
  stdin: NodeJS.WritableStream | null;
  /** Kills the process (its whole group when started with killProcessGroup). */
  kill(): void;
  /** Stops reading its output until resumed (the process blocks once the pipe fills). */
  pause(): void;
  resume(): void;
  exited: Promise<Exit>;
}

export interface Runner {
  run(argv: string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a process whose output is streamed, not collected (exec). */
  start(argv: string[], options: StartOptions): Started;
}

const DEFAULT_CAP = 1024 * 1024;

class CappedBuffer {
  private chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }
  // Decoding the kept head as a whole avoids splitting a UTF-8 sequence between chunks.
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function createExecaRunner(): Runner {
  const start = (argv: string[], options: StartOptions): Started => {
    const [file, ...args] = argv;
    if (!file) throw new Error('runner: empty argv');
    const stdio: ('ignore' | 'pipe' | Uint8Array)[] = [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
    if (options.fd3) stdio.push(options.fd3);
    const child = execa(file, args, {
      env: options.env,
      extendEnv: options.extendEnv ?? true,
      cwd: options.cwd,
      buffer: false,
      reject: false,
      stdio: stdio as ['pipe', 'pipe', 'pipe'],
      detached: options.killProcessGroup ?? false,
      // Signals are ours to send; execa's own cleanup would race the group kill.
      cleanup: !options.killProcessGroup,
    });
    child.stdout?.on('data', options.onStdout);
    child.stderr?.on('data', options.onStderr);
    // A command that exits without reading its input must not turn our late writes into a crash.
    child.stdin?.on('error', () => undefined);
    const kill = () => {
      try {
        if (options.killProcessGroup && child.pid) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const exited = child.then((result): Exit => {
      const spawnError = result.failed && result.exitCode === undefined && !result.isTerminated ? result.originalMessage : undefined;
      return { code: result.exitCode ?? null, signal: result.signal ?? null, ...(spawnError !== undefined ? { spawnError } : {}) };
    });
    const pause = () => {
      child.stdout?.pause();
      child.stderr?.pause();
    };
    const resume = () => {
      child.stdout?.resume();
      child.stderr?.resume();
    };
    return { pid: child.pid, stdin: child.stdin ?? null, kill, pause, resume, exited };
  };

  return {
    start,
    async run(argv, options = {}) {
      const cap = options.maxOutputBytes ?? DEFAULT_CAP;
      const out = new CappedBuffer(cap);
      const err = new CappedBuffer(cap);
      const started = performance.now();
      let timedOut = false;
      const child = start(argv, { ...options, onStdout: (c) => out.push(c), onStderr: (c) => err.push(c) });
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          child.kill();
        }, options.timeoutMs);
      }
      const exit = await child.exited;
      if (timer) clearTimeout(timer);
      const durationMs = performance.now() - started;
      return {
        argv,
        exitCode: timedOut ? 124 : exitCodeOf(exit),
        stdout: out.text(),
        stderr: err.text(),
        stdoutBytes: out.total,
        stderrBytes: err.total,
        stdoutTruncated: out.total > out.kept,
        stderrTruncated: err.total > err.kept,
        durationMs,
        timedOut,
        ...(exit.spawnError !== undefined ? { spawnError: exit.spawnError } : {}),
      };
    },
  };
}

/** An exit as a shell reports it: the code, 128 + the signal's number, or 127 when it never started. */
export function exitCodeOf(exit: Exit): number {
  if (exit.spawnError !== undefined) return 127;
  if (exit.code !== null) return exit.code;
  return 128 + signalNumber(exit.signal ?? undefined);
}

function signalNumber(signal: string | undefined): number {
  return signal ? (constants.signals[signal as NodeJS.Signals] ?? 0) : 0;
}

/**
 * A short command fed `input` on stdin, its whole output kept (the keyring's
 * secret-tool: values travel on stdin/stdout, never argv). Asynchronous: the
 * main process also carries every terminal, which a blocking wait would freeze.
 */
export async function runWithInput(argv: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runner: empty argv');
  const r = await execa(file, args, {
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 10000,
    reject: false,
    env: options.env,
    stripFinalNewline: false,
  });
  return { exitCode: r.failed && r.exitCode === undefined ? 127 : (r.exitCode ?? 1), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
