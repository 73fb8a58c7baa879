/** The pure parts of the kernel cache: finding the XZ stream, the release, the newest Debian package; and module collection. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecaRunner } from '../../../../src-main/core/runner/runner';
import { bannerRelease, extractVmlinux, moduleRelease, newestDebianKernel, xzOffset } from '../../../../src-main/core/vm/kernel';
import { collectModules, readBuiltin, VM_MODULES } from '../../../../src-main/core/vm/modules';

const dir = mkdtempSync(join(tmpdir(), 'benchtop-kernel-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kernel helpers', () => {
  it('finds the XZ magic inside a bzImage', () => {
    const bz = Buffer.concat([Buffer.alloc(100, 1), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(10)]);
    expect(xzOffset(bz)).toBe(100);
    expect(xzOffset(Buffer.alloc(50))).toBe(-1);
  });

  it('reads the release from the banner and from a module vermagic', () => {
    expect(bannerRelease(Buffer.from('\0\0Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP'))).toBe('6.1.0-56-amd64');
    expect(bannerRelease(Buffer.from('no banner'))).toBeNull();
    expect(moduleRelease(Buffer.from('license=GPL\0vermagic=6.1.0-56-amd64 SMP preempt mod_unload\0'))).toBe('6.1.0-56-amd64');
  });

  it('picks the newest generic 6.1 package, never -cloud-', () => {
    const out = [
      'linux-image-6.1.0-9-amd64 - Linux 6.1 for 64-bit PCs (signed)',
      'linux-image-6.1.0-56-amd64 - Linux 6.1 for 64-bit PCs (signed)',
      'linux-image-6.1.0-57-cloud-amd64 - Linux 6.1 for x86-64 cloud',
      'linux-image-6.1.0-10-amd64 - Linux 6.1 for 64-bit PCs (signed)',
    ].join('\n');
    expect(newestDebianKernel(out)).toEqual({ pkg: 'linux-image-6.1.0-56-amd64', release: '6.1.0-56-amd64' });
    expect(newestDebianKernel('')).toBeNull();
  });

  it('unpacks the ELF from an XZ bzImage with bytes after the stream', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from('Linux version 6.1.0-1-test (x)')]);
    const xz = execFileSync('xz', ['-c', '--check=crc32'], { input: elf });
    writeFileSync(join(dir, 'bzImage'), Buffer.concat([Buffer.from('MZ setup code'), xz, Buffer.from('trailing garbage')]));
    await extractVmlinux(createExecaRunner(), join(dir, 'bzImage'), join(dir, 'vmlinux'));
    expect(readFileSync(join(dir, 'vmlinux'))).toEqual(elf);
    writeFileSync(join(dir, 'junk'), 'not a kernel');
    await expect(extractVmlinux(createExecaRunner(), join(dir, 'junk'), join(dir, 'v2'))).rejects.toThrow('neither an ELF vmlinux nor an XZ-compressed bzImage');
  });
});

describe('collectModules', () => {
  it('copies the modules in load order, unpacking .ko.xz, skipping built-in ones', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'drivers', 'virtio'), { recursive: true });
    for (const m of VM_MODULES) if (m !== 'ext4' && m !== 'virtio_ring') writeFileSync(join(tree, 'drivers', 'virtio', `${m.replace(/_/g, '-')}.ko`), `module ${m}`);
    writeFileSync(join(tree, 'drivers', 'ext4.ko.xz'), execFileSync('xz', ['-c'], { input: 'module ext4' }));
    writeFileSync(join(dir, 'modules.builtin'), 'kernel/drivers/virtio/virtio_ring.ko\n');
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    const got = await collectModules(createExecaRunner(), tree, readBuiltin(join(dir, 'modules.builtin')), dest);
    expect(got.builtin).toEqual(['virtio_ring']);
    expect(got.load).toEqual(VM_MODULES.filter((m) => m !== 'virtio_ring'));
    expect(readFileSync(join(dest, 'ext4.ko'), 'utf8')).toBe('module ext4');
    expect(readdirSync(dest).sort()).toEqual(got.load.map((m) => `${m}.ko`).sort());
  });

  it('names a module that is neither in the tree nor built in', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(collectModules(createExecaRunner(), empty, new Set(), empty)).rejects.toThrow('modules: virtio_ring is neither in');
  });
});
