/** Spawning helpers: every command is an argv array, timed with performance.now(). */
import { execa } from 'execa';

export interface ProcResult {
  /** Milliseconds from spawn to the needle in stdout (or to exit when no needle was asked for). */
  ms: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ProcOptions {
  env?: Record<string, string>;
  extendEnv?: boolean;
  /** Stop the clock when stdout contains this (the process is still awaited, untimed). */
  until?: string;
  timeoutMs?: number;
}

export class ProcError extends Error {}

/** Runs argv; throws when it fails or the needle never shows up, so a broken run never becomes a fast sample. */
export async function run(argv: string[], opts: ProcOptions = {}): Promise<ProcResult> {
  const [file, ...args] = argv;
  if (!file) throw new ProcError('empty argv');
  let stdout = '';
  let stderr = '';
  let hit: number | undefined;
  const t0 = performance.now();
  const child = execa(file, args, {
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 60_000,
  });
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    if (hit === undefined && opts.until !== undefined && stdout.includes(opts.until)) hit = performance.now();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const r = await child;
  const end = performance.now();
  const exitCode = r.exitCode ?? -1;
  const show = () => `${argv.slice(0, 4).join(' ')}…: exit ${exitCode}${r.timedOut ? ' (timed out)' : ''}: ${(stderr.trim() || stdout.trim()).split('\n')[0] ?? ''}`;
  if (exitCode !== 0) throw new ProcError(show());
  if (opts.until !== undefined && hit === undefined) throw new ProcError(`no "${opts.until}" in the output of ${show()}`);
  return { ms: (hit ?? end) - t0, exitCode, stdout, stderr };
}

/** Same, but never throws: for cleanup outside the timed region. */
export async function quiet(argv: string[], opts: ProcOptions = {}): Promise<void> {
  try {
    await run(argv, opts);
  } catch {
    // Cleanup failures do not change a measurement; leftovers are swept at the end.
  }
}
