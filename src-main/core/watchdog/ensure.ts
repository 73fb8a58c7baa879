/** Starts the data folder's watchdog (daemon.ts) when none is running; costs one stat when one is. */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import lockfile from 'proper-lockfile';
import { packageRoot } from '../host/package-root';
import { PLUMBING_MARKER, WORKSPACE_MARKER } from '../host/procscan';
import { isSensitiveKey } from '../secrets/redact';

export const watchdogLock = (home: string): string => join(home, 'watchdog');
/** Refreshed every 2 s while the watchdog lives; a lock older than 10 s was left by one that died. */
export const WATCHDOG_LOCK_OPTIONS = { stale: 10000, update: 2000, realpath: false } as const;

export function watchdogScript(): string {
  return join(packageRoot(), 'dist', 'watchdog.js');
}

/**
 * The environment of a detached Benchtop process (the watchdog, a port
 * forwarder): ours without credentials, since they only run kill commands and
 * relays; under Electron, its binary run as plain Node.
 */
export function daemonEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  // Nor a workspace's marker (a CLI run in a host workspace's terminal has one): such a process serves
  // the whole data folder, and stopping that workspace must neither count nor end it.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !isSensitiveKey(k) && k !== WORKSPACE_MARKER && k !== PLUMBING_MARKER) env[k] = v;
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return env;
}

/** Returns false when no watchdog could be started (its script is not built). */
export function ensureWatchdog(home: string): boolean {
  const lock = watchdogLock(home);
  mkdirSync(home, { recursive: true });
  closeSync(openSync(lock, 'a'));
  try {
    if (lockfile.checkSync(lock, WATCHDOG_LOCK_OPTIONS)) return true;
  } catch {
    // Unreadable lock: start one; it settles who holds the folder.
  }
  const script = watchdogScript();
  if (!existsSync(script)) return false;
  const env = daemonEnv();
  // Detached and unreferenced: it outlives this process, which is its purpose.
  const child = execa(process.execPath, [script, home], { detached: true, stdio: 'ignore', env, extendEnv: false, cwd: '/', cleanup: false, reject: false });
  child.unref();
  return true;
}
