/** bubblewrap workspaces, for real: lifecycle, isolation, exec, timeout, secrets, stop. */
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExecResult, JournalEntry, JournalEntryWithOutput, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_ROOTFS } from '../helpers/fixtures';
import { grepTree, processesWith } from '../helpers/inspect';
import { describeWith } from '../helpers/runtime';

describeWith('bwrap', 'bwrap workspaces', () => {
  let home: string;
  let project: string;
  const opts = () => ({ home });

  beforeAll(() => {
    home = tempDir('home');
    project = tempDir('proj');
  });
  afterAll(() => cleanup(home, project));

  it('creates, runs a command that writes into the project, and journals it', async () => {
    const ws = await cliJson<Workspace>(['create', 'demo', '--backend', 'bwrap', '--project', project], opts());
    expect(ws).toMatchObject({ name: 'demo', backend: 'bwrap', state: 'running', isolation: 'namespaces', project });
    const r = await cli(['exec', 'demo', '-c', 'echo hi > /workspace/f; echo out'], opts());
    expect(r).toMatchObject({ exitCode: 0, stdout: 'out\n' });
    expect(readFileSync(join(project, 'f'), 'utf8')).toBe('hi\n');
    const log = await cliJson<JournalEntry[]>(['logs', 'demo'], opts());
    const last = log.at(-1)!;
    expect(last).toMatchObject({ source: 'exec', command: 'echo hi > /workspace/f; echo out', exitCode: 0, cwd: '/workspace', client: 'cli' });
    expect(log.map((e) => e.event)).toEqual(['created', 'started', null]);
    const entry = await cliJson<JournalEntryWithOutput>(['logs', 'demo', '--seq', String(last.seq)], opts());
    expect(entry.stdoutText).toBe('out\n');
  });

  it('hides the host: no /root, no /etc/shadow, an unprivileged uid, no network', async () => {
    const r = await cliJson<ExecResult>(
      ['exec', 'demo', '-c', 'id -u; test -e /root && echo ROOT; test -e /etc/shadow && echo SHADOW; ls /home; cat /etc/passwd | wc -l; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'],
      opts(),
    );
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('1000');
    expect(r.stdout).not.toContain('ROOT');
    expect(r.stdout).not.toContain('SHADOW');
    expect(lines[1]).toBe('user');
    expect(Number(lines[2])).toBeLessThanOrEqual(3); // the generated passwd, not the host's
    expect(lines.slice(3)).toEqual(['lo']);
  });

  it('keeps a persistent home between execs, and /tmp fresh', async () => {
    await cli(['exec', 'demo', '-c', 'echo kept > ~/note; echo gone > /tmp/t'], opts());
    const r = await cliJson<ExecResult>(['exec', 'demo', '-c', 'cat ~/note; cat /tmp/t 2>/dev/null || echo fresh'], opts());
    expect(r.stdout).toBe('kept\nfresh\n');
  });

  it('times out with 124 and leaves nothing running', async () => {
    const ws = await cliJson<Workspace>(['status', 'demo'], opts());
    const started = performance.now();
    const r = await cli(['exec', 'demo', '--timeout', '1', '--', 'sh', '-c', 'sleep 30 & sleep 31; echo never'], opts());
    expect(r.exitCode).toBe(124);
    expect(r.stdout).not.toContain('never');
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(await processesWith(`BENCHTOP_WORKSPACE_ID=${ws.id}`)).toEqual([]);
    const { stdout } = await execa('ps', ['-eo', 'args']);
    expect(stdout).not.toMatch(/^sleep 3[01]$/m);
    const log = await cliJson<JournalEntry[]>(['logs', 'demo'], opts());
    expect(log.at(-1)).toMatchObject({ exitCode: 124, timedOut: true });
  });

  it('passes secrets without putting them in argv, files or output', async () => {
    const secret = 'sEcReT-bwrap-4711';
    await cliJson<Workspace>(['create', 'sec', '--backend', 'bwrap', '--secret', `API_TOKEN=${secret}`, '--env', 'DB_PASSWORD=pw-0815-xyz', '--env', 'PLAIN=1'], opts());
    const run = cli(['exec', 'sec', '-c', 'echo "$API_TOKEN $DB_PASSWORD $PLAIN"; sleep 2'], opts());
    await new Promise((r) => setTimeout(r, 1000));
    const ps = await execa('ps', ['-eo', 'args']);
    expect(ps.stdout).toContain('sleep 2');
    expect(ps.stdout).not.toContain(secret);
    const r = await run;
    expect(r.stdout).toBe('<redacted> <redacted> 1\n');
    const files = grepTree(home, [secret, 'pw-0815-xyz']);
    expect(files.map((f) => f.replace(home, ''))).toEqual(['/secrets/secrets.json']);
    const ws = await cliJson<Workspace>(['status', 'sec'], opts());
    expect(ws.secretKeys).toEqual(['API_TOKEN', 'DB_PASSWORD']);
    expect(ws.env).toEqual({ PLAIN: '1' });
  });

  it('caps stored output and marks the truncation', async () => {
    const r = await cliJson<ExecResult>(['exec', 'demo', '-c', "head -c 3000000 /dev/zero | tr '\\0' a; echo err >&2"], opts());
    expect(r.exitCode).toBe(0);
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stdout.length).toBe(1024 * 1024);
    expect(r.stderr).toBe('err\n');
    const log = await cliJson<JournalEntry[]>(['logs', 'demo'], opts());
    expect(log.at(-1)!.stdout).toEqual({ bytes: 3_000_000, storedBytes: 1024 * 1024, truncated: true });
    expect(log.at(-1)!.stderr).toEqual({ bytes: 4, storedBytes: 4, truncated: false });
  });

  it('uses a rootfs directory as the system with --image', async () => {
    await cliJson<Workspace>(['create', 'img', '--backend', 'bwrap', '--image', FIXTURE_ROOTFS], opts());
    const r = await cliJson<ExecResult>(['exec', 'img', '-c', 'readlink /bin/sh; test -e /usr/bin/apt && echo HOSTAPT; echo ok > /workspace/x; cat /workspace/x'], opts());
    expect(r.stdout).toBe('busybox\nok\n');
  });

  it('stop kills live processes; exec on a stopped workspace is refused; start brings it back', async () => {
    const ws = await cliJson<Workspace>(['status', 'demo'], opts());
    const long = cli(['exec', 'demo', '--', 'sleep', '60'], opts());
    for (let i = 0; i < 50 && (await processesWith(`BENCHTOP_WORKSPACE_ID=${ws.id}`)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await processesWith(`BENCHTOP_WORKSPACE_ID=${ws.id}`)).length).toBeGreaterThan(0);
    const stopped = await cliJson<Workspace>(['stop', 'demo'], opts());
    expect(stopped.state).toBe('stopped');
    expect((await long).exitCode).not.toBe(0);
    expect(await processesWith(`BENCHTOP_WORKSPACE_ID=${ws.id}`)).toEqual([]);
    const refused = await cli(['exec', 'demo', '--', 'true'], opts());
    expect(refused.exitCode).toBe(125);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/is stopped.*\[CONFLICT\]/);
    expect((await cliJson<Workspace>(['start', 'demo'], opts())).state).toBe('running');
  });

  it('rm removes the record but never the project folder', async () => {
    await cli(['rm', 'demo'], opts());
    const ls = await cliJson<Workspace[]>(['ls'], opts());
    expect(ls.map((w) => w.name)).not.toContain('demo');
    expect(existsSync(join(project, 'f'))).toBe(true);
  });
});
