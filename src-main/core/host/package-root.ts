import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The folder with our package.json: bundles live in dist/, dist/chunks/ or out/main/. */
export function packageRoot(): string {
  let dir = import.meta.dirname ?? process.cwd();
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}
