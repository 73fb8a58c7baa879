/**
 * SLURM placement on a real single-node cluster (test/fixtures/setup-slurm.sh):
 * submit, wait for the ready marker, exec and terminals through srun, an
 * outside scancel, stop, and nothing left behind.
 */
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExecResult, JournalEntry, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith, unavailable } from '../helpers/runtime';
import { startServe } from '../helpers/serve';
import { TerminalViewer } from '../helpers/terminal';

async function jobState(jobId: string): Promise<string | null> {
  const r = await execa('squeue', ['--noheader', '--states=all', '--jobs', jobId, '--format=%T'], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

async function waitJobGone(jobId: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const s = await jobState(jobId);
    if (s === null || ['CANCELLED', 'COMPLETED', 'FAILED', 'TIMEOUT'].includes(s)) return;
    if (Date.now() - start > timeoutMs) throw new Error(`job ${jobId} still ${s}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describeWith('slurm', 'SLURM placement', () => {
  let home: string;
  let project: string;
  const opts = () => ({ home });

  beforeAll(() => {
    home = tempDir('home');
    project = tempDir('proj');
  });
  afterAll(async () => {
    for (const name of ['hpc', 'hpcpod']) await cli(['rm', name], opts());
    cleanup(home, project);
  });

  it('starts a bwrap workspace in an allocation, runs and journals commands through srun', async () => {
    const ws = await cliJson<Workspace>(['create', 'hpc', '--backend', 'bwrap', '--slurm', '--partition', 'debug', '--time', '00:10:00', '--project', project, '--secret', 'HPC_TOKEN=sLuRm-secret-31'], opts());
    expect(ws.state).toBe('running');
    expect(ws.placement).toEqual({ kind: 'slurm', partition: 'debug', time: '00:10:00' });
    expect(ws.slurm).toMatchObject({ jobId: expect.stringMatching(/^\d+$/), state: 'RUNNING', node: 'localhost' });
    expect(ws.slurm?.timeLeft).toMatch(/^\d+:\d\d$/);
    expect(await jobState(ws.slurm!.jobId)).toBe('RUNNING');
    // The allocation script and the job's output live in the workspace folder, never the cwd.
    const dir = join(home, 'workspaces', ws.id, 'slurm');
    expect(readFileSync(join(dir, 'allocation.sh'), 'utf8')).toContain('INSTANCE_READY');
    expect(readFileSync(join(dir, `job-${ws.slurm!.jobId}.out`), 'utf8')).toContain('INSTANCE_READY');
    const r = await cliJson<ExecResult>(['exec', 'hpc', '-c', 'hostname; id -u; echo "[$HPC_TOKEN]"; echo made > /workspace/from-slurm'], opts());
    expect(r.stdout).toBe('hpc\n1000\n[<redacted>]\n');
    expect(readFileSync(join(project, 'from-slurm'), 'utf8')).toBe('made\n');
    const log = await cliJson<JournalEntry[]>(['logs', 'hpc'], opts());
    expect(log.map((e) => e.event ?? e.source)).toEqual(['created', 'submitted', 'started', 'exec']);
    const status = await cliJson<Workspace>(['status', 'hpc'], opts());
    expect(status.slurm?.jobId).toBe(ws.slurm?.jobId);
  });

  it('times out inside the allocation with 124 and leaves no process behind', async () => {
    const t = await cli(['exec', 'hpc', '--timeout', '1', '--', 'sh', '-c', 'sleep 97; echo never'], opts());
    expect(t.exitCode).toBe(124);
    await new Promise((r) => setTimeout(r, 500));
    const ps = await execa('ps', ['-eo', 'args']);
    expect(ps.stdout).not.toMatch(/^sleep 97$/m);
  });

  it('attaches a terminal with srun --pty --overlap', async () => {
    const serve = await startServe(home);
    const { client, ws } = await serve.connect();
    try {
      const t = await client.call('terminals.open', { workspace: 'hpc', cols: 80, rows: 24 });
      const view = new TerminalViewer(client, t.id);
      await view.type('echo hello from $(hostname); [ -t 0 ] && echo is-a-tty\r');
      await view.waitFor(/[\r\n]hello from hpc\r\nis-a-tty\r\n/);
      await client.call('terminals.close', { id: t.id });
      view.dispose();
    } finally {
      ws.close();
      await serve.stop();
    }
  });

  it('shows a job cancelled outside Benchtop as stopped with the reason, and starts again', async () => {
    const ws = await cliJson<Workspace>(['status', 'hpc'], opts());
    await execa('scancel', [ws.slurm!.jobId]);
    await waitJobGone(ws.slurm!.jobId);
    const after = await cliJson<Workspace>(['status', 'hpc'], opts());
    expect(after.state).toBe('stopped');
    expect(after.reason).toMatch(new RegExp(`SLURM job ${ws.slurm!.jobId} (ended|is gone)`));
    const again = await cliJson<Workspace>(['start', 'hpc'], opts());
    expect(again.state).toBe('running');
    expect(again.slurm?.jobId).not.toBe(ws.slurm?.jobId);
  });

  it('rm cancels the job and leaves nothing in the queue', async () => {
    const ws = await cliJson<Workspace>(['status', 'hpc'], opts());
    expect((await cli(['rm', 'hpc'], opts())).exitCode).toBe(0);
    await waitJobGone(ws.slurm!.jobId, 30_000);
    expect(existsSync(join(home, 'workspaces', ws.id))).toBe(false);
  });

  it.skipIf(unavailable('podman') !== null && process.env.BENCHTOP_REQUIRE_RUNTIMES !== '1')('holds a podman container in an allocation; stop cancels the job and removes the container', async () => {
    const ws = await cliJson<Workspace>(['create', 'hpcpod', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--slurm', '--time', '00:05:00'], opts());
    expect(ws.state).toBe('running');
    const r = await cliJson<ExecResult>(['exec', 'hpcpod', '--', 'sh', '-c', 'echo in-container; cat /proc/1/cmdline | tr "\\0" " "'], opts());
    expect(r.stdout).toMatch(/^in-container\n.*sleep infinity/);
    const serve = await startServe(home);
    const { client, ws: sock } = await serve.connect();
    try {
      const t = await client.call('terminals.open', { workspace: 'hpcpod', cols: 80, rows: 24 });
      const view = new TerminalViewer(client, t.id);
      await view.type('echo pod-terminal $(hostname)\r');
      await view.waitFor(/[\r\n]pod-terminal hpcpod\r\n/);
      await client.call('terminals.close', { id: t.id });
      view.dispose();
    } finally {
      sock.close();
      await serve.stop();
    }
    const stopped = await cliJson<Workspace>(['stop', 'hpcpod'], opts());
    expect(stopped.state).toBe('stopped');
    await waitJobGone(ws.slurm!.jobId);
    const left = await execa('podman', ['ps', '--all', '--filter', `label=benchtop.workspace=${ws.id}`, '--format', '{{.Names}}']);
    expect(left.stdout.trim()).toBe('');
  });
});
