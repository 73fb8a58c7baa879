/** gVisor (runsc under podman) workspaces, for real. */
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BackendInfo, ExecResult, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

describeWith('gvisor', 'gvisor workspaces', () => {
  let home: string;
  const opts = () => ({ home });

  beforeAll(() => {
    home = tempDir('home');
  });
  afterAll(async () => {
    await cli(['rm', 'gv'], opts());
    cleanup(home);
  });

  it('is detected with runsc and reports that it enforces no limits here', async () => {
    const list = await cliJson<BackendInfo[]>(['backends'], opts());
    const gv = list.find((b) => b.id === 'gvisor')!;
    expect(gv.available).toBe(true);
    expect(gv.version).toContain('runsc');
    expect(gv.capabilities).toMatchObject({ isolation: 'gvisor', network: ['none'], enforcedLimits: [] });
  });

  it('refuses full network and unenforceable limits with one clear line', async () => {
    const net = await cli(['create', 'gvx', '--backend', 'gvisor', '--image', FIXTURE_IMAGE, '--network', 'full'], opts());
    expect(net.exitCode).not.toBe(0);
    expect(net.stderr).toMatch(/^benchtop: --network: gvisor supports only none here \[INVALID_INPUT\]\n$/);
    const mem = await cli(['create', 'gvx', '--backend', 'gvisor', '--image', FIXTURE_IMAGE, '--memory', '128'], opts());
    expect(mem.stderr).toMatch(/^benchtop: --memory: gvisor cannot enforce a memory limit.*--best-effort-limits.*\[LIMIT_UNENFORCEABLE\]\n$/);
  });

  it('decides its runtime at create and keeps it in the record, before any start', async () => {
    const ws = await cliJson<Workspace>(['create', 'gvrec', '--backend', 'gvisor', '--image', FIXTURE_IMAGE, '--no-start'], opts());
    expect(ws.state).toBe('created');
    expect(ws.runtime).toMatchObject({ ociRuntime: 'runsc', rootless: false });
    expect((await cli(['rm', 'gvrec'], opts())).exitCode).toBe(0);
  });

  it('runs commands in the gVisor kernel, times out with 124 and kills inside', async () => {
    const ws = await cliJson<Workspace>(['create', 'gv', '--backend', 'gvisor', '--image', FIXTURE_IMAGE, '--memory', '128', '--best-effort-limits'], opts());
    expect(ws).toMatchObject({ state: 'running', isolation: 'gvisor', unenforcedLimits: ['memory'] });
    expect(ws.runtime.ociRuntime).toBe('runsc');
    const inspect = JSON.parse((await execa('podman', ['inspect', ws.runtime.containerName!])).stdout)[0];
    expect(inspect.OCIRuntime).toMatch(/runsc$/);
    const r = await cliJson<ExecResult>(['exec', 'gv', '--', 'uname', '-r'], opts());
    expect(r.stdout).toBe('4.4.0\n'); // gVisor's own kernel, not the host's
    const t = await cli(['exec', 'gv', '--timeout', '1', '--', 'sh', '-c', 'sleep 40; echo never'], opts());
    expect(t.exitCode).toBe(124);
    const ps = await cliJson<ExecResult>(['exec', 'gv', '--', 'ps', '-o', 'args'], opts());
    expect(ps.stdout).not.toContain('sleep 40');
    const stopped = await cliJson<Workspace>(['stop', 'gv'], opts());
    expect(stopped.state).toBe('stopped');
  });
});
