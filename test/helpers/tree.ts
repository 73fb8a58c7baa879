/** Folder trees for copy tests: one made with every kind of entry, and a listing to compare two by. */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Makes `root` with nested folders, an executable, a world-writable file, an empty folder, a link, odd names and 3 MiB of random bytes. */
export function makeTree(root: string): void {
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'plain.txt'), 'hello\n');
  writeFileSync(join(root, 'shared.txt'), 'everyone writes\n');
  writeFileSync(join(root, 'sub', 'run.sh'), '#!/bin/sh\necho ran\n');
  writeFileSync(join(root, 'sub', 'deeper', 'name with spaces & ünïcode'), 'x');
  writeFileSync(join(root, 'sub', 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
  symlinkSync('../plain.txt', join(root, 'sub', 'link'));
  chmodSync(join(root, 'sub', 'run.sh'), 0o750);
  chmodSync(join(root, 'plain.txt'), 0o640);
  // Group- and world-writable: kept only when no umask is applied on the way.
  chmodSync(join(root, 'shared.txt'), 0o666);
  chmodSync(join(root, 'empty'), 0o711);
  chmodSync(join(root, 'sub', 'deeper'), 0o750);
}

/** Every entry under `root` (not `root` itself): path, kind, mode and content hash or link target. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const s = lstatSync(p);
      const mode = (s.mode & 0o7777).toString(8);
      if (s.isSymbolicLink()) out.push(`${r} link -> ${readlinkSync(p)}`);
      else if (s.isDirectory()) {
        out.push(`${r} dir ${mode}`);
        walk(p, r);
      } else out.push(`${r} file ${mode} ${s.size} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
    }
  };
  walk(root, '');
  return out;
}
