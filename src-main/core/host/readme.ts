/** The README that ships with this installation: the app's help page. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError } from '../../../src-preload/contract';
import { packageRoot } from './package-root';

export function readReadme(): string {
  const path = join(packageRoot(), 'README.md');
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new BenchtopError('NOT_FOUND', `the help page is missing: no README.md in ${packageRoot()}`);
  }
}
