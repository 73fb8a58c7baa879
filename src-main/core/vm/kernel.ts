/**
 * The kernels VM images boot, cached once per kernel in the data folder:
 * Debian's generic `linux-image-6.1.0-N-amd64` (the newest apt knows; the
 * `-cloud-` flavour has no 9p), or one the user gives as `--kernel VMLINUX
 * --modules DIR`. QEMU boots the ELF `vmlinux` straight through its PVH
 * entry point: unpacking the XZ bzImage in the guest costs ~3 s under TCG,
 * so it is unpacked once here. Each kernel is built in tmp/ and renamed into
 * place, so a cached kernel is always whole.
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError } from '../../../src-preload/contract';
import { backendFailed } from '../drivers/errors';
import type { Runner } from '../runner/runner';
import { withLock } from '../store/lock';
import { collectModules, readBuiltin, VM_MODULES, type CollectedModules } from './modules';
import { META, MODULES_DIR, VMLINUX, vmPaths } from './paths';

export interface KernelMeta {
  /** The cache key: the release for Debian's kernels, `custom-<sha256 prefix>` for the user's. */
  id: string;
  /** `uname -r` in the guest, e.g. 6.1.0-56-amd64. */
  release: string;
  /** Where it came from: the Debian package file name, or the user's paths. */
  source: string;
  vmlinuxSha256: string;
  modules: CollectedModules;
  createdAt: string;
}

export interface Kernel extends KernelMeta {
  dir: string;
  vmlinux: string;
  modulesDir: string;
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const DEBIAN_KERNEL_PACKAGE = /^linux-image-(6\.1\.0-(\d+)-amd64)$/;

/** Where the XZ stream inside a bzImage starts, or -1. */
export function xzOffset(bzImage: Buffer): number {
  return bzImage.indexOf(XZ_MAGIC);
}

/** The release in a kernel's banner ("Linux version 6.1.0-56-amd64 (…"), or null. */
export function bannerRelease(image: Buffer): string | null {
  const at = image.indexOf('Linux version ');
  if (at < 0) return null;
  const rest = image.subarray(at + 14, at + 14 + 128).toString('latin1');
  return /^[^\s\0]+/.exec(rest)?.[0] ?? null;
}

/** The release a module was built for (its `vermagic=` string), or null. */
export function moduleRelease(ko: Buffer): string | null {
  const at = ko.indexOf('vermagic=');
  return at < 0 ? null : (/^[^\s\0]+/.exec(ko.subarray(at + 9, at + 9 + 128).toString('latin1'))?.[0] ?? null);
}

/** The newest generic 6.1 kernel package in apt-cache's output, or null. */
export function newestDebianKernel(aptCacheSearch: string): { pkg: string; release: string } | null {
  let best: { pkg: string; release: string; n: number } | null = null;
  for (const line of aptCacheSearch.split('\n')) {
    const m = DEBIAN_KERNEL_PACKAGE.exec(line.split(' ')[0] ?? '');
    if (m && (!best || Number(m[2]) > best.n)) best = { pkg: m[0], release: m[1] as string, n: Number(m[2]) };
  }
  return best && { pkg: best.pkg, release: best.release };
}

function startsWith(path: string, magic: Buffer): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(magic);
  } finally {
    closeSync(fd);
  }
}

/** Writes the ELF vmlinux of `image` (a vmlinux already, or an XZ bzImage) to `out`. */
export async function extractVmlinux(runner: Runner, image: string, out: string): Promise<void> {
  if (startsWith(image, ELF_MAGIC)) {
    copyFileSync(image, out);
    return;
  }
  const bz = readFileSync(image);
  const at = xzOffset(bz);
  if (at < 0) throw new BenchtopError('INVALID_INPUT', `kernel: ${image} is neither an ELF vmlinux nor an XZ-compressed bzImage`, { field: 'kernel' });
  // xz -d replaces FILE.xz by FILE; --single-stream ignores the bzImage's trailing bytes after the stream.
  writeFileSync(`${out}.xz`, bz.subarray(at));
  const r = await runner.run(['xz', '-d', '-f', '--single-stream', '--', `${out}.xz`]);
  if (r.exitCode !== 0) throw backendFailed(`unpacking the kernel in ${image}`, r);
  if (!startsWith(out, ELF_MAGIC)) throw new BenchtopError('INVALID_INPUT', `kernel: the XZ stream in ${image} is not an ELF vmlinux`, { field: 'kernel' });
}

/** A cached kernel by id, or null when there is none (or only part of one). */
export function readKernel(home: string, id: string): Kernel | null {
  const dir = vmPaths.kernelDir(home, id);
  let meta: KernelMeta;
  try {
    meta = JSON.parse(readFileSync(join(dir, META), 'utf8')) as KernelMeta;
  } catch {
    return null;
  }
  return { ...meta, dir, vmlinux: join(dir, VMLINUX), modulesDir: join(dir, MODULES_DIR) };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Builds a kernel folder in tmp/ with `fill`, then renames it to kernels/<id>.
 * Another process that cached the same id meanwhile wins; ours is dropped.
 */
async function cacheKernel(home: string, id: string, fill: (dir: string) => Promise<Omit<KernelMeta, 'id' | 'createdAt'>>): Promise<Kernel> {
  mkdirSync(vmPaths.tmpDir(home), { recursive: true });
  mkdirSync(vmPaths.kernelsDir(home), { recursive: true });
  const tmp = mkdtempSync(join(vmPaths.tmpDir(home), `kernel-${id}-`));
  try {
    const built = join(tmp, 'kernel');
    mkdirSync(join(built, MODULES_DIR), { recursive: true });
    const meta: KernelMeta = { id, ...(await fill(built)), createdAt: new Date().toISOString() };
    writeFileSync(join(built, META), `${JSON.stringify(meta, null, 2)}\n`);
    if (!readKernel(home, id)) renameSync(built, vmPaths.kernelDir(home, id));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return readKernel(home, id) as Kernel;
}

/** The cached Debian kernels' ids, newest package first. */
function cachedDebianKernels(home: string): string[] {
  if (!existsSync(vmPaths.kernelsDir(home))) return [];
  return readdirSync(vmPaths.kernelsDir(home))
    .filter((id) => DEBIAN_KERNEL_PACKAGE.test(`linux-image-${id}`) && readKernel(home, id))
    .sort((a, b) => Number(b.split('-')[2]) - Number(a.split('-')[2]));
}

/**
 * Debian's newest generic kernel, from the cache or downloaded (`apt-get
 * download`, no root needed, nothing installed on the host). With no apt
 * metadata it falls back to the newest cached one.
 */
export async function ensureDebianKernel(home: string, runner: Runner, onLine: (line: string) => void = () => undefined): Promise<Kernel> {
  mkdirSync(vmPaths.locksDir(home), { recursive: true });
  return withLock(vmPaths.kernelLock(home), async () => {
    const search = await runner.run(['apt-cache', 'search', '--names-only', '^linux-image-6\\.1\\.0-[0-9]+-amd64$']);
    const newest = search.exitCode === 0 ? newestDebianKernel(search.stdout) : null;
    if (!newest) {
      const cached = cachedDebianKernels(home)[0];
      if (cached) return readKernel(home, cached) as Kernel;
      throw new BenchtopError(
        'BACKEND_UNAVAILABLE',
        'no Debian linux-image-6.1.0-N-amd64 package is known to apt here (run apt-get update), and no kernel is cached: give --kernel VMLINUX --modules DIR',
        { hint: 'apt-get update, or --kernel and --modules' },
      );
    }
    const cached = readKernel(home, newest.release);
    if (cached) return cached;
    onLine(`downloading ${newest.pkg}`);
    return cacheKernel(home, newest.release, async (dir) => {
      const work = join(dir, '..', 'deb');
      mkdirSync(work);
      const dl = await runner.run(['apt-get', 'download', newest.pkg], { cwd: work, timeoutMs: 600_000 });
      const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
      if (dl.exitCode !== 0 || !deb) throw backendFailed(`apt-get download ${newest.pkg}`, dl);
      const tree = join(work, 'tree');
      const x = await runner.run(['dpkg', '-x', join(work, deb), tree], { timeoutMs: 300_000 });
      if (x.exitCode !== 0) throw backendFailed(`dpkg -x ${deb}`, x);
      onLine(`unpacking vmlinuz-${newest.release}`);
      await extractVmlinux(runner, join(tree, 'boot', `vmlinuz-${newest.release}`), join(dir, VMLINUX));
      const moduleTree = join(tree, 'lib', 'modules', newest.release);
      const modules = await collectModules(runner, join(moduleTree, 'kernel'), readBuiltin(join(moduleTree, 'modules.builtin')), join(dir, MODULES_DIR));
      return { release: newest.release, source: deb, vmlinuxSha256: sha256(join(dir, VMLINUX)), modules };
    });
  });
}

/**
 * The user's own kernel (`--kernel` a vmlinux or an XZ bzImage, `--modules` a
 * folder of .ko files at any depth, e.g. lib/modules/<release>), cached by
 * the digest of its vmlinux and of the modules taken. The modules must be
 * built for that kernel. A folder with a modules.builtin says what the kernel
 * has built in; a folder without one must hold at least one of VM_MODULES.
 */
export async function importKernel(home: string, runner: Runner, given: { kernel: string; modules: string }): Promise<Kernel> {
  for (const [field, path] of [['kernel', given.kernel], ['modules', given.modules]] as const) {
    if (!existsSync(path)) throw new BenchtopError('INVALID_INPUT', `${field}: ${path} does not exist`, { field });
  }
  mkdirSync(vmPaths.tmpDir(home), { recursive: true });
  const tmp = mkdtempSync(join(vmPaths.tmpDir(home), 'kernel-import-'));
  try {
    const built = join(tmp, 'kernel');
    mkdirSync(join(built, MODULES_DIR), { recursive: true });
    await extractVmlinux(runner, given.kernel, join(built, VMLINUX));
    const image = readFileSync(join(built, VMLINUX));
    const release = bannerRelease(image);
    if (!release) throw new BenchtopError('INVALID_INPUT', `kernel: ${given.kernel} has no "Linux version" banner: not a Linux kernel`, { field: 'kernel' });
    const builtinFile = join(given.modules, 'modules.builtin');
    const modules = await collectModules(runner, given.modules, existsSync(builtinFile) ? readBuiltin(builtinFile) : null, join(built, MODULES_DIR));
    if (!modules.load.length && !existsSync(builtinFile)) {
      throw new BenchtopError('INVALID_INPUT', `modules: ${given.modules} holds none of the modules a guest needs (${VM_MODULES.slice(0, 3).join(', ')}…); for a kernel with them built in, give a folder with its modules.builtin`, { field: 'modules' });
    }
    const digest = createHash('sha256').update(image);
    for (const name of modules.load) {
      const ko = readFileSync(join(built, MODULES_DIR, `${name}.ko`));
      const builtFor = moduleRelease(ko);
      if (builtFor && builtFor !== release) throw new BenchtopError('INVALID_INPUT', `modules: ${name}.ko is built for ${builtFor}, the kernel is ${release}`, { field: 'modules' });
      digest.update(name).update(ko);
    }
    const id = `custom-${digest.digest('hex').slice(0, 12)}`;
    const cached = readKernel(home, id);
    if (cached) return cached;
    const meta: KernelMeta = { id, release, source: `${given.kernel} + ${given.modules}`, vmlinuxSha256: createHash('sha256').update(image).digest('hex'), modules, createdAt: new Date().toISOString() };
    writeFileSync(join(built, META), `${JSON.stringify(meta, null, 2)}\n`);
    mkdirSync(vmPaths.kernelsDir(home), { recursive: true });
    // Another build that cached the same kernel meanwhile wins; ours is dropped with tmp.
    if (!readKernel(home, id)) renameSync(built, vmPaths.kernelDir(home, id));
    return readKernel(home, id) as Kernel;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
