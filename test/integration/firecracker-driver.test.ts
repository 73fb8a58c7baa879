/**
 * The firecracker driver's host side for real, where Firecracker itself
 * cannot run: prepare() gives a workspace its own raw copy of a real VM
 * image's root disk (built by `benchtop image build` from the busybox test
 * rootfs), byte-identical and sparse, leaving the image's untouched; start()
 * on a host without Firecracker or KVM refuses with detect()'s hint and
 * writes nothing; remove() clears the workspace's VM folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecaRunner } from '../../src-main/core/runner/runner';
import { hostFacts, verdict } from '../../src-main/core/drivers/firecracker/detect';
import { createFirecrackerDriver, firecrackerFiles } from '../../src-main/core/drivers/firecracker/driver';
import type { DriverContext } from '../../src-main/core/drivers/types';
import { resolveVmImage } from '../../src-main/core/vm/store';
import { sampleWorkspace } from '../unit/core/sample-workspace';
import { cleanup, cli, tempDir } from '../helpers/cli';
import { FIXTURE_ROOTFS, VM_FIXTURE } from '../helpers/fixtures';

const canRun = verdict(hostFacts()).available;
const haveFixture = existsSync(join(VM_FIXTURE, 'kernel.json')) && existsSync(FIXTURE_ROOTFS);

(haveFixture ? describe : describe.skip)(`firecracker driver on the host${haveFixture ? '' : ' — skipped: no VM fixture (test/fixtures/build-vm.sh)'}`, () => {
  let home: string;
  let wsDir: string;
  let project: string;
  const ws = () => sampleWorkspace({ id: 'fcw1', name: 'fc1', backend: 'firecracker', image: 'fcimg@1', imageKind: 'image', isolation: 'vm', network: 'none', project });
  const driver = () => createFirecrackerDriver({ runner: createExecaRunner(), host: {}, workspaceDir: () => wsDir, home } as unknown as DriverContext);

  beforeAll(async () => {
    home = tempDir('fcd-home');
    wsDir = tempDir('fcd-ws');
    project = tempDir('fcd-proj');
    const k = JSON.parse(readFileSync(join(VM_FIXTURE, 'kernel.json'), 'utf8')) as { vmlinux: string; modules: string };
    const built = await cli(['image', 'build', 'fcimg', '--from', FIXTURE_ROOTFS, '--kernel', join(VM_FIXTURE, k.vmlinux), '--modules', join(VM_FIXTURE, k.modules)], { home });
    expect(built.exitCode, built.stderr).toBe(0);
  }, 300_000);
  afterAll(() => cleanup(home, wsDir, project));

  it('prepare() copies the root disk: same bytes, sparse, its own file, the image untouched', async () => {
    const image = resolveVmImage(home, 'fcimg@1');
    const before = execFileSync('sha256sum', [image.rootDisk]).toString().split(' ')[0];
    await driver().prepare(ws());
    const files = firecrackerFiles(join(wsDir, 'vm'));
    expect(readdirSync(files.dir)).toEqual(['root.ext4']);
    execFileSync('cmp', [image.rootDisk, files.rootDisk]);
    const st = statSync(files.rootDisk);
    expect(st.ino).not.toBe(statSync(image.rootDisk).ino);
    // Sparse: fewer blocks than its size (an ext4 image is mostly holes).
    expect(st.blocks * 512).toBeLessThan(st.size);
    // Written by the guest, the copy changes; the image's disk does not.
    execFileSync('dd', ['if=/dev/urandom', `of=${files.rootDisk}`, 'bs=4096', 'count=1', 'seek=100', 'conv=notrunc'], { stdio: 'ignore' });
    expect(execFileSync('sha256sum', [image.rootDisk]).toString().split(' ')[0]).toBe(before);
    await expect(driver().prepare(ws())).rejects.toThrow(/root disk .* exists already/);
  });

  it.skipIf(canRun)('start() refuses with what is missing, and writes no launch', async () => {
    await expect(driver().start(ws(), {})).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/^firecracker: Firecracker cannot run here: /) });
    expect(existsSync(firecrackerFiles(join(wsDir, 'vm')).launch)).toBe(false);
  });

  it('remove() clears the VM folder', async () => {
    await driver().remove(ws());
    expect(existsSync(join(wsDir, 'vm'))).toBe(false);
  });
});
