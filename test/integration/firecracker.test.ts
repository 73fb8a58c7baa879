/**
 * Firecracker for real, where it can run: firecracker on PATH and a /dev/kvm
 * this user can open read-write (not on this project's machines: Debian has
 * no Firecracker package and their containers no /dev/kvm, so this suite
 * skips with the reason, like apptainer.test.ts, and CI does not require
 * it). A workspace from a VM image built with the fixture kernel (whose
 * modules include vsock's since modules.ts lists them), its project copied
 * in at start, a command through the agent over vsock, a copy back out with
 * `benchtop cp`, a clean stop and removal. What runs here instead:
 * firecracker-vsock.test.ts and the unit tests against firecracker.yaml.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecResult, Workspace } from '../../src-preload/contract';
import { hostFacts, verdict } from '../../src-main/core/drivers/firecracker/detect';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { FIXTURE_ROOTFS, VM_FIXTURE } from '../helpers/fixtures';

const facts = hostFacts();
const v = verdict(facts);
const reason = v.available ? null : v.hint;

(reason ? describe.skip : describe)(`firecracker workspaces${reason ? ` — skipped: ${reason}` : ''}`, () => {
  let home: string;
  let project: string;
  let out: string;
  const opts = () => ({ home });

  beforeAll(async () => {
    home = tempDir('fc-home');
    project = tempDir('fc-proj');
    out = tempDir('fc-out');
    writeFileSync(join(project, 'hello.txt'), 'from the host\n');
    const k = JSON.parse(readFileSync(join(VM_FIXTURE, 'kernel.json'), 'utf8')) as { vmlinux: string; modules: string };
    const built = await cli(['image', 'build', 'fcimg', '--from', FIXTURE_ROOTFS, '--kernel', join(VM_FIXTURE, k.vmlinux), '--modules', join(VM_FIXTURE, k.modules)], opts());
    expect(built.exitCode, built.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await cli(['rm', 'fc'], opts());
    cleanup(home, project, out);
  });

  it('boots, copies the project in, runs through the agent over vsock, copies back, stops', async () => {
    const ws = await cliJson<Workspace>(['create', 'fc', '--backend', 'firecracker', '--image', 'fcimg', '--project', project, '--memory', '256', '--cpus', '1'], opts());
    expect(ws.state).toBe('running');
    const r = await cliJson<ExecResult>(['exec', 'fc', '-c', 'pwd; cat hello.txt; uname -r; echo made > made.txt'], opts());
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['/workspace', 'from the host']);
    // Copied, not shared: the host's folder does not see the guest's write until it is copied back.
    expect(() => readFileSync(join(project, 'made.txt'))).toThrow();
    const cp = await cli(['cp', 'fc:/workspace/made.txt', join(out, 'made.txt')], opts());
    expect(cp.exitCode, cp.stderr).toBe(0);
    expect(readFileSync(join(out, 'made.txt'), 'utf8')).toBe('made\n');
    expect((await cliJson<Workspace>(['stop', 'fc'], opts())).state).toBe('stopped');
    // A second start keeps the guest's copy (the project is copied in once).
    expect((await cliJson<Workspace>(['start', 'fc'], opts())).state).toBe('running');
    expect((await cliJson<ExecResult>(['exec', 'fc', '-c', 'cat made.txt'], opts())).stdout).toBe('made\n');
  }, 300_000);
});
