/** Checks that need the host: limits against its cores and memory, project paths against the data folder. */
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BenchtopError, type CreateWorkspaceInput } from '../../../src-preload/contract';
import type { HostInfo } from '../host/hostinfo';

const bad = (field: string, message: string) => new BenchtopError('INVALID_INPUT', `${field}: ${message}`, { field });

export function validateHostLimits(input: CreateWorkspaceInput, host: HostInfo): void {
  if (input.cpus !== undefined && input.cpus > host.cores) {
    throw bad('cpus', `must be between 0.1 and ${host.cores} (this host's cores), got ${input.cpus}`);
  }
  if (input.memoryMiB !== undefined && input.memoryMiB > host.memoryMiB) {
    throw bad('memoryMiB', `must be between 64 and ${host.memoryMiB} MiB (this host's memory), got ${input.memoryMiB}`);
  }
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A project folder as resolved for a workspace; `created` when this call made it. */
export interface ResolvedProject {
  path: string;
  created: boolean;
}

/**
 * Canonicalises a project folder. A missing folder is created only when its
 * parent exists (a typo such as /nonexistent/dir must not conjure a tree of
 * folders anywhere); the result says whether it was. The data folder is
 * never mountable: a project inside it, or containing it, would expose
 * records and secrets to the sandbox. Nothing is created when the answer is
 * an error.
 */
export function resolveProjectFolder(project: string, dataHome: string, opts: { create?: boolean } = { create: true }): ResolvedProject {
  const abs = resolve(project);
  const home = existsSync(dataHome) ? realpathSync(dataHome) : resolve(dataHome);
  const checkPlace = (real: string) => {
    if (real === sep) throw bad('project', 'the whole filesystem cannot be a project folder');
    if (inside(real, home) || inside(home, real)) {
      throw bad('project', `${real} overlaps Benchtop's data folder ${home}, which is never mounted into a sandbox`);
    }
  };
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw bad('project', `${abs} is not a directory`);
    const real = realpathSync(abs);
    checkPlace(real);
    return { path: real, created: false };
  }
  const parent = dirname(abs);
  if (!existsSync(parent)) {
    throw bad('project', `${abs} does not exist, and neither does its parent folder ${parent}: only a missing last folder is created (check the path, or create ${parent} first)`);
  }
  if (!statSync(parent).isDirectory()) throw bad('project', `cannot create ${abs}: its parent ${parent} is not a directory`);
  // The folder it will be, checked before anything is made.
  const real = join(realpathSync(parent), basename(abs));
  checkPlace(real);
  if (!opts.create) {
    throw new BenchtopError('INVALID_INPUT', `project: ${abs} does not exist (it can be created: its parent ${parent} exists)`, { field: 'project', missing: abs });
  }
  try {
    mkdirSync(real);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Made in the meantime by someone else: use it as if it had been there.
    if (code === 'EEXIST' && existsSync(real) && statSync(real).isDirectory()) return { path: realpathSync(real), created: false };
    if (code === 'EEXIST') throw bad('project', `${abs} is not a directory (a broken symbolic link?)`);
    throw bad('project', `cannot create ${abs}: ${(err as Error).message}`);
  }
  return { path: real, created: true };
}

/** resolveProjectFolder's path alone (what the service asks for today). */
export function resolveProject(project: string, dataHome: string, opts: { create?: boolean } = { create: true }): string {
  return resolveProjectFolder(project, dataHome, opts).path;
}

/** An existing host path for a mount, canonicalised; never the data folder or anything around it. */
export function resolveHostPath(path: string, field: string, dataHome: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw bad(field, `${abs} does not exist`);
  const real = realpathSync(abs);
  const home = existsSync(dataHome) ? realpathSync(dataHome) : resolve(dataHome);
  if (real === sep || inside(real, home) || inside(home, real)) throw bad(field, `${real} overlaps Benchtop's data folder ${home}, which is never mounted into a sandbox`);
  return real;
}
