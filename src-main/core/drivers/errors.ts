import { BenchtopError } from '../../../src-preload/contract';
import type { RunResult } from '../runner/runner';

/** A BACKEND_FAILED error carrying what ran and what it said (argv holds no secrets). */
export function backendFailed(what: string, r: RunResult, hintFor?: (stderr: string) => string | null): BenchtopError {
  const stderr = r.stderr.trim();
  const line = stderr.split('\n').filter(Boolean).pop() ?? r.spawnError ?? `exit code ${r.exitCode}`;
  const hint = hintFor?.(stderr) ?? null;
  return new BenchtopError('BACKEND_FAILED', hint ? `${what}: ${hint} (${line})` : `${what}: ${line}`, {
    command: r.argv,
    exitCode: r.exitCode,
    stderr: stderr.slice(-4000),
    ...(hint ? { hint } : {}),
  });
}
