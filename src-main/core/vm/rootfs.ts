/**
 * Helpers for a root filesystem tree being made into a disk: symlinks
 * resolved inside the tree (an absolute link means the tree's root, never
 * the host's), and the space the tree needs on ext4.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `path` (absolute inside the tree) names something in the tree, following links as the guest would. */
export function existsInRoot(root: string, path: string, depth = 0): boolean {
  if (depth > 40) return false;
  const parts = path.split('/').filter(Boolean);
  const done: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    let st;
    try {
      st = lstatSync(join(root, ...done, part));
    } catch {
      return false;
    }
    if (st.isSymbolicLink()) {
      const target = readlinkSync(join(root, ...done, part));
      const rest = parts.slice(i + 1).join('/');
      const base = target.startsWith('/') ? target : `/${[...done, target].join('/')}`;
      return existsInRoot(root, rest ? `${base}/${rest}` : base, depth + 1);
    }
    done.push(part);
  }
  return true;
}

const BLOCK = 4096;

/** Bytes the tree takes in 4 KiB blocks (each file, folder and link at least one block, as ext4 stores them). */
export function treeBytes(dir: string): number {
  let total = BLOCK;
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) total += treeBytes(p);
    else total += Math.max(1, Math.ceil(lstatSync(p).size / BLOCK)) * BLOCK;
  }
  return total;
}

const MIB = 1024 * 1024;

/**
 * Disk sizes for a tree of `bytes`: the least that holds it (ext4's inode
 * tables, journal and reserved blocks included) and the default, which
 * leaves room to work (content + 50% + 64 MiB).
 */
export function diskSizesMiB(bytes: number): { neededMiB: number; defaultMiB: number } {
  const contentMiB = bytes / MIB;
  return { neededMiB: Math.ceil(contentMiB * 1.15 + 16), defaultMiB: Math.ceil((contentMiB * 1.5 + 64) / 8) * 8 };
}
