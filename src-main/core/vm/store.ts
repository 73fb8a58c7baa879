/**
 * The VM image store: named images, each a list of immutable versions
 * (1, 2, 3…) of a root disk (ext4, never written: workspaces boot a qcow2
 * overlay of it), the initramfs that mounts it, and a reference to the
 * cached kernel both were built for. The source is a root filesystem folder
 * or a local podman image (exported by drivers/podman/export-rootfs.ts). `NAME` means the newest version,
 * `NAME@VERSION` one version. A version is built in tmp/ and renamed into
 * place; one build of a name at a time.
 */
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError, WORKSPACE_NAME_RE } from '../../../src-preload/contract';
import { backendFailed } from '../drivers/errors';
import { exportImageRootfs } from '../drivers/podman/export-rootfs';
import { packageRoot } from '../host/package-root';
import type { Runner } from '../runner/runner';
import { tryWithLock } from '../store/lock';
import { resolveHostPath } from '../workspaces/validate';
import { buildInitramfs } from './initramfs';
import { ensureDebianKernel, importKernel, readKernel, type Kernel } from './kernel';
import { INITRD, META, ROOT_DISK, vmPaths } from './paths';
import { diskSizesMiB, existsInRoot, treeBytes } from './rootfs';
import { STAGE2_INIT } from './stage2';

export interface VmImageMeta {
  name: string;
  version: number;
  /** sha256 of root.ext4, hex. */
  digest: string;
  kernelRelease: string;
  /** The cached kernel (vm/kernels/<kernelId>) it boots. */
  kernelId: string;
  sizeMiB: number;
  /** What it was built from: a folder, or `podman:<image>`. */
  source: string;
  createdAt: string;
}

export interface ResolvedVmImage {
  name: string;
  version: number;
  rootDisk: string;
  initrd: string;
  kernel: string;
  kernelRelease: string;
  digest: string;
}

export interface BuildOptions {
  name: string;
  /** A root filesystem folder, or a local podman image. */
  from: string;
  sizeMiB?: number;
  /** The user's own kernel: both or neither. */
  kernel?: string;
  modules?: string;
}

/** A workspace and the image it names (`name@version`, or `name` for the newest). */
export interface ImageUser {
  workspace: string;
  image: string | null;
}

const REF_RE = /^([^@]+)(?:@(\d+))?$/;

/** The agent binary put into every image: $BENCHTOP_AGENT, else the one `scripts/build-agent.mjs` builds. */
export function defaultAgentBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCHTOP_AGENT ? env.BENCHTOP_AGENT : join(packageRoot(), 'build', 'agent', 'benchtop-agent');
}

function checkName(name: string, field = 'name'): void {
  if (!WORKSPACE_NAME_RE.test(name)) {
    throw new BenchtopError('INVALID_INPUT', `${field}: "${name}" must match ^[a-z0-9][a-z0-9_.-]{0,62}$ (lower-case letters, digits, _ . -)`, { field });
  }
}

/** `NAME` or `NAME@VERSION`. */
export function parseVmImageRef(ref: string): { name: string; version: number | null } {
  const m = REF_RE.exec(ref);
  if (!m) throw new BenchtopError('INVALID_INPUT', `ref: "${ref}" is not NAME or NAME@VERSION`, { field: 'ref' });
  checkName(m[1] as string, 'ref');
  const version = m[2] === undefined ? null : Number(m[2]);
  if (version !== null && (!Number.isSafeInteger(version) || version < 1)) throw new BenchtopError('INVALID_INPUT', `ref: the version in "${ref}" must be 1 or more`, { field: 'ref' });
  return { name: m[1] as string, version };
}

function readMeta(home: string, name: string, version: number): VmImageMeta | null {
  try {
    return JSON.parse(readFileSync(join(vmPaths.versionDir(home, name, version), META), 'utf8')) as VmImageMeta;
  } catch {
    return null;
  }
}

/** The versions of `name` that are whole (have their meta.json), oldest first. */
function versionsOf(home: string, name: string): number[] {
  const dir = vmPaths.imageDir(home, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((v) => /^[1-9]\d*$/.test(v) && readMeta(home, name, Number(v)))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Every version of every image, by name then version. */
export function listVmImages(home: string): VmImageMeta[] {
  const dir = vmPaths.imagesDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => WORKSPACE_NAME_RE.test(n))
    .sort()
    .flatMap((n) => versionsOf(home, n).map((v) => readMeta(home, n, v) as VmImageMeta));
}

function findVersion(home: string, ref: string): VmImageMeta {
  const { name, version } = parseVmImageRef(ref);
  const versions = versionsOf(home, name);
  if (!versions.length) throw new BenchtopError('NOT_FOUND', `no VM image named ${name} (see benchtop image ls)`, { image: ref });
  const v = version ?? (versions[versions.length - 1] as number);
  if (!versions.includes(v)) throw new BenchtopError('NOT_FOUND', `image ${name} has no version ${v} (it has ${versions.join(', ')})`, { image: ref });
  return readMeta(home, name, v) as VmImageMeta;
}

/** The files QEMU boots for `ref` (NAME = newest version, NAME@VERSION pinned), as absolute paths. */
export function resolveVmImage(home: string, ref: string): ResolvedVmImage {
  const meta = findVersion(home, ref);
  const dir = vmPaths.versionDir(home, meta.name, meta.version);
  const kernel = readKernel(home, meta.kernelId);
  if (!kernel) throw new BenchtopError('NOT_FOUND', `image ${meta.name}@${meta.version}: its kernel ${meta.kernelId} is missing from ${vmPaths.kernelsDir(home)}`, { image: ref });
  for (const f of [ROOT_DISK, INITRD]) {
    if (!existsSync(join(dir, f))) throw new BenchtopError('NOT_FOUND', `image ${meta.name}@${meta.version}: ${f} is missing from ${dir}`, { image: ref });
  }
  return { name: meta.name, version: meta.version, rootDisk: join(dir, ROOT_DISK), initrd: join(dir, INITRD), kernel: kernel.vmlinux, kernelRelease: kernel.release, digest: meta.digest };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class VmImageStore {
  constructor(
    private readonly home: string,
    private readonly runner: Runner,
    private readonly agentBinary: string = defaultAgentBinary(),
  ) {}

  list(): VmImageMeta[] {
    return listVmImages(this.home);
  }

  resolve(ref: string): ResolvedVmImage {
    return resolveVmImage(this.home, ref);
  }

  async build(opts: BuildOptions, onLine: (line: string) => void = () => undefined): Promise<VmImageMeta> {
    checkName(opts.name);
    if (opts.sizeMiB !== undefined && (!Number.isSafeInteger(opts.sizeMiB) || opts.sizeMiB < 1)) {
      throw new BenchtopError('INVALID_INPUT', `size: must be a whole number of MiB, got ${opts.sizeMiB}`, { field: 'sizeMiB' });
    }
    if (!!opts.kernel !== !!opts.modules) throw new BenchtopError('INVALID_INPUT', 'modules: kernel and modules go together: give both or neither', { field: opts.kernel ? 'modules' : 'kernel' });
    if (!existsSync(this.agentBinary)) {
      throw new BenchtopError('BACKEND_UNAVAILABLE', `the guest agent ${this.agentBinary} is not built (node scripts/build-agent.mjs)`, { hint: 'node scripts/build-agent.mjs' });
    }
    mkdirSync(vmPaths.locksDir(this.home), { recursive: true });
    const built = await tryWithLock(vmPaths.imageLock(this.home, opts.name), () => this.buildLocked(opts, onLine));
    if (!built) throw new BenchtopError('CONFLICT', `image ${opts.name} is being built already: wait for that build to finish`, { image: opts.name });
    return built;
  }

  private async buildLocked(opts: BuildOptions, onLine: (line: string) => void): Promise<VmImageMeta> {
    mkdirSync(vmPaths.tmpDir(this.home), { recursive: true });
    const tmp = mkdtempSync(join(vmPaths.tmpDir(this.home), `image-${opts.name}-`));
    try {
      const tree = join(tmp, 'tree');
      const source = await this.copySource(opts.from, tree, onLine);
      if (!existsInRoot(tree, '/bin/sh')) throw new BenchtopError('INVALID_INPUT', `from: ${opts.from} has no /bin/sh: a VM image needs a shell to start`, { field: 'from' });
      const kernel = await this.kernel(opts, onLine);
      this.addBenchtop(tree);
      const out = join(tmp, 'version');
      mkdirSync(out);
      const sizeMiB = await this.makeDisk(tree, join(out, ROOT_DISK), opts.sizeMiB, onLine);
      rmSync(tree, { recursive: true, force: true });
      writeFileSync(join(out, INITRD), buildInitramfs(kernel));
      // Nothing writes the base disk: workspaces boot a qcow2 overlay of it.
      chmodSync(join(out, ROOT_DISK), 0o444);
      const digest = await sha256File(join(out, ROOT_DISK));
      const versions = versionsOf(this.home, opts.name);
      const version = (versions[versions.length - 1] ?? 0) + 1;
      const meta: VmImageMeta = { name: opts.name, version, digest, kernelRelease: kernel.release, kernelId: kernel.id, sizeMiB, source, createdAt: new Date().toISOString() };
      writeFileSync(join(out, META), `${JSON.stringify(meta, null, 2)}\n`);
      mkdirSync(vmPaths.imageDir(this.home, opts.name), { recursive: true });
      // A folder left by a build that died before writing its meta.json is no version: replace it.
      rmSync(vmPaths.versionDir(this.home, opts.name, version), { recursive: true, force: true });
      renameSync(out, vmPaths.versionDir(this.home, opts.name, version));
      onLine(`built ${opts.name}@${version} (${sizeMiB} MiB, kernel ${kernel.release})`);
      return meta;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  private async copySource(from: string, tree: string, onLine: (line: string) => void): Promise<string> {
    if (from.startsWith('/') || from.startsWith('.')) {
      // Never the data folder (or a folder holding it): an image would carry its secrets and disks.
      const real = resolveHostPath(from, 'from', this.home);
      if (!statSync(real).isDirectory()) throw new BenchtopError('INVALID_INPUT', `from: ${from} is not a folder (give a root filesystem folder or a local podman image)`, { field: 'from' });
      onLine(`copying ${real}`);
      const r = await this.runner.run(['cp', '-a', '--reflink=auto', '--', `${real}/.`, tree], { timeoutMs: 1_800_000 });
      if (r.exitCode !== 0) throw backendFailed(`copying ${real}`, r);
      return real;
    }
    return exportImageRootfs(this.runner, from, tree, onLine);
  }

  private async kernel(opts: BuildOptions, onLine: (line: string) => void): Promise<Kernel> {
    if (opts.kernel && opts.modules) return importKernel(this.home, this.runner, { kernel: opts.kernel, modules: opts.modules });
    return ensureDebianKernel(this.home, this.runner, onLine);
  }

  /** Benchtop's own part of every image: the agent, stage 2, and the mount points stage 2 needs. */
  private addBenchtop(tree: string): void {
    for (const d of ['benchtop', 'proc', 'sys', 'dev', 'tmp', 'run', 'workspace']) mkdirSync(join(tree, d), { recursive: true });
    writeFileSync(join(tree, 'benchtop', 'agent'), readFileSync(this.agentBinary), { mode: 0o755 });
    writeFileSync(join(tree, 'benchtop', 'init'), STAGE2_INIT, { mode: 0o755 });
    chmodSync(join(tree, 'benchtop', 'agent'), 0o755);
    chmodSync(join(tree, 'benchtop', 'init'), 0o755);
  }

  private async makeDisk(tree: string, out: string, askedMiB: number | undefined, onLine: (line: string) => void): Promise<number> {
    const { neededMiB, defaultMiB } = diskSizesMiB(treeBytes(tree));
    const tooSmall = (size: number) =>
      new BenchtopError('INVALID_INPUT', `sizeMiB: ${size} MiB is too small for this image: it needs at least ${neededMiB} MiB`, { field: 'sizeMiB', neededMiB });
    if (askedMiB !== undefined && askedMiB < neededMiB) throw tooSmall(askedMiB);
    const sizeMiB = askedMiB ?? defaultMiB;
    onLine(`making a ${sizeMiB} MiB ext4 root disk`);
    // root_owner: the top folder belongs to root in the guest even when a user builds the image.
    const r = await this.runner.run(['mkfs.ext4', '-q', '-E', 'root_owner=0:0', '-L', 'benchtop-root', '-d', tree, '-F', out, `${sizeMiB}M`], { timeoutMs: 1_800_000 });
    if (r.exitCode !== 0) {
      if (/no space|could not allocate|not enough/i.test(r.stderr)) throw tooSmall(sizeMiB);
      throw backendFailed('mkfs.ext4', r);
    }
    return sizeMiB;
  }

  /**
   * Removes one version (`NAME@VERSION`) or every version (`NAME`), refused
   * while a workspace uses one of them or while the name is being built.
   */
  async remove(ref: string, users: () => ImageUser[]): Promise<VmImageMeta[]> {
    const { name, version } = parseVmImageRef(ref);
    const versions = versionsOf(this.home, name);
    if (!versions.length) throw new BenchtopError('NOT_FOUND', `no VM image named ${name} (see benchtop image ls)`, { image: ref });
    if (version !== null && !versions.includes(version)) throw new BenchtopError('NOT_FOUND', `image ${name} has no version ${version} (it has ${versions.join(', ')})`, { image: ref });
    mkdirSync(vmPaths.locksDir(this.home), { recursive: true });
    const removed = await tryWithLock(vmPaths.imageLock(this.home, name), () => {
      const doomed = version === null ? versionsOf(this.home, name) : [version];
      const newest = versionsOf(this.home, name).pop();
      for (const u of users()) {
        if (!u.image) continue;
        // A workspace naming the image without a version boots the newest one.
        const uses = doomed.some((v) => u.image === `${name}@${v}` || (u.image === name && v === newest));
        if (uses) throw new BenchtopError('CONFLICT', `image ${u.image} is used by workspace ${u.workspace}: remove the workspace first`, { image: ref, workspace: u.workspace });
      }
      const metas = doomed.map((v) => readMeta(this.home, name, v)).filter((m): m is VmImageMeta => !!m);
      mkdirSync(vmPaths.tmpDir(this.home), { recursive: true });
      for (const v of doomed) {
        // Renamed away first, so a version is either whole or gone, never half deleted.
        const trash = mkdtempSync(join(vmPaths.tmpDir(this.home), `rm-${name}-${v}-`));
        renameSync(vmPaths.versionDir(this.home, name, v), join(trash, 'version'));
        rmSync(trash, { recursive: true, force: true });
      }
      if (!versionsOf(this.home, name).length) rmSync(vmPaths.imageDir(this.home, name), { recursive: true, force: true });
      return metas;
    });
    if (!removed) throw new BenchtopError('CONFLICT', `image ${name} is being built: try again when the build is done`, { image: ref });
    return removed;
  }
}
