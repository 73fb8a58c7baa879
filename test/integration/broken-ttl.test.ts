/**
 * Damaged records do not vanish (a deleted folder, a truncated workspace.json
 * show as broken; rm removes what is left: sandbox, folder, locks), and a TTL
 * holds with no Benchtop process running: the container ends itself.
 *
 * The TTL check waits 70 s; its workspace is made first, in its own data
 * folder, and checked last, so the other checks run meanwhile.
 */
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith, REQUIRED, unavailable } from '../helpers/runtime';

interface PsRow {
  Names: string[];
  State: string;
}

async function containers(id: string): Promise<PsRow[]> {
  const r = await execa('podman', ['ps', '--all', '--filter', `label=benchtop.workspace=${id}`, '--format', 'json']);
  return JSON.parse(r.stdout || '[]') as PsRow[];
}

/** Processes of Benchtop for one data folder: its home in their argv (the watchdog's) or as BENCHTOP_HOME (CLI, serve, app). */
function benchtopProcessesFor(home: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (argv.includes(home) || env.includes(`BENCHTOP_HOME=${home}`)) out.push(`${pid}: ${argv.join(' ')}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

const itBwrap = unavailable('bwrap') === null || REQUIRED ? it : it.skip;

describeWith('podman', 'broken records, and a TTL that holds without Benchtop', () => {
  let home: string;
  let ttlHome: string;
  let ttl: Workspace;
  let ttlCreatedMs = 0;
  const opts = () => ({ home });
  const record = (id: string) => join(home, 'workspaces', id, 'workspace.json');
  const lock = (id: string) => join(home, 'locks', id);

  beforeAll(async () => {
    home = tempDir('home');
    ttlHome = tempDir('ttl-home');
    // Made first, checked last: nothing touches its data folder in between (no exec, so no watchdog either).
    ttl = await cliJson<Workspace>(['create', 'ttl', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--ttl', '60'], { home: ttlHome });
    ttlCreatedMs = Date.now();
  });
  afterAll(async () => {
    for (const h of [home, ttlHome]) {
      const left = JSON.parse((await cli(['ls', '--json'], { home: h })).stdout || '[]') as Workspace[];
      for (const w of left) await cli(['rm', w.id], { home: h });
    }
    if (ttl) await execa('podman', ['rm', '--force', `benchtop-${ttl.id}`], { reject: false });
    cleanup(home, ttlHome);
  });

  itBwrap('a truncated workspace.json shows as broken with the reason; rm removes its folder and locks', async () => {
    const ws = await cliJson<Workspace>(['create', 'cut', '--backend', 'bwrap'], opts());
    expect(existsSync(lock(ws.id))).toBe(true);
    truncateSync(record(ws.id), 120);
    const ls = await cliJson<Workspace[]>(['ls'], opts());
    expect(ls.map((w) => w.id)).toEqual([ws.id]);
    expect(ls[0]).toMatchObject({ id: ws.id, name: 'cut', state: 'broken' });
    expect(ls[0]?.reason).toMatch(/workspace\.json is truncated or not JSON/);
    // status shows it too; a command is refused with what to do.
    expect(await cliJson<Workspace>(['status', 'cut'], opts())).toMatchObject({ id: ws.id, state: 'broken' });
    const refused = await cli(['exec', 'cut', '--', 'true'], opts());
    expect(refused.exitCode).toBe(125);
    expect(refused.stderr).toContain(`benchtop rm ${ws.id}`);
    const rm = await cli(['rm', 'cut'], opts());
    expect(rm).toMatchObject({ exitCode: 0, stdout: 'removed cut\n' });
    expect(existsSync(join(home, 'workspaces', ws.id))).toBe(false);
    expect(readdirSync(join(home, 'locks'))).toEqual([]);
    expect(await cliJson<Workspace[]>(['ls'], opts())).toEqual([]);
  });

  itBwrap('rm of a workspace removes its lock file; a folder deleted with nothing left is gone, and rm tidies its lock', async () => {
    const a = await cliJson<Workspace>(['create', 'plain', '--backend', 'bwrap'], opts());
    expect((await cli(['rm', 'plain'], opts())).exitCode).toBe(0);
    expect(existsSync(lock(a.id))).toBe(false);
    const b = await cliJson<Workspace>(['create', 'vanish', '--backend', 'bwrap'], opts());
    rmSync(join(home, 'workspaces', b.id), { recursive: true });
    expect(await cliJson<Workspace[]>(['ls'], opts())).toEqual([]); // A bwrap workspace leaves no sandbox behind.
    const rm = await cli(['rm', b.id], opts());
    expect(rm.exitCode).not.toBe(0);
    expect(rm.stderr).toMatch(/NOT_FOUND/);
    expect(readdirSync(join(home, 'locks'))).toEqual([]);
  });

  it('a podman workspace whose folder was deleted shows as broken; rm removes its container and locks', async () => {
    const ws = await cliJson<Workspace>(['create', 'pm', '--backend', 'podman', '--image', FIXTURE_IMAGE], opts());
    expect((await containers(ws.id)).map((c) => c.State)).toEqual(['running']);
    rmSync(join(home, 'workspaces', ws.id), { recursive: true });
    const ls = await cliJson<Workspace[]>(['ls'], opts());
    // Only this folder's: the TTL workspace's container (another data folder) is not claimed here.
    expect(ls.map((w) => w.id)).toEqual([ws.id]);
    expect(ls[0]).toMatchObject({ name: 'pm', backend: 'podman', state: 'broken' });
    expect(ls[0]?.reason).toMatch(new RegExp(`its folder .*${ws.id} is gone, but its container benchtop-${ws.id} is still there \\(running\\)`));
    const rm = await cli(['rm', 'pm'], opts());
    expect(rm).toMatchObject({ exitCode: 0, stdout: 'removed pm\n' });
    expect(await containers(ws.id)).toEqual([]);
    expect(existsSync(join(home, 'workspaces', ws.id))).toBe(false);
    expect(readdirSync(join(home, 'locks'))).toEqual([]);
    expect(await cliJson<Workspace[]>(['ls'], opts())).toEqual([]);
  });

  it('a podman workspace with an emptied workspace.json shows as broken (named from its container); rm removes container, folder and locks', async () => {
    const ws = await cliJson<Workspace>(['create', 'pt', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--secret', 'TOKEN=broken-ttl-secret-7'], opts());
    writeFileSync(record(ws.id), '');
    const ls = await cliJson<Workspace[]>(['ls'], opts());
    expect(ls).toHaveLength(1);
    expect(ls[0]).toMatchObject({ id: ws.id, name: 'pt', backend: 'podman', state: 'broken' });
    expect(ls[0]?.reason).toMatch(new RegExp(`workspace\\.json is empty; its container benchtop-${ws.id} is running$`));
    expect((await cli(['rm', 'pt'], opts())).exitCode).toBe(0);
    expect(await containers(ws.id)).toEqual([]);
    expect(existsSync(join(home, 'workspaces', ws.id))).toBe(false);
    expect(readdirSync(join(home, 'locks'))).toEqual([]);
    const secrets = join(home, 'secrets', 'secrets.json');
    if (existsSync(secrets)) expect(readFileSync(secrets, 'utf8')).not.toContain('broken-ttl-secret-7');
  });

  it(
    'a podman workspace created with --ttl 60 is gone 70 s later with no Benchtop process running in between',
    async () => {
      expect(ttl).toMatchObject({ state: 'running', ttlSec: 60 });
      const name = ttl.runtime.containerName!;
      // Wait out 70 s from its creation, looking now and then that nothing of Benchtop runs for its data folder.
      while (Date.now() - ttlCreatedMs < 70_000) {
        expect(benchtopProcessesFor(ttlHome)).toEqual([]);
        await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, 70_000 - (Date.now() - ttlCreatedMs)))));
      }
      expect(benchtopProcessesFor(ttlHome)).toEqual([]);
      // The backend alone: the container is not running, and nothing runs in it.
      const rows = await containers(ttl.id);
      expect(rows.filter((c) => c.State === 'running')).toEqual([]);
      const top = await execa('podman', ['top', name], { reject: false });
      expect(top.exitCode !== 0 || top.stdout.trim().split('\n').length <= 1, top.stdout).toBe(true);
      // The next look says expired, with the reason, and takes the container away.
      const status = await cliJson<Workspace>(['status', 'ttl'], { home: ttlHome });
      expect(status).toMatchObject({ state: 'expired', reason: 'TTL of 60 s elapsed', expiresAt: null });
      expect(await containers(ttl.id)).toEqual([]);
    },
    150_000,
  );
});
