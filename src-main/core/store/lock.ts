/**
 * Cross-process locks, so the app, the browser host and the CLI can share one
 * data folder. proper-lockfile keeps a lock directory fresh while held and
 * treats one left by a crashed process as stale.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { BenchtopError } from '../../../src-preload/contract';

export async function withLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  closeSync(openSync(path, 'a'));
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      stale: 15000,
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
  mkdirSync(dirname(path), { recursive: true });
  closeSync(openSync(path, 'a'));
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, { stale: 15000, update: 3000, retries: 0, realpath: false });
  } catch {
    return undefined;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
