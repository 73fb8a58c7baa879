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
  | { kind: 'env'; marker: string }
  /** Each in turn (e.g. from the host first, which needs no free pid in the sandbox, then inside it). */
  | { kind: 'all'; specs: KillSpec[] };

/** Ends the tree; returns an error line when it could not be ended. */
export async function runKill(runner: Runner, spec: KillSpec): Promise<string | undefined> {
  if (spec.kind === 'all') {
    let hostKilled = 0;
    let error: string | undefined;
    for (const s of spec.specs) {
      if (s.kind === 'env') hostKilled += await killByEnv(s.marker);
      else error = await runKill(runner, s);
    }
    // What the host could see and kill is gone: a failed kill inside (no free pid) does not matter then.
    return hostKilled > 0 ? undefined : error;
  }
  if (spec.kind === 'env') {
    await killByEnv(spec.marker);
    return undefined;
  }
  const r = await runner.run(spec.argv, { timeoutMs: 15000 });
  if (r.exitCode === 0) return undefined;
  return (r.stderr.trim().split('\n').pop() ?? '') || r.spawnError || `exit code ${r.exitCode}`;
}
