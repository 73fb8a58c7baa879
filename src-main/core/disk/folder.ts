/**
 * The disk use of a workspace's folder on the host — its home, journal and
 * recordings — leaving out the project folder, which is the user's even when
 * it lives inside (the default `files/`). Measured with `du` through the
 * runner: a child process, so a home of a million files never blocks the
 * event loop, and du counts a file linked twice once.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runner } from '../runner/runner';

/** A folder that takes longer than this to walk keeps its last measurement. */
const DU_TIMEOUT_MS = 120_000;

/** Bytes on disk under `dir`, without `excluded` (a path inside it or anywhere else). */
export async function folderDiskUse(runner: Runner, dir: string, excluded: string): Promise<number> {
  const paths = await pathsWithout(dir, excluded.replace(/\/+$/, ''));
  if (paths.length === 0) return 0;
  // -B1: bytes; -c: one total over all of them (a hard link between them counted once); -x: this file system only.
  const r = await runner.run(['du', '-s', '-B1', '-c', '-x', '--', ...paths], { timeoutMs: DU_TIMEOUT_MS, maxOutputBytes: 64 * 1024 + paths.length * 4096 });
  // du says 1 when a file vanished or was unreadable mid-walk, and still gives the total of the rest.
  const total = /^(\d+)\s+total$/m.exec(r.stdout);
  if (!total) throw new Error(`du ${dir}: ${r.spawnError ?? (r.stderr.trim().split('\n')[0] || `exit ${r.exitCode}`)}`);
  return Number(total[1]);
}

/** The entries of `dir` that hold everything in it except `excluded`: a folder on the way to it is opened up. */
async function pathsWithout(dir: string, excluded: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const name of names) {
    const p = join(dir, name);
    if (p === excluded) continue;
    if (excluded.startsWith(`${p}/`)) out.push(...(await pathsWithout(p, excluded)));
    else out.push(p);
  }
  return out;
}
