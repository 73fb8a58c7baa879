/**
 * The qemu backend for real, as a new user would try it: an image built from
 * the busybox test rootfs, a VM workspace with the project shared live over
 * 9p, exec (the guest's kernel, a timeout that kills inside the guest, as a
 * user, an unknown user refused), secrets reaching the guest but never its
 * kernel command line or disk, `benchtop shell`, `cp` both ways, its console,
 * stop and start keeping the guest's disk, and QEMU killed from outside shown
 * with the reason. One TCG guest at a time on these machines: the file holds
 * the TCG lock while any of its guests runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn as ptySpawn } from 'node-pty';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { CLI, FIXTURE_ROOTFS } from '../helpers/fixtures';
import { describeWith, REQUIRED, unavailable } from '../helpers/runtime';
import { acquireTcgLock } from '../helpers/tcg-lock';
import { vmKernel } from '../helpers/vm-kernel';

const SECRET = 'vm-sEcReT-4242';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describeWith('qemu', 'qemu workspaces (TCG)', () => {
  let home: string;
  let project: string;
  let release: () => Promise<void>;
  let kernelRelease: string;

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('project');
    const k = vmKernel();
    kernelRelease = k.release;
    const built = await cli(['image', 'build', 'vm1', '--from', FIXTURE_ROOTFS, ...k.args], { home });
    expect(built.stderr + built.stdout).toMatch(/vm1@1/);
    release = await acquireTcgLock();
    const ws = await cliJson<Workspace>(
      ['create', 'v', '--backend', 'qemu', '--image', 'vm1', '--project', project, '--memory', '256', '--cpus', '1', '--secret', `API_TOKEN=${SECRET}`],
      { home },
    );
    expect(ws.state).toBe('running');
  }, 240_000);

  afterAll(async () => {
    if (home) await cli(['rm', 'v'], { home });
    await release?.();
    cleanup(home, project);
  }, 60_000);

  const wsDir = async (): Promise<string> => join(home, 'workspaces', (await cliJson<Workspace>(['status', 'v'], { home })).id);

  it('runs commands in the guest kernel, with the project live at /workspace both ways', async () => {
    writeFileSync(join(project, 'from-host'), 'host says hi\n');
    const r = await cli(['exec', 'v', '-c', 'uname -r; cat /workspace/from-host; echo hi > /workspace/f'], { home });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${kernelRelease}\nhost says hi\n`);
    expect(readFileSync(join(project, 'f'), 'utf8')).toBe('hi\n');
    expect(r.stdout).not.toBe(`${(await import('node:os')).release()}\n`);
  });

  it('times out with 124 and leaves nothing running in the guest', async () => {
    const began = Date.now();
    const t = await cli(['exec', 'v', '--timeout', '1', '--', 'sleep', '30'], { home });
    expect(t.exitCode).toBe(124);
    // Killed, not waited for: the guest's sleep would have held it 30 s.
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(t.stderr).toMatch(/timed out after 1 s/);
    const ps = await cli(['exec', 'v', '--', 'ps', '-o', 'args'], { home });
    expect(ps.stdout).not.toMatch(/sleep 30/);
  });

  it('runs as a user of the guest, and refuses an unknown one in one line without running', async () => {
    const r = await cli(['exec', 'v', '--user', '65534', '--', 'sh', '-c', 'id -u; echo $HOME'], { home });
    expect(r.stdout).toBe('65534\n/nonexistent\n');
    const bad = await cli(['exec', 'v', '--user', 'nosuch', '--', 'id'], { home });
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/nosuch/);
    const journal = await cliJson<JournalEntry[]>(['logs', 'v'], { home });
    expect(journal.filter((e) => e.source === 'exec').pop()).toMatchObject({ status: 'not-run' });
  });

  it('hands secrets to the guest over the agent only: not on the kernel command line, the console or its disk, and redacted', async () => {
    const r = await cli(['exec', 'v', '-c', 'echo "$API_TOKEN" | wc -c; echo $API_TOKEN; cat /proc/cmdline'], { home });
    expect(r.stdout.split('\n')[0]?.trim()).toBe(String(SECRET.length + 1));
    expect(r.stdout).not.toContain(SECRET);
    const dir = await wsDir();
    for (const f of ['vm/launch.json', 'vm/console.log', 'workspace.json']) expect(readFileSync(join(dir, f), 'utf8')).not.toContain(SECRET);
    expect(readFileSync(join(dir, 'vm/overlay.qcow2')).includes(SECRET)).toBe(false);
  });

  it('gives `benchtop shell` a prompt in the guest at the terminal size', async () => {
    const pty = ptySpawn('node', [CLI, 'shell', 'v'], { name: 'xterm-256color', cols: 90, rows: 25, cwd: '/tmp', env: { ...process.env, BENCHTOP_HOME: home } as Record<string, string> });
    let out = '';
    pty.onData((d) => (out += d));
    const exited = new Promise<number>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
    const waitFor = async (re: RegExp) => {
      const end = Date.now() + 30_000;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`never saw ${re}: ${JSON.stringify(out.slice(-400))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(/\/workspace # /);
    pty.write('stty size; uname -r\r');
    await waitFor(new RegExp(`25 90\\r\\n${kernelRelease.replace(/\./g, '\\.')}\\r\\n`));
    pty.write('exit 3\r');
    expect(await exited).toBe(3);
  });

  it('copies files in and out', async () => {
    const src = join(project, '..', `in-${process.pid}.txt`);
    writeFileSync(src, 'copied in\n');
    expect((await cli(['cp', src, 'v:/root/in.txt'], { home })).exitCode).toBe(0);
    expect((await cli(['exec', 'v', '--', 'cat', '/root/in.txt'], { home })).stdout).toBe('copied in\n');
    const back = join(project, '..', `out-${process.pid}.txt`);
    expect((await cli(['exec', 'v', '-c', 'hostname > /root/name'], { home })).exitCode).toBe(0);
    expect((await cli(['cp', 'v:/root/name', back], { home })).exitCode).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe('v\n');
    cleanup(src, back);
  });

  it("shows the guest's console, and keeps a heartbeat with its agent", async () => {
    const r = await cli(['console', 'v'], { home });
    expect(r.exitCode).toBe(0);
    const beat = join(await wsDir(), 'vm/heartbeat.json');
    const end = Date.now() + 15_000;
    while (!existsSync(beat) && Date.now() < end) await new Promise((res) => setTimeout(res, 250));
    const hb = JSON.parse(readFileSync(beat, 'utf8')) as { answeredAt: string; rttMs: number };
    expect(Date.now() - Date.parse(hb.answeredAt)).toBeLessThan(15_000);
    expect(hb.rttMs).toBeGreaterThanOrEqual(0);
  });

  it("stops cleanly and starts again with the guest's disk as it was", async () => {
    const stopped = await cliJson<Workspace>(['stop', 'v'], { home });
    expect(stopped.state).toBe('stopped');
    const dir = await wsDir();
    expect(existsSync(join(dir, 'vm/agent.sock'))).toBe(false);
    const started = await cliJson<Workspace>(['start', 'v'], { home });
    expect(started.state).toBe('running');
    expect((await cli(['exec', 'v', '--', 'cat', '/root/in.txt'], { home })).stdout).toBe('copied in\n');
  }, 120_000);

  it('shows the workspace stopped, with the reason, when QEMU is killed from outside', async () => {
    const dir = await wsDir();
    const pid = Number(readFileSync(join(dir, 'vm/qemu.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const end = Date.now() + 15_000;
    let ws = await cliJson<Workspace>(['status', 'v'], { home });
    while (ws.state !== 'stopped' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      ws = await cliJson<Workspace>(['status', 'v'], { home });
    }
    expect(ws.state).toBe('stopped');
    expect(ws.reason).toMatch(/QEMU was killed \(SIGKILL\)/);
  });

  it('ends a QEMU left without its supervisor before booting the workspace again', async () => {
    expect((await cliJson<Workspace>(['start', 'v'], { home })).state).toBe('running');
    const dir = await wsDir();
    const qemuPid = Number(readFileSync(join(dir, 'vm/qemu.pid'), 'utf8'));
    process.kill(Number(readFileSync(join(dir, 'vm/supervisor.pid'), 'utf8')), 'SIGKILL');
    const seen = await cliJson<Workspace>(['status', 'v'], { home });
    expect(seen.state).toBe('stopped');
    expect(alive(qemuPid)).toBe(true);
    expect((await cliJson<Workspace>(['start', 'v'], { home })).state).toBe('running');
    expect(alive(qemuPid)).toBe(false);
    expect((await cli(['exec', 'v', '--', 'cat', '/root/in.txt'], { home })).stdout).toBe('copied in\n');
    expect((await cliJson<Workspace>(['stop', 'v'], { home })).state).toBe('stopped');
  }, 120_000);

  it('copies the project in, once, where it is not shared live (BENCHTOP_QEMU_PROJECT=copy, or a QEMU without 9p)', async () => {
    const own = tempDir('copied');
    writeFileSync(join(own, 'data.csv'), 'a,b\n1,2\n');
    const env = { BENCHTOP_QEMU_PROJECT: 'copy' };
    const ws = await cliJson<Workspace>(['create', 'cp', '--backend', 'qemu', '--image', 'vm1', '--memory', '256', '--project', own], { home, env });
    expect(ws.state).toBe('running');
    const r = await cli(['exec', 'cp', '-c', 'cat /workspace/data.csv; grep -c " 9p " /proc/mounts; echo new > /workspace/made-inside'], { home, env });
    expect(r.stdout).toBe('a,b\n1,2\n0\n');
    expect(existsSync(join(own, 'made-inside'))).toBe(false);
    // Not copied again over what the guest changed: /workspace lives on the guest's own disk.
    await cliJson<Workspace>(['stop', 'cp'], { home, env });
    await cliJson<Workspace>(['start', 'cp'], { home, env });
    expect((await cli(['exec', 'cp', '--', 'cat', '/workspace/made-inside'], { home, env })).stdout).toBe('new\n');
    await cli(['rm', 'cp'], { home, env });
    cleanup(own);
  }, 180_000);

  it('powers the guest off when its TTL runs out, with no app running, and shows it expired', async () => {
    const t = await cliJson<Workspace>(['create', 'short', '--backend', 'qemu', '--image', 'vm1', '--memory', '256', '--ttl', '60'], { home });
    expect(t.state).toBe('running');
    const supervisorPid = Number(readFileSync(join(home, 'workspaces', t.id, 'vm/supervisor.pid'), 'utf8'));
    // The supervisor ends the VM by itself: no reconcile runs until the status below.
    const end = Date.now() + 110_000;
    while (alive(supervisorPid) && Date.now() < end) await new Promise((r) => setTimeout(r, 500));
    expect(alive(supervisorPid)).toBe(false);
    const after = await cliJson<Workspace>(['status', 'short'], { home });
    expect(after.state).toBe('expired');
    expect(after.reason).toMatch(/TTL of 60 s elapsed/);
    await cli(['rm', 'short'], { home });
  }, 150_000);

  // SLURM is there in CI (and required); elsewhere this one skips when no controller is up.
  it.runIf(REQUIRED || unavailable('slurm') === null)('boots inside a SLURM allocation and runs its commands through srun', async () => {
    const ws = await cliJson<Workspace>(['create', 'vs', '--backend', 'qemu', '--image', 'vm1', '--memory', '256', '--slurm'], { home });
    expect(ws.state).toBe('running');
    expect(ws.slurm?.jobId).toBeTruthy();
    const r = await cli(['exec', 'vs', '-c', 'uname -r; echo $API_TOKEN'], { home });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${kernelRelease}\n\n`);
    const t = await cli(['exec', 'vs', '--timeout', '1', '--', 'sleep', '30'], { home });
    expect(t.exitCode).toBe(124);
    const stopped = await cliJson<Workspace>(['stop', 'vs'], { home });
    expect(stopped.state).toBe('stopped');
    const supervisorPid = Number(readFileSync(join(home, 'workspaces', ws.id, 'vm/supervisor.pid'), 'utf8'));
    const end = Date.now() + 20_000;
    while (alive(supervisorPid) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(alive(supervisorPid)).toBe(false);
    await cli(['rm', 'vs'], { home });
  }, 180_000);

  it('refuses a fraction of a vCPU, and a missing image, in one line each, creating nothing', async () => {
    const half = await cli(['create', 'half', '--backend', 'qemu', '--image', 'vm1', '--cpus', '0.5'], { home });
    expect(half.exitCode).not.toBe(0);
    expect(half.stderr.trim()).toMatch(/^benchtop: --cpus: a VM has whole vCPUs/);
    const none = await cli(['create', 'none', '--backend', 'qemu', '--image', 'nope'], { home });
    expect(none.stderr.trim()).toMatch(/no VM image named nope/);
    const list = await cliJson<Workspace[]>(['ls'], { home });
    expect(list.map((w) => w.name)).toEqual(['v']);
  });
});
