/** Checks that need the host: limits against its cores and memory, project paths against the data folder. */
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
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

/**
 * Canonicalises a project folder (created when missing). The data folder is
 * never mountable: a project inside it, or containing it, would expose
 * records and secrets to the sandbox.
 */
export function resolveProject(project: string, dataHome: string): string {
  if (!isAbsolute(project)) project = resolve(project);
  if (!existsSync(project)) mkdirSync(project, { recursive: true });
  if (!statSync(project).isDirectory()) throw bad('project', `${project} is not a directory`);
  const real = realpathSync(project);
  if (real === sep) throw bad('project', 'the whole filesystem cannot be a project folder');
  const home = existsSync(dataHome) ? realpathSync(dataHome) : resolve(dataHome);
  if (inside(real, home) || inside(home, real)) {
    throw bad('project', `${real} overlaps Benchtop's data folder ${home}, which is never mounted into a sandbox`);
  }
  return real;
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
