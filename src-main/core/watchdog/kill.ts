/**
 * How to end one command's whole process tree from outside, written down so
 * that another process (the watchdog) can do it after the one that started
 * the command died. Drivers describe it; nothing here knows a backend.
 */
import { killByEnv } from '../host/procscan';
import type { Runner } from '../runner/runner';

export type KillSpec =
  /** Run this host argv (e.g. `podman exec NAME sh -c KILL_SCRIPT benchtop-kill ID`); it holds no secrets. */
  | { kind: 'argv'; argv: string[] }
  /** SIGKILL every host process whose environment holds this `KEY=VALUE` marker. */
  | { kind: 'env'; marker: string };

/** Ends the tree; returns an error line when the kill command itself failed. */
export async function runKill(runner: Runner, spec: KillSpec): Promise<string | undefined> {
  if (spec.kind === 'env') {
    await killByEnv(spec.marker);
    return undefined;
  }
  const r = await runner.run(spec.argv, { timeoutMs: 15000 });
  if (r.exitCode === 0) return undefined;
  return (r.stderr.trim().split('\n').pop() ?? '') || r.spawnError || `exit code ${r.exitCode}`;
}
