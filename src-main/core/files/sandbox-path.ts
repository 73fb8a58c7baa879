/** A path as the user wrote it, made absolute in the sandbox: relative ones start at the workspace's working folder. */
import { posix } from 'node:path';
import { BenchtopError } from '../../../src-preload/contract';

export interface SandboxPath {
  /** Absolute and normalized, no trailing slash (except `/`). */
  path: string;
  /** The user wrote a trailing slash (or `/.`): it must be a folder. */
  mustBeFolder: boolean;
}

export function resolveSandboxPath(written: string, cwd: string): SandboxPath {
  const abs = posix.normalize(written.startsWith('/') ? written : posix.join(cwd, written));
  const path = abs.length > 1 ? abs.replace(/\/+$/, '') : abs;
  return { path, mustBeFolder: /\/\.?$/.test(written) && path !== '/' };
}

/** A path to copy out: anything but the root itself (it has no name to copy it as). */
export function sourcePath(written: string, cwd: string): string {
  const { path } = resolveSandboxPath(written, cwd);
  if (path === '/') throw new BenchtopError('INVALID_INPUT', 'path: / cannot be copied out whole; copy a folder inside it', { field: 'path' });
  return path;
}
