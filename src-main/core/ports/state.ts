/**
 * What a forwarder is told (its spec) and what it leaves behind while it
 * listens (its state file, `<workspace>/ports/<port>.json`), read by anyone
 * who lists or removes the port.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from '../store/atomic';
import { paths } from '../store/layout';
import { isAlive } from '../watchdog/proc';

export interface ForwarderSpec {
  /** Where it writes its state once listening (and removes it when it ends). */
  stateFile: string;
  /** 0: any free port. */
  hostPort: number;
  port: number;
  /** The driver's relay argv: stdin/stdout are one connection to the port inside. */
  relay: string[];
  /** The sandbox's process on the host (pid and start time): the forwarder ends with it. */
  watchPid?: number;
  watchStart?: number;
}

export interface ForwarderState {
  pid: number;
  start: number;
  hostPort: number;
  port: number;
}

export const stateFileOf = (workspaceDir: string, port: number): string => join(paths.portsDir(workspaceDir), `${port}.json`);

/** The forwarder of this port, when one is alive. */
export function liveForwarder(workspaceDir: string, port: number): ForwarderState | null {
  let s: ForwarderState | null;
  try {
    s = readJson<ForwarderState>(stateFileOf(workspaceDir, port));
  } catch {
    return null; // Being written right now.
  }
  return s && isAlive(s.pid, s.start) ? s : null;
}

/** Every port that has a state file (alive or left behind by one that was killed). */
export function forwardedPorts(workspaceDir: string): number[] {
  try {
    return readdirSync(paths.portsDir(workspaceDir))
      .map((f) => /^(\d+)\.json$/.exec(f)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number);
  } catch {
    return [];
  }
}
