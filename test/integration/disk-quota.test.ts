/**
 * Disk use and the disk quota on the real sandboxes: what a command writes in
 * the home (bwrap) or the writable layer (podman, gVisor) is measured, the
 * project folder never; at 90% the CLI warns once; above the quota the next
 * exec is refused from the last measurement (exit 125, one line, a not-run
 * journal entry) until files are deleted (in a terminal) and it is measured
 * again. A host with windows measures after each command on its own.
 */
import { execa } from 'execa';
import { spawn } from 'node-pty';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchtopError, type JournalEntry, type Workspace } from '../../src-preload/contract';
import { WorkspaceService } from '../../src-main/core/workspaces/service';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { CLI, FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

const MiB = 1024 * 1024;

/** `shell`: files are deleted in `benchtop shell`, as the refusal suggests; `podman`: with podman exec (a shell under runsc does not start here). */
const cases = [
  { runtime: 'bwrap', name: 'dq-bw', create: ['--backend', 'bwrap'], deleteWith: 'shell' },
  { runtime: 'podman', name: 'dq-pm', create: ['--backend', 'podman', '--image', FIXTURE_IMAGE], deleteWith: 'shell' },
  { runtime: 'gvisor', name: 'dq-gv', create: ['--backend', 'gvisor', '--image', FIXTURE_IMAGE], deleteWith: 'podman' },
] as const;

/** `benchtop shell NAME` under a PTY: types `line` and waits for the shell to end. */
async function inShell(home: string, name: string, line: string): Promise<number> {
  const pty = spawn('node', [CLI, 'shell', name], { name: 'xterm-256color', cols: 100, rows: 30, cwd: '/tmp', env: { ...process.env, BENCHTOP_HOME: home } as Record<string, string> });
  let out = '';
  pty.onData((d) => (out += d));
  const exited = new Promise<number>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
  const end = Date.now() + 20_000;
  // A busybox prompt, then (ash) its cursor-position query.
  // eslint-disable-next-line no-control-regex
  while (!/[#$] (\x1b\[6n)?$/.test(out)) {
    if (Date.now() > end) throw new Error(`no prompt: ${JSON.stringify(out.slice(-300))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  pty.write(`${line}\r`);
  return exited;
}

for (const c of cases) {
  describeWith(c.runtime, `disk use and quota (${c.runtime})`, () => {
    let home: string;
    let project: string;
    const status = () => cliJson<Workspace>(['status', c.name], { home });
    const exec = (shell: string) => cli(['exec', c.name, '-c', shell], { home });

    beforeAll(async () => {
      home = tempDir('home');
      project = tempDir('proj');
      await cliJson<Workspace>(['create', c.name, ...c.create, '--project', project, '--disk-quota', '64'], { home });
    });
    afterAll(async () => {
      await cli(['rm', c.name], { home });
      cleanup(home, project);
    });

    it('measures the home or writable layer, never the project folder', async () => {
      expect((await exec('head -c 104857600 /dev/zero > /workspace/big && head -c 3145728 /dev/urandom > "$HOME/small"')).exitCode).toBe(0);
      expect(statSync(join(project, 'big')).size).toBe(100 * MiB);
      const ws = await status();
      expect(ws.limits.diskQuotaMiB).toBe(64);
      // 3 MiB in the home and a journal; the 100 MiB in the project are the user's.
      expect(ws.disk?.usedBytes).toBeGreaterThanOrEqual(3 * MiB);
      expect(ws.disk?.usedBytes).toBeLessThan(8 * MiB);
      expect((await cli(['status', c.name], { home })).stdout).toMatch(/^disk {9}\d\.\d MiB of 64 MiB \(\d%\)/m);
      rmSync(join(project, 'big'));
    });

    it('warns once on stderr when the use crosses 90% of the quota', async () => {
      // 3 + 56.5 MiB: about 93% of 64 MiB.
      expect((await exec('head -c 59244544 /dev/urandom > "$HOME/big"')).exitCode).toBe(0);
      expect((await status()).disk?.usedBytes).toBeGreaterThan(0.9 * 64 * MiB);
      const first = await exec('echo one');
      expect([first.exitCode, first.stdout]).toEqual([0, 'one\n']);
      expect(first.stderr).toMatch(new RegExp(`^benchtop: workspace "${c.name}" uses \\d+ MiB of its 64 MiB disk quota \\(9\\d%\\); above the quota new commands are refused\\n$`));
      const second = await exec('echo two');
      expect([second.exitCode, second.stdout, second.stderr]).toEqual([0, 'two\n', '']);
      expect((await cli(['ls'], { home })).stdout).toMatch(/ NEAR QUOTA /);
    });

    it('refuses the next exec above the quota, in one line and a not-run journal entry', async () => {
      expect((await exec('head -c 10485760 /dev/urandom >> "$HOME/big"')).exitCode).toBe(0);
      const ws = await status();
      expect(ws.disk?.usedBytes).toBeGreaterThan(64 * MiB);
      const r = await exec('echo should-not-run > /workspace/ran');
      expect([r.exitCode, r.stdout]).toEqual([125, '']);
      expect(r.stderr).toMatch(new RegExp(`^benchtop: disk quota exceeded: workspace "${c.name}" uses \\d+ MiB, its quota is 64 MiB \\(measured [^)]+\\); new commands are refused until files are deleted .*\\[QUOTA_EXCEEDED\\]\\n$`));
      expect(() => statSync(join(project, 'ran'))).toThrow();
      const last = (await cliJson<JournalEntry[]>(['logs', c.name], { home })).at(-1);
      expect([last?.source, last?.status, last?.exitCode, last?.command]).toEqual(['exec', 'not-run', null, 'echo should-not-run > /workspace/ran']);
      expect(last?.reason).toMatch(/^disk quota exceeded: .* uses \d+ MiB, its quota is 64 MiB/);
    });

    it('runs commands again once files are deleted (in a terminal) and it is measured again', async () => {
      if (c.deleteWith === 'shell') expect(await inShell(home, c.name, 'rm -f "$HOME/big"; exit')).toBe(0);
      else expect((await execa('podman', ['exec', (await status()).runtime.containerName as string, 'sh', '-c', 'rm -f "$HOME/big"'])).exitCode).toBe(0);
      // Nothing is measured on exec's path: until someone measures, the last measurement holds.
      expect((await exec('true')).exitCode).toBe(125);
      expect((await status()).disk?.usedBytes).toBeLessThan(8 * MiB);
      const r = await exec('echo again');
      expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'again\n', '']);
    });
  });
}

describeWith('bwrap', 'disk use measured by a host with windows after each command', () => {
  let home: string;
  let service: WorkspaceService;
  let stop: () => void;
  beforeAll(() => {
    home = tempDir('home');
    service = new WorkspaceService({ home });
    stop = service.measureDiskInBackground({ afterMs: 300 });
  });
  afterAll(async () => {
    stop();
    await service.remove('dq-bg', 'test').catch(() => undefined);
    cleanup(home);
  });

  it('measures a moment after an exec ends, and the next exec is refused from that measurement', async () => {
    await service.create({ name: 'dq-bg', backend: 'bwrap', diskQuotaMiB: 64 }, 'test');
    const measured = new Promise<Workspace>((resolve) => {
      const off = service.on({
        workspaceChanged: (ws) => {
          // The whole file: a measurement made while it was being written (after the start's own entries) does not count.
          if (ws.name === 'dq-bg' && (ws.disk?.folderBytes ?? 0) > 70 * MiB) {
            off();
            resolve(ws);
          }
        },
      });
    });
    const started = Date.now();
    const r = await service.exec({ workspace: 'dq-bg', shell: 'head -c 73400320 /dev/urandom > "$HOME/big"' }, 'test');
    expect(r.exitCode).toBe(0);
    const ws = await measured;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(ws.disk?.folderBytes).toBeGreaterThan(70 * MiB);
    const refused = await service.exec({ workspace: 'dq-bg', argv: ['true'] }, 'test').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BenchtopError);
    expect((refused as BenchtopError).code).toBe('QUOTA_EXCEEDED');
  });
});

describe('disk quota validation at the CLI', () => {
  it('refuses a quota under 64 MiB or not a whole number, in one line', async () => {
    const home = tempDir('home');
    try {
      const small = await cli(['create', 'dq-bad', '--backend', 'bwrap', '--disk-quota', '63'], { home });
      expect([small.exitCode, small.stderr]).toEqual([1, 'benchtop: --disk-quota: must be at least 64 MiB [INVALID_INPUT]\n']);
      const frac = await cli(['create', 'dq-bad', '--backend', 'bwrap', '--disk-quota', '100.5'], { home });
      expect([frac.exitCode, frac.stderr]).toEqual([1, 'benchtop: --disk-quota: must be a whole number of MiB [INVALID_INPUT]\n']);
      const word = await cli(['create', 'dq-bad', '--backend', 'bwrap', '--disk-quota', 'lots'], { home });
      expect([word.exitCode, word.stderr]).toEqual([2, 'benchtop: --disk-quota: expected a number, got "lots" (see benchtop --help)\n']);
    } finally {
      cleanup(home);
    }
  });
});
