/**
 * A workspace's copy-on-write root disk: a qcow2 overlay over an image's
 * root.ext4, so the base stays byte-identical (its digest holds) however
 * the workspace writes. Made fresh with `qemu-img create`.
 */
import { existsSync } from 'node:fs';
import { BenchtopError } from '../../../src-preload/contract';
import { backendFailed } from '../drivers/errors';
import type { Runner } from '../runner/runner';

/** The argv that creates `overlay` backed by the raw disk `base` (absolute, as the overlay records it). */
export function overlayArgv(base: string, overlay: string): string[] {
  return ['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', overlay];
}

export async function createOverlay(runner: Runner, base: string, overlay: string): Promise<void> {
  if (!base.startsWith('/')) throw new BenchtopError('INVALID_INPUT', `overlay base must be an absolute path, got ${base}`);
  if (existsSync(overlay)) throw new BenchtopError('CONFLICT', `overlay ${overlay} exists already`);
  const r = await runner.run(overlayArgv(base, overlay));
  if (r.exitCode !== 0) throw backendFailed('qemu-img create', r);
}
