/** Rootful podman workspaces, for real: images, limits, exec, timeout, secrets, outside kills, TTL, adoption. */
import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExecResult, JournalEntry, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE, FIXTURE_ROOTFS } from '../helpers/fixtures';
import { grepTree } from '../helpers/inspect';
import { describeWith } from '../helpers/runtime';

async function containers(id: string): Promise<{ Names: string[]; State: string }[]> {
  const r = await execa('podman', ['ps', '--all', '--filter', `label=benchtop.workspace=${id}`, '--format', 'json']);
  return JSON.parse(r.stdout || '[]') as { Names: string[]; State: string }[];
}

describeWith('podman', 'podman workspaces (rootful)', () => {
  let home: string;
  let project: string;
  const opts = () => ({ home });
  const created: string[] = [];

  beforeAll(() => {
    home = tempDir('home');
    project = tempDir('proj');
  });
  afterAll(async () => {
    for (const name of created) await cli(['rm', name], opts());
    cleanup(home, project);
  });

  async function create(name: string, args: string[]): Promise<Workspace> {
    const ws = await cliJson<Workspace>(['create', name, '--backend', 'podman', ...args], opts());
    created.push(name);
    return ws;
  }

  it('has no default image: a missing or unknown image lists the local images', async () => {
    const none = await cli(['create', 'noimg', '--backend', 'podman'], opts());
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toContain('needs --image');
    expect(none.stderr).toContain(FIXTURE_IMAGE);
    const unknown = await cli(['create', 'noimg', '--backend', 'podman', '--image', 'nosuch:latest'], opts());
    expect(unknown.stderr).toMatch(/"nosuch:latest" is not in podman's local storage.*benchtop-test/);
    expect((await cliJson<Workspace[]>(['ls'], opts())).map((w) => w.name)).not.toContain('noimg');
  });

  it('runs a rootfs directory as an overlay and never writes into it', async () => {
    const ws = await create('rootfs', ['--image', FIXTURE_ROOTFS, '--project', project]);
    expect(ws).toMatchObject({ state: 'running', imageKind: 'rootfs', image: FIXTURE_ROOTFS });
    const r = await cli(['exec', 'rootfs', '-c', 'echo hi > /workspace/f; echo scribble > /etc/scribble; echo out'], opts());
    expect(r).toMatchObject({ exitCode: 0, stdout: 'out\n' });
    expect(readFileSync(join(project, 'f'), 'utf8')).toBe('hi\n');
    expect(() => readFileSync(join(FIXTURE_ROOTFS, 'etc/scribble'))).toThrow();
    const [c] = await containers(ws.id);
    expect(c?.State).toBe('running');
  });

  it('enforces limits and the security defaults on a local image', async () => {
    const ws = await create('img', ['--image', FIXTURE_IMAGE, '--memory', '96', '--pids', '50', '--cpus', '0.5']);
    const inspect = JSON.parse((await execa('podman', ['inspect', ws.runtime.containerName!])).stdout)[0];
    expect(inspect.HostConfig.Memory).toBe(96 * 1024 * 1024);
    expect(inspect.HostConfig.PidsLimit).toBe(50);
    expect(inspect.HostConfig.NanoCpus).toBe(500_000_000);
    expect(inspect.HostConfig.NetworkMode).toBe('none');
    expect(inspect.HostConfig.CapAdd ?? []).toEqual([]);
    expect(inspect.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(inspect.Config.Labels['benchtop.workspace']).toBe(ws.id);
    const r = await cliJson<ExecResult>(['exec', 'img', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /proc/net/dev | tail -n +3 | cut -d: -f1'], opts());
    expect(r.stdout.trim().split('\n').map((s) => s.trim())).toEqual([String(96 * 1024 * 1024), 'lo']);
  });

  it('times out with 124 and kills the command inside the container', async () => {
    const r = await cli(['exec', 'img', '--timeout', '1', '--', 'sh', '-c', 'sleep 40 & sleep 41; echo never'], opts());
    expect(r.exitCode).toBe(124);
    expect(r.stdout).not.toContain('never');
    const ps = await cliJson<ExecResult>(['exec', 'img', '--', 'ps', '-o', 'args'], opts());
    expect(ps.stdout).not.toMatch(/sleep 4[01]/);
    expect(ps.stdout).toContain('sleep infinity');
  });

  it('keeps secrets out of argv, podman inspect and every file but the store', async () => {
    const secret = 'pOdMaN-sekret-9931';
    const ws = await create('sec', ['--image', FIXTURE_IMAGE, '--secret', `GITHUB_TOKEN=${secret}`]);
    const run = cli(['exec', 'sec', '-c', 'echo "token=$GITHUB_TOKEN"; sleep 2'], opts());
    await new Promise((r) => setTimeout(r, 1200));
    const ps = await execa('ps', ['-eo', 'args']);
    expect(ps.stdout).toContain('sleep 2');
    expect(ps.stdout).not.toContain(secret);
    const r = await run;
    expect(r.stdout).toBe('token=<redacted>\n');
    expect((await execa('podman', ['inspect', ws.runtime.containerName!])).stdout).not.toContain(secret);
    expect(grepTree(home, [secret]).map((f) => f.replace(home, ''))).toEqual(['/secrets/secrets.json']);
    const mode = (await execa('stat', ['-c', '%a', join(home, 'secrets/secrets.json')])).stdout;
    expect(mode).toBe('600');
  });

  it('shows a container killed outside Benchtop as stopped, with a reason', async () => {
    const ws = await cliJson<Workspace>(['status', 'img'], opts());
    await execa('podman', ['kill', ws.runtime.containerName!]);
    const after = await cliJson<Workspace>(['status', 'img'], opts());
    expect(after.state).toBe('stopped');
    expect(after.reason).toMatch(/exited.*outside Benchtop/);
    const log = await cliJson<JournalEntry[]>(['logs', 'img'], opts());
    expect(log.at(-1)).toMatchObject({ source: 'lifecycle', event: 'died' });
    const restarted = await cliJson<Workspace>(['start', 'img'], opts());
    expect(restarted.state).toBe('running');
    expect(await containers(ws.id)).toHaveLength(1);
  });

  it('adopts a container that survived its starter, never duplicating it', async () => {
    const ws = await cliJson<Workspace>(['status', 'rootfs'], opts());
    // As if the process that started it died before writing "running".
    const file = join(home, 'workspaces', ws.id, 'workspace.json');
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    rec.workspace.state = 'stopped';
    rec.workspace.reason = 'left behind';
    writeFileSync(file, JSON.stringify(rec));
    const ls = await cliJson<Workspace[]>(['ls'], opts());
    expect(ls.find((w) => w.name === 'rootfs')).toMatchObject({ state: 'running', reason: expect.stringContaining('adopted') });
    const again = await cliJson<Workspace>(['start', 'rootfs'], opts());
    expect(again.state).toBe('running');
    expect(await containers(ws.id)).toHaveLength(1);
  });

  it('reaps a workspace whose TTL has run out', async () => {
    const ws = await create('ttl', ['--image', FIXTURE_IMAGE, '--ttl', '60']);
    expect(Date.parse(ws.expiresAt!) - Date.parse(ws.startedAt!)).toBe(60_000);
    // Let the TTL run out without waiting a minute: move the deadline into the past.
    const file = join(home, 'workspaces', ws.id, 'workspace.json');
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    rec.workspace.expiresAt = new Date(Date.now() - 1000).toISOString();
    writeFileSync(file, JSON.stringify(rec));
    const after = await cliJson<Workspace>(['status', 'ttl'], opts());
    expect(after).toMatchObject({ state: 'expired', reason: 'TTL of 60 s elapsed' });
    expect(await containers(ws.id)).toHaveLength(0);
    const refused = await cli(['exec', 'ttl', '--', 'true'], opts());
    expect(refused.exitCode).toBe(125);
  });

  it('rm leaves no container behind', async () => {
    const ws = await cliJson<Workspace>(['status', 'sec'], opts());
    expect((await cli(['rm', 'sec'], opts())).exitCode).toBe(0);
    created.splice(created.indexOf('sec'), 1);
    expect(await containers(ws.id)).toHaveLength(0);
  });
});
