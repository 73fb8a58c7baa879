/**
 * Cross-process locks, so the app, the browser host and the CLI can share one
 * data folder. proper-lockfile keeps a lock directory fresh while held and
 * treats one left by a crashed process as stale.
 *
 * A lock never creates the folder it lives in: the caller makes it (the
 * registry its locks/ folder, the secret stores theirs). So a lock taken in a
 * workspace folder that was removed (its journal's) fails with NOT_FOUND
 * instead of bringing the folder back.
 */
import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { BenchtopError } from '../../../src-preload/contract';

/** proper-lockfile's rule for a lock left by a process that died (ms without a refresh). */
export const LOCK_STALE_MS = 15000;

function touch(path: string): void {
  try {
    closeSync(openSync(path, 'a'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BenchtopError('NOT_FOUND', `could not lock ${path}: the folder ${dirname(path)} is gone`, { path });
    throw err;
  }
}

export async function withLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  touch(path);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      stale: LOCK_STALE_MS,
      update: 3000,
      retries: { retries: 400, factor: 1.2, minTimeout: 10, maxTimeout: 100 },
      realpath: false,
    });
  } catch (err) {
    throw new BenchtopError('TIMEOUT', `could not lock ${path}: ${(err as Error).message}`);
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Runs fn under the lock if it is free right now; otherwise returns undefined without waiting. */
export async function tryWithLock<T>(path: string, fn: () => Promise<T> | T): Promise<T | undefined> {
  touch(path);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, { stale: LOCK_STALE_MS, update: 3000, retries: 0, realpath: false });
  } catch {
    return undefined;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
