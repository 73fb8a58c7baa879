/**
 * VM images for real: `benchtop image build` from the busybox test rootfs
 * with the kernel test/fixtures/build-vm.sh cached (Debian's generic 6.1),
 * the store's refusals (no /bin/sh, a disk too small, a name being built,
 * a bad name, a missing source, the data folder, removing what a workspace
 * uses), a build from a local podman image (when podman is here), and one
 * boot under QEMU TCG to the real guest agent's HELLO, from a qcow2 overlay
 * that leaves the image's root disk byte-identical.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmImage } from '../../src-preload/contract';
import { resolveVmImage } from '../../src-main/core/vm/store';
import { vmPaths } from '../../src-main/core/vm/paths';
import { LAYOUT_VERSION } from '../../src-main/core/store/layout';
import { sampleWorkspace } from '../unit/core/sample-workspace';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE, FIXTURE_ROOTFS } from '../helpers/fixtures';
import { describeWith, REQUIRED, unavailable } from '../helpers/runtime';
import { bootToHello } from '../helpers/vm-boot';
import { vmKernel } from '../helpers/vm-kernel';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describeWith('qemu', 'VM images (QEMU TCG)', () => {
  let home: string;
  let work: string;
  let kernelArgs: string[];
  let release: string;

  beforeAll(() => {
    home = tempDir('vm-home');
    work = tempDir('vm-work');
    ({ release, args: kernelArgs } = vmKernel());
  });
  afterAll(() => cleanup(home, work));

  const build = (name: string, ...more: string[]) => cli(['image', 'build', name, '--from', FIXTURE_ROOTFS, ...kernelArgs, ...more], { home, timeoutMs: 300_000 });

  it('builds versions 1 and 2 of an image: digest of the root disk, kernel release, listed, resolved', async () => {
    const v1 = await cliJson<VmImage>(['image', 'build', 'bb', '--from', FIXTURE_ROOTFS, ...kernelArgs], { home, timeoutMs: 300_000 });
    expect(v1).toMatchObject({ name: 'bb', version: 1, kernelRelease: release, source: realpathSync(FIXTURE_ROOTFS) });
    expect(v1.kernelRelease).toMatch(/^6\.1\.0-\d+-amd64$/);
    const r1 = resolveVmImage(home, 'bb@1');
    expect(sha256(r1.rootDisk)).toBe(v1.digest);
    const v2 = await cliJson<VmImage>(['image', 'build', 'bb', '--from', FIXTURE_ROOTFS, ...kernelArgs, '--size', '40'], { home, timeoutMs: 300_000 });
    expect(v2).toMatchObject({ version: 2, sizeMiB: 40 });
    expect(resolveVmImage(home, 'bb').version).toBe(2);
    const listed = await cliJson<VmImage[]>(['image', 'ls'], { home });
    expect(listed.map((i) => `${i.name}@${i.version}`)).toEqual(['bb@1', 'bb@2']);
    const human = await cli(['image', 'ls'], { home });
    expect(human.stdout).toMatch(new RegExp(`^bb@1\\s+${release.replace(/\./g, '\\.')}\\s+72 MiB\\s+${v1.digest.slice(0, 12)}`, 'm'));
  }, 600_000);

  it('builds from a local podman image (its export: every layer applied)', async (ctx) => {
    const why = unavailable('podman');
    if (why && !REQUIRED) ctx.skip(why);
    const v = await cliJson<VmImage>(['image', 'build', 'pod', '--from', FIXTURE_IMAGE, ...kernelArgs], { home, timeoutMs: 300_000 });
    expect(v).toMatchObject({ name: 'pod', version: 1, source: `podman:${FIXTURE_IMAGE}` });
    expect(sha256(resolveVmImage(home, 'pod').rootDisk)).toBe(v.digest);
    expect(await cli(['image', 'rm', 'pod'], { home })).toMatchObject({ exitCode: 0, stdout: 'removed pod@1\n' });
  }, 300_000);

  it('refuses bad input with one line naming what was wrong, and stores nothing', async () => {
    const noShell = join(work, 'no-shell');
    mkdirSync(join(noShell, 'etc'), { recursive: true });
    writeFileSync(join(noShell, 'etc', 'hostname'), 'x\n');
    const cases: Array<[string[], RegExp]> = [
      [['image', 'build', 'x', '--from', noShell, ...kernelArgs], /^benchtop: --from: .*no-shell has no \/bin\/sh: a VM image needs a shell to start \[INVALID_INPUT\]\n$/],
      [['image', 'build', 'x', '--from', FIXTURE_ROOTFS, ...kernelArgs, '--size', '8'], /^benchtop: --size: 8 MiB is too small for this image: it needs at least \d+ MiB \[INVALID_INPUT\]\n$/],
      [['image', 'build', 'Bad_Name', '--from', FIXTURE_ROOTFS, ...kernelArgs], /^benchtop: NAME: must match .* \[INVALID_INPUT\]\n$/],
      [['image', 'build', 'x', '--from', 'localhost/no-such-image:1', ...kernelArgs], /^benchtop: --from: localhost\/no-such-image:1 is neither a folder \(give an absolute path\) nor a local podman image \[INVALID_INPUT\]\n$/],
      [['image', 'build', 'x', '--from', '/nowhere/at-all', ...kernelArgs], /^benchtop: --from: \/nowhere\/at-all does not exist \[INVALID_INPUT\]\n$/],
      [['image', 'build', 'x', '--from', home, ...kernelArgs], /^benchtop: --from: .* overlaps Benchtop's data folder .*, which is never mounted into a sandbox \[INVALID_INPUT\]\n$/],
      [['image', 'build', 'x', '--from', FIXTURE_ROOTFS, '--kernel', '/boot/none'], /^benchtop: --modules: kernel and modules go together: give both or neither \[INVALID_INPUT\]\n$/],
      [['image', 'rm', 'bb@7'], /^benchtop: image bb has no version 7 \(it has 1, 2\) \[NOT_FOUND\]\n$/],
      [['image', 'rm', 'nosuch'], /^benchtop: no VM image named nosuch \(see benchtop image ls\) \[NOT_FOUND\]\n$/],
    ];
    for (const [args, stderr] of cases) {
      const r = await cli(args, { home, timeoutMs: 300_000 });
      expect({ args, code: r.exitCode, stderr: r.stderr.replace(/^(copying|exporting|making).*\n/gm, '') }).toEqual({ args, code: 1, stderr: expect.stringMatching(stderr) });
    }
    expect(readdirSync(vmPaths.imagesDir(home))).toEqual(['bb']);
    expect(readdirSync(vmPaths.tmpDir(home))).toEqual([]);
  }, 600_000);

  it('refuses a second build of a name while one runs', async () => {
    // Hold the name's build lock as a running build does (proper-lockfile, the store's own lock).
    const lock = vmPaths.imageLock(home, 'bb');
    writeFileSync(lock, '');
    const release = await lockfile.lock(lock, { realpath: false, stale: 15_000 });
    try {
      const r = await build('bb');
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toBe('benchtop: image bb is being built already: wait for that build to finish [CONFLICT]\n');
    } finally {
      await release();
    }
    expect((await cliJson<VmImage[]>(['image', 'ls'], { home })).length).toBe(2);
  }, 300_000);

  it('boots under QEMU TCG to the agent HELLO (kernel = the Debian release), and leaves the base disk unchanged', async () => {
    const image = resolveVmImage(home, 'bb@1');
    const before = sha256(image.rootDisk);
    const project = tempDir('vm-project');
    const run = join(work, 'run');
    mkdirSync(run);
    // A published port gives the guest a (restricted) NIC for stage 2 to configure.
    const booted = await bootToHello(image, run, { project, ports: [{ hostPort: await freePort(), guestPort: 80 }] });
    try {
      expect(booted.hello).toMatchObject({ version: '1', kernel: release, pid: '1' });
      expect(booted.hello.agent).toMatch(/^benchtop-agent /);
    } finally {
      await booted.stop();
      cleanup(project);
    }
    // Stage 1 and 2 say on the console whatever failed (a module, the 9p project folder, eth0).
    expect(readFileSync(booted.consoleLog, 'utf8')).not.toMatch(/benchtop stage/);
    expect(booted.argv).toContain('-netdev');
    expect(sha256(image.rootDisk)).toBe(before);
    expect(before).toBe(resolveVmImage(home, 'bb@1').digest);
    console.log(`VM boot (TCG, microvm): spawn -> guest HELLO ${booted.helloMs} ms`);
  }, 300_000);

  it('refuses to remove a version a workspace uses, removes the others', async () => {
    const ws = sampleWorkspace({ id: 'ws-vm-1', name: 'uses-bb', state: 'stopped', image: 'bb@1', imageKind: 'image' });
    mkdirSync(join(home, 'workspaces', ws.id), { recursive: true });
    writeFileSync(join(home, 'workspaces', ws.id, 'workspace.json'), JSON.stringify({ layoutVersion: LAYOUT_VERSION, workspace: ws }));
    for (const ref of ['bb@1', 'bb']) {
      const r = await cli(['image', 'rm', ref], { home });
      expect(r.stderr).toBe('benchtop: image bb@1 is used by workspace uses-bb: remove the workspace first [CONFLICT]\n');
    }
    expect((await cli(['image', 'rm', 'bb@2'], { home })).stdout).toBe('removed bb@2\n');
    expect((await cliJson<VmImage[]>(['image', 'ls'], { home })).map((i) => i.version)).toEqual([1]);
    expect(resolveVmImage(home, 'bb').version).toBe(1);
  }, 120_000);
});
