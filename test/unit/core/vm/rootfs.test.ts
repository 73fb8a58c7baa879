/** Looking into a root filesystem tree as the guest would, and sizing its disk. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskSizesMiB, existsInRoot, treeBytes } from '../../../../src-main/core/vm/rootfs';
import { parseVmImageRef } from '../../../../src-main/core/vm/store';

const root = mkdtempSync(join(tmpdir(), 'benchtop-rootfs-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('existsInRoot', () => {
  it('follows links inside the tree: relative, absolute (the tree root), through a linked folder', () => {
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    writeFileSync(join(root, 'usr', 'bin', 'dash'), '');
    symlinkSync('usr/bin', join(root, 'bin'));
    symlinkSync('dash', join(root, 'usr', 'bin', 'sh'));
    symlinkSync('/usr/bin/dash', join(root, 'usr', 'bin', 'abs'));
    expect(existsInRoot(root, '/bin/sh')).toBe(true);
    expect(existsInRoot(root, '/bin/abs')).toBe(true);
    expect(existsInRoot(root, '/bin/nope')).toBe(false);
  });

  it('never looks at the host: an absolute link to a host file that the tree lacks does not count', () => {
    const other = mkdtempSync(join(tmpdir(), 'benchtop-rootfs-test-'));
    mkdirSync(join(other, 'bin'));
    symlinkSync('/bin/busybox', join(other, 'bin', 'sh')); // the host has one, the tree does not
    symlinkSync('../../../../../../etc/passwd', join(other, 'bin', 'up'));
    expect(existsInRoot(other, '/bin/sh')).toBe(false);
    expect(existsInRoot(other, '/bin/up')).toBe(false);
    symlinkSync('loop', join(other, 'loop'));
    expect(existsInRoot(other, '/loop')).toBe(false);
    rmSync(other, { recursive: true, force: true });
  });
});

describe('disk sizes', () => {
  it('counts whole 4 KiB blocks', () => {
    const t = mkdtempSync(join(tmpdir(), 'benchtop-rootfs-size-'));
    writeFileSync(join(t, 'a'), 'x');
    writeFileSync(join(t, 'b'), Buffer.alloc(4097));
    expect(treeBytes(t)).toBe(4096 + 4096 + 8192);
    rmSync(t, { recursive: true, force: true });
  });

  it('defaults to content + 50% + 64 MiB, rounded up to 8 MiB; needs at least content + 15% + 16 MiB', () => {
    expect(diskSizesMiB(2 * 1024 * 1024)).toEqual({ neededMiB: 19, defaultMiB: 72 });
    expect(diskSizesMiB(1000 * 1024 * 1024)).toEqual({ neededMiB: 1166, defaultMiB: 1568 });
  });
});

describe('parseVmImageRef', () => {
  it('reads NAME and NAME@VERSION, refusing the rest in one line', () => {
    expect(parseVmImageRef('debian')).toEqual({ name: 'debian', version: null });
    expect(parseVmImageRef('debian@12')).toEqual({ name: 'debian', version: 12 });
    expect(() => parseVmImageRef('Debian')).toThrow('ref: "Debian" must match');
    expect(() => parseVmImageRef('debian@0')).toThrow('must be 1 or more');
    expect(() => parseVmImageRef('debian@x')).toThrow('ref: "debian@x"');
    expect(() => parseVmImageRef('../x')).toThrow('must match');
  });
});
