/**
 * A local podman image's files as a container sees them (every layer
 * applied), unpacked into a folder: `podman create` + `podman export` + tar.
 * VM images are built from it (core/vm/store.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { BenchtopError } from '../../../../src-preload/contract';
import type { Runner } from '../../runner/runner';
import { backendFailed } from '../errors';

/** Unpacks `image` into `tree` (created); returns how the source is recorded (`podman:<image>`). */
export async function exportImageRootfs(runner: Runner, image: string, tree: string, onLine: (line: string) => void): Promise<string> {
  const exists = await runner.run(['podman', 'image', 'exists', '--', image]);
  if (exists.exitCode !== 0) {
    throw new BenchtopError('INVALID_INPUT', `from: ${image} is neither a folder (give an absolute path) nor a local podman image`, { field: 'from' });
  }
  onLine(`exporting podman image ${image}`);
  // The command is never run: the container exists only to be exported.
  const created = await runner.run(['podman', 'create', '--', image, '/bin/sh']);
  if (created.exitCode !== 0) throw backendFailed(`podman create ${image}`, created);
  const id = created.stdout.trim().split('\n').pop() as string;
  const tar = `${tree}.tar`;
  try {
    const exp = await runner.run(['podman', 'export', '-o', tar, id], { timeoutMs: 1_800_000 });
    if (exp.exitCode !== 0) throw backendFailed(`podman export ${image}`, exp);
    mkdirSync(tree);
    const x = await runner.run(['tar', '-x', '-f', tar, '-C', tree, '--numeric-owner'], { timeoutMs: 1_800_000 });
    if (x.exitCode !== 0) throw backendFailed(`unpacking the export of ${image}`, x);
  } finally {
    rmSync(tar, { force: true });
    await runner.run(['podman', 'rm', '-f', id]);
  }
  return `podman:${image}`;
}
