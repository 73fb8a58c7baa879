/** Our cpio newc writer, read back by GNU cpio (the format the kernel unpacks as an initramfs). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpioNewc } from '../../../../src-main/core/vm/cpio';

describe('cpioNewc', () => {
  const archive = cpioNewc([
    { kind: 'dir', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: '/init', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { kind: 'file', path: 'odd', data: Buffer.from('12345') },
    { kind: 'symlink', path: 'sh', target: 'busybox' },
  ]);

  it('is read back whole by GNU cpio: names, modes, a device node, a link, root owner', () => {
    const listing = execFileSync('cpio', ['-t', '-v', '--quiet'], { input: archive, encoding: 'utf8' });
    const lines = listing.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^drwxr-xr-x\s+2 root\s+root\s+0 .* dev$/);
    expect(lines[1]).toMatch(/^crw-------\s+1 root\s+root\s+5,\s+1 .* dev\/console$/);
    expect(lines[2]).toMatch(/^-rwxr-xr-x\s+1 root\s+root\s+18 .* init$/);
    expect(lines[3]).toMatch(/^-rw-r--r--\s+1 root\s+root\s+5 .* odd$/);
    expect(lines[4]).toMatch(/^lrwxrwxrwx\s+1 root\s+root\s+7 .* sh -> busybox$/);
  });

  it('keeps file bytes exact (4-byte padding after odd lengths)', () => {
    const out = execFileSync('cpio', ['-i', '--quiet', '--to-stdout', 'odd'], { input: archive });
    expect(out.toString()).toBe('12345');
    expect(archive.length % 4).toBe(0);
  });

  it('refuses a path that climbs out', () => {
    expect(() => cpioNewc([{ kind: 'dir', path: 'a/../../etc' }])).toThrow('bad path');
    expect(() => cpioNewc([{ kind: 'dir', path: '/' }])).toThrow('bad path');
  });
});
