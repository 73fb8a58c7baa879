/** The VM image methods' payloads, validated where they enter main (src-preload/contract/vm-images.ts). */
import { describe, expect, it } from 'vitest';
import { methods } from '../../src-preload/contract';

const build = methods['vmImages.build'].params;
const remove = methods['vmImages.remove'].params;

const firstIssue = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }): string =>
  r.success ? 'ok' : `${r.error?.issues[0]?.path.join('.')}: ${r.error?.issues[0]?.message}`;

describe('vmImages.build params', () => {
  it('takes a name, a source, and optionally a size and the user kernel', () => {
    expect(firstIssue(build.safeParse({ name: 'deb-12', from: '/srv/rootfs' }))).toBe('ok');
    expect(firstIssue(build.safeParse({ name: 'deb', from: 'localhost/img:1', sizeMiB: 512, kernel: '/k/vmlinux', modules: '/k/mods', buildId: '0123456789' }))).toBe('ok');
  });

  it('refuses each bad field with its name', () => {
    expect(firstIssue(build.safeParse({ name: 'Deb', from: '/x' }))).toMatch(/^name: must match/);
    expect(firstIssue(build.safeParse({ name: 'd', from: '--privileged' }))).toBe('from: must not start with "-"');
    expect(firstIssue(build.safeParse({ name: 'd', from: '/x', sizeMiB: 1.5 }))).toBe('sizeMiB: must be a whole number of MiB');
    expect(firstIssue(build.safeParse({ name: 'd', from: '/x', kernel: 'vmlinux', modules: '/m' }))).toBe('kernel: must be an absolute path (starting with /)');
    expect(firstIssue(build.safeParse({ name: 'd', from: '/x', kernel: '/k' }))).toBe('modules: kernel and modules go together: give both or neither');
    expect(firstIssue(build.safeParse({ name: 'd', from: '/x', extra: 1 }))).toMatch(/Unrecognized key/);
  });
});

describe('vmImages.remove params', () => {
  it('takes NAME or NAME@VERSION', () => {
    for (const ref of ['deb', 'deb@1', 'deb.x_y-z@123']) expect(firstIssue(remove.safeParse({ ref }))).toBe('ok');
    for (const ref of ['Deb', 'deb@0', 'deb@', '@1', 'deb@1@2', 'deb@x']) expect(firstIssue(remove.safeParse({ ref }))).toMatch(/^ref: must be NAME or NAME@VERSION/);
  });
});
