/**
 * The kernel modules a Benchtop guest needs, in the order stage 1 loads them
 * (dependencies first: there is no modprobe in the initramfs), and how to
 * collect them from a kernel's module tree. Proven on Debian's generic 6.1
 * kernel (see RUNTIMES.md); a kernel that builds one in simply has no file
 * for it, and stage 1 skips what is absent.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError } from '../../../src-preload/contract';
import type { Runner } from '../runner/runner';
import { backendFailed } from '../drivers/errors';

export const VM_MODULES = [
  // virtio transports and the agent's virtio-serial port
  'virtio_ring', 'virtio', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev', 'virtio_pci', 'virtio_mmio', 'virtio_console',
  // the project folder over 9p
  'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p',
  // the ext4 root disk (crc32c_generic is only a softdep of ext4: modprobe would load it, insmod does not)
  'virtio_blk', 'crc16', 'crc32c_generic', 'mbcache', 'jbd2', 'ext4',
  // the NIC
  'failover', 'net_failover', 'virtio_net',
  // the agent's vsock under Firecracker (it has no virtio-serial)
  'vsock', 'vmw_vsock_virtio_transport_common', 'vmw_vsock_virtio_transport',
] as const;

/** Module names treat - and _ alike. */
const norm = (name: string): string => name.replace(/-/g, '_');

const MODULE_FILE = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/;

/** Every module file under `dir` (any depth), by normalised name. */
export function indexModuleFiles(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const base = rel.split('/').pop() as string;
    const m = MODULE_FILE.exec(base);
    if (m && !found.has(norm(m[1] as string))) found.set(norm(m[1] as string), join(dir, rel));
  }
  return found;
}

/** The names in a kernel's modules.builtin (`kernel/fs/ext4/ext4.ko` lines), normalised. */
export function readBuiltin(modulesBuiltinFile: string): Set<string> {
  if (!existsSync(modulesBuiltinFile)) return new Set();
  const names = readFileSync(modulesBuiltinFile, 'utf8')
    .split('\n')
    .map((l) => MODULE_FILE.exec(l.trim().split('/').pop() ?? '')?.[1])
    .filter((n): n is string => !!n);
  return new Set(names.map(norm));
}

export interface CollectedModules {
  /** Loaded by stage 1 in this order, each as modules/<name>.ko. */
  load: string[];
  /** Built into the kernel (or, for a folder without modules.builtin, absent from it). */
  builtin: string[];
}

/**
 * Copies VM_MODULES from a module tree into `dest` as plain `<name>.ko`
 * (compressed ones unpacked: busybox insmod takes plain files). A module
 * neither present nor built in is an error when the tree says what is built
 * in; a bare folder of .ko files is trusted to hold what the kernel lacks.
 */
export async function collectModules(runner: Runner, tree: string, builtin: Set<string> | null, dest: string): Promise<CollectedModules> {
  const files = indexModuleFiles(tree);
  const load: string[] = [];
  const inKernel: string[] = [];
  for (const name of VM_MODULES) {
    const src = files.get(norm(name));
    if (!src) {
      if (builtin && !builtin.has(norm(name))) {
        throw new BenchtopError('INVALID_INPUT', `modules: ${name} is neither in ${tree} nor built into the kernel`, { field: 'modules', module: name });
      }
      inKernel.push(name);
      continue;
    }
    const out = join(dest, `${name}.ko`);
    if (src.endsWith('.ko')) copyFileSync(src, out);
    else await unpack(runner, src, out);
    load.push(name);
  }
  return { load, builtin: inKernel };
}

/** Unpacks a compressed module beside its copy in place: each tool writes `<name>.ko` and drops the suffix. */
async function unpack(runner: Runner, src: string, out: string): Promise<void> {
  const suffix = src.slice(src.lastIndexOf('.'));
  const packed = `${out}${suffix}`;
  copyFileSync(src, packed);
  const argv = suffix === '.xz' ? ['xz', '-d', '-f', '--', packed] : suffix === '.zst' ? ['zstd', '-d', '-q', '-f', '--rm', '--', packed] : ['gzip', '-d', '-f', '--', packed];
  const r = await runner.run(argv);
  if (r.exitCode !== 0) throw backendFailed(`unpacking ${src}`, r);
}
