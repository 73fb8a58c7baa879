/**
 * A small server-side folder browser for picking a project folder from a
 * browser (which cannot see the host's disk). It lists only folders, as the
 * user running Benchtop may read them, and never shows or enters the data
 * folder (records, journals, secrets' files live there).
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { BenchtopError, type FolderListing } from '../../../src-preload/contract';

const MAX_FOLDERS = 2000;

function within(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

function resolveReal(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new BenchtopError('INVALID_INPUT', `path: ${path} does not exist`, { field: 'path' });
    if (code === 'EACCES') throw new BenchtopError('INVALID_INPUT', `path: ${path} is not readable`, { field: 'path' });
    throw new BenchtopError('INVALID_INPUT', `path: ${path}: ${code ?? (err as Error).message}`, { field: 'path' });
  }
}

/**
 * The sub-folders of `path` (default: the home folder), sorted by name,
 * hidden ones (".name") only when asked. Symlinks to folders are listed at
 * their own name; anything resolving into the data folder is left out.
 */
export function listFolders(path: string | undefined, opts: { dataHome: string; hidden?: boolean }): FolderListing {
  const data = (() => {
    try {
      return realpathSync(opts.dataHome);
    } catch {
      return opts.dataHome;
    }
  })();
  const asked = path ?? homedir();
  const real = resolveReal(asked);
  if (within(real, data)) throw new BenchtopError('INVALID_INPUT', `path: ${asked} is inside Benchtop's data folder, which cannot be browsed`, { field: 'path' });
  let st;
  try {
    st = statSync(real);
  } catch {
    throw new BenchtopError('INVALID_INPUT', `path: ${asked} does not exist`, { field: 'path' });
  }
  if (!st.isDirectory()) throw new BenchtopError('INVALID_INPUT', `path: ${asked} is not a folder`, { field: 'path' });
  let entries;
  try {
    entries = readdirSync(real, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BenchtopError('INVALID_INPUT', `path: ${asked} is not readable${code && code !== 'EACCES' ? ` (${code})` : ''}`, { field: 'path' });
  }
  const folders: { name: string; path: string }[] = [];
  for (const e of entries) {
    if (!opts.hidden && e.name.startsWith('.')) continue;
    const full = join(real, e.name);
    let isDir = e.isDirectory();
    let target = full;
    if (e.isSymbolicLink()) {
      try {
        target = realpathSync(full);
        isDir = statSync(target).isDirectory();
      } catch {
        isDir = false; // a dangling link
      }
    }
    if (!isDir || within(target, data) || within(full, data)) continue;
    folders.push({ name: e.name, path: full });
  }
  folders.sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true }));
  return { path: real, parent: real === '/' ? null : dirname(real), folders: folders.slice(0, MAX_FOLDERS), truncated: folders.length > MAX_FOLDERS };
}
