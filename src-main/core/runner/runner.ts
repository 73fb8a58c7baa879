/**
 * The one way core runs a non-interactive command: argv arrays only, never a
 * shell string. Output is streamed and capped (the head is kept, the total
 * counted) so a chatty command can neither exhaust memory nor be killed for
 * talking too much. Secrets reach the child through `env`, never argv.
 */
import { execa, execaSync } from 'execa';

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

export interface Runner {
  run(argv: string[], options?: RunOptions): Promise<RunResult>;
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
  return {
    async run(argv, options = {}) {
      const [file, ...args] = argv;
      if (!file) throw new Error('runner: empty argv');
      const cap = options.maxOutputBytes ?? DEFAULT_CAP;
      const out = new CappedBuffer(cap);
      const err = new CappedBuffer(cap);
      const started = performance.now();
      let timedOut = false;

      const child = execa(file, args, {
        env: options.env,
        extendEnv: options.extendEnv ?? true,
        cwd: options.cwd,
        buffer: false,
        reject: false,
        stdio: options.fd3 ? ['ignore', 'pipe', 'pipe', options.fd3] : ['ignore', 'pipe', 'pipe'],
        detached: options.killProcessGroup ?? false,
        // Signals are ours to send; execa's own cleanup would race the group kill.
        cleanup: !options.killProcessGroup,
      });
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));

      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          try {
            if (options.killProcessGroup && child.pid) process.kill(-child.pid, 'SIGKILL');
            else child.kill('SIGKILL');
          } catch {
            // Already gone.
          }
        }, options.timeoutMs);
      }
      const result = await child;
      if (timer) clearTimeout(timer);
      const durationMs = performance.now() - started;
      const spawnError =
        result.failed && result.exitCode === undefined && !result.isTerminated ? result.originalMessage : undefined;
      let exitCode: number;
      if (timedOut) exitCode = 124;
      else if (spawnError !== undefined) exitCode = 127;
      else if (result.exitCode !== undefined) exitCode = result.exitCode;
      else exitCode = 128 + signalNumber(result.signal);
      return {
        argv,
        exitCode,
        stdout: out.text(),
        stderr: err.text(),
        stdoutBytes: out.total,
        stderrBytes: err.total,
        stdoutTruncated: out.total > out.kept,
        stderrTruncated: err.total > err.kept,
        durationMs,
        timedOut,
        ...(spawnError !== undefined ? { spawnError } : {}),
      };
    },
  };
}

function signalNumber(signal: string | undefined): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return signal ? (table[signal] ?? 0) : 0;
}

/**
 * The synchronous form, for the rare caller that cannot be async (the keyring
 * store feeds redaction on hot, synchronous paths). Small output only.
 */
export function runSync(argv: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): { exitCode: number; stdout: string; stderr: string } {
  const [file, ...args] = argv;
  if (!file) throw new Error('runner: empty argv');
  const r = execaSync(file, args, {
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 10000,
    reject: false,
    env: options.env,
    stripFinalNewline: false,
  });
  return { exitCode: r.failed && r.exitCode === undefined ? 127 : (r.exitCode ?? 1), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
