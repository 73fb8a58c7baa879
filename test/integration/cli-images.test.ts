/**
 * `benchtop images` and `benchtop pull` against the real podman: an image
 * saved with `podman save --format oci-archive` is pulled back with podman's
 * progress on stderr and the stored name on stdout; a pull that cannot work
 * fails with one line naming what was wrong, and pulls nothing.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ImageChoice } from '../../src-preload/contract';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

const podman = (...args: string[]): string => execFileSync('podman', args, { encoding: 'utf8', timeout: 120_000 });

describeWith('podman', 'benchtop images / pull (podman)', () => {
  let home: string;
  let work: string;
  const name = `localhost/benchtop-cli-pull-${process.pid}:1`;

  beforeAll(() => {
    home = tempDir('home');
    work = tempDir('pull');
    podman('tag', FIXTURE_IMAGE, name);
    podman('save', '--format', 'oci-archive', '-o', join(work, 'img.tar'), name);
    podman('rmi', name);
  });
  afterAll(() => {
    try {
      podman('rmi', '--force', name);
    } catch {
      // Never pulled (a failed run).
    }
    cleanup(home, work);
  });

  it('pulls an oci-archive: progress on stderr, the stored name on stdout; then lists it with its size', async () => {
    const before = await cliJson<{ images: ImageChoice[] }>(['images'], { home });
    expect(before.images.some((i) => i.ref === name)).toBe(false);
    const r = await cli(['pull', `oci-archive:${join(work, 'img.tar')}`], { home });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`pulled ${name}\n`);
    expect(r.stderr).toMatch(/^Copying blob sha256:[0-9a-f]+$/m);
    expect(r.stderr).toMatch(/^Writing manifest to image destination$/m);
    const after = await cliJson<{ images: ImageChoice[]; canPull: boolean }>(['images'], { home });
    const got = after.images.find((i) => i.ref === name);
    expect(got).toMatchObject({ kind: 'image', source: 'store' });
    expect(got?.sizeBytes).toBeGreaterThan(100_000);
    expect(after.canPull).toBe(true);
    const table = await cli(['images'], { home });
    expect(table.stdout).toMatch(new RegExp(`^${name.replace(/[.:/]/g, '\\$&')}\\s+image\\s+\\d+\\.\\d MiB\\s+20\\d\\d-`, 'm'));
  });

  it('fails in one line naming what was wrong, and pulls nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['pull', `oci-archive:${join(work, 'missing.tar')}`], /^benchtop: image: .*missing\.tar does not exist \[INVALID_INPUT\]\n$/],
      [['pull', 'oci-archive:relative.tar'], /^benchtop: image: oci-archive: needs an absolute path, e\.g\. oci-archive:\/data\/image\.tar \[INVALID_INPUT\]\n$/],
      [['pull', '--', '--tls-verify=false'], /^benchtop: ref: must not start with "-" \[INVALID_INPUT\]\n$/],
      [['pull', 'bad ref'], /^benchtop: ref: must not contain spaces or control characters \[INVALID_INPUT\]\n$/],
      [['pull', 'x', '--backend', 'bwrap'], /^benchtop: --backend: bwrap keeps no images to pull into \(use a folder or file path\) \[INVALID_INPUT\]\n$/],
      [['pull'], /^benchtop: expected exactly one image reference/],
    ];
    for (const [args, want] of cases) {
      const r = await cli(args, { home });
      expect([args, r.exitCode, r.stderr]).toEqual([args, r.exitCode === 2 ? 2 : 1, expect.stringMatching(want)]);
      expect(r.stdout).toBe('');
    }
    // podman's own failure: the reference and podman's reason, one line.
    execFileSync('sh', ['-c', `echo not-a-tar > ${join(work, 'garbage.tar')}`]);
    const g = await cli(['pull', `oci-archive:${join(work, 'garbage.tar')}`], { home });
    expect(g.exitCode).toBe(1);
    expect(g.stderr.trim().split('\n').pop()).toMatch(/^benchtop: could not pull oci-archive:.*garbage\.tar: .+ \[BACKEND_FAILED\]$/);
  });
});
