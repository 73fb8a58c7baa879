/** Rootless podman, as researchers' desktops run it: the CLI runs as an unprivileged user. */
import { execa } from 'execa';
import { chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BackendInfo, ExecResult, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir, userUid } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

describeWith('rootless', 'podman workspaces (rootless)', () => {
  let home: string;
  let project: string;
  let uid: number;
  const opts = () => ({ home, asUser: true });

  beforeAll(async () => {
    uid = await userUid();
    home = tempDir('home');
    project = tempDir('proj');
    chownSync(home, uid, uid);
    chownSync(project, uid, uid);
  });
  afterAll(async () => {
    await cli(['rm', 'rl'], opts());
    cleanup(home, project);
  });

  it('detects rootless podman and says which limits it cannot enforce', async () => {
    const list = await cliJson<BackendInfo[]>(['backends'], opts());
    const pm = list.find((b) => b.id === 'podman')!;
    expect(pm.available).toBe(true);
    expect(pm.capabilities.rootless).toBe(true);
    const cgroupV2 = (await execa('stat', ['-fc', '%T', '/sys/fs/cgroup'])).stdout.trim() === 'cgroup2fs';
    if (!cgroupV2) expect(pm.capabilities.enforcedLimits).toEqual([]);
  });

  it("runs with the user's own uid, so project files stay theirs", async () => {
    const limits = await cli(['create', 'rl', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--project', project, '--memory', '128'], opts());
    const cgroupV2 = (await execa('stat', ['-fc', '%T', '/sys/fs/cgroup'])).stdout.trim() === 'cgroup2fs';
    if (!cgroupV2) {
      expect(limits.exitCode).not.toBe(0);
      expect(limits.stderr).toMatch(/--memory: podman cannot enforce a memory limit.*\[LIMIT_UNENFORCEABLE\]/);
    }
    const ws = await cliJson<Workspace>(['create', 'rl', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--project', project, '--memory', '128', '--best-effort-limits'], opts());
    expect(ws.runtime.rootless).toBe(true);
    expect(ws.state).toBe('running');
    if (!cgroupV2) expect(ws.unenforcedLimits).toEqual(['memory']);
    const r = await cliJson<ExecResult>(['exec', 'rl', '-c', 'id -u; echo data > /workspace/out.txt'], opts());
    expect(r.stdout).toBe(`${uid}\n`);
    expect(statSync(join(project, 'out.txt')).uid).toBe(uid);
    const t = await cli(['exec', 'rl', '--timeout', '1', '--', 'sleep', '30'], opts());
    expect(t.exitCode).toBe(124);
    const ps = await cliJson<ExecResult>(['exec', 'rl', '--', 'ps', '-o', 'args'], opts());
    expect(ps.stdout).not.toContain('sleep 30');
  });
});
