/**
 * The /proc scan that finds a bwrap or host workspace's processes, on a fake
 * /proc tree: markers read from each environ, bwrap's own processes flagged,
 * zombies and unreadable entries left out, one count per workspace.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src-preload/contract';
import { placeLifecycle } from '../../src-main/core/drivers/shared/place-lifecycle';
import { countByWorkspace, endWorkspaceProcesses, envValue, isZombieStat, scanMarkedProcesses } from '../../src-main/core/host/procscan';

let root: string;

/** A /proc/PID with this environment and a stat whose state is `state`. */
function proc(pid: number, env: string[], opts: { state?: string; comm?: string; environ?: false } = {}): void {
  const dir = join(root, String(pid));
  mkdirSync(dir);
  if (opts.environ !== false) writeFileSync(join(dir, 'environ'), env.map((e) => `${e}\0`).join(''));
  writeFileSync(join(dir, 'stat'), `${pid} (${opts.comm ?? 'sleep'}) ${opts.state ?? 'S'} 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0\n`);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'benchtop-fakeproc-'));
  proc(10, ['PATH=/usr/bin', 'BENCHTOP_WORKSPACE_ID=aaa', 'BENCHTOP_PLUMBING=1', 'BENCHTOP_EXEC=x'], { comm: 'bwrap' });
  proc(11, ['HOME=/home/user', 'BENCHTOP_WORKSPACE_ID=aaa'], { comm: 'sh' });
  proc(12, ['BENCHTOP_WORKSPACE_ID=aaa'], { comm: 'sleep) (R' }); // a name with spaces and parentheses
  proc(13, ['BENCHTOP_WORKSPACE_ID=aaa'], { state: 'Z' }); // exited, not reaped
  proc(20, ['BENCHTOP_WORKSPACE_ID=bbb', 'X=BENCHTOP_WORKSPACE_ID=aaa']);
  proc(21, ['NOT_BENCHTOP_WORKSPACE_ID=aaa', 'BENCHTOP_WORKSPACE_IDX=aaa']); // lookalikes
  proc(30, [], { environ: false }); // gone between readdir and read
  mkdirSync(join(root, 'self'));
  mkdirSync(join(root, 'sys'));
  writeFileSync(join(root, 'uptime'), '1 1\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the /proc scan', () => {
  it('finds each marked live process once, with its workspace and whether it is plumbing', () => {
    const found = scanMarkedProcesses(root).sort((a, b) => a.pid - b.pid);
    expect(found).toEqual([
      { pid: 10, workspaceId: 'aaa', plumbing: true },
      { pid: 11, workspaceId: 'aaa', plumbing: false },
      { pid: 12, workspaceId: 'aaa', plumbing: false },
      { pid: 20, workspaceId: 'bbb', plumbing: false },
    ]);
  });

  it('counts the workspace processes, not the plumbing', () => {
    expect(Object.fromEntries(countByWorkspace(scanMarkedProcesses(root)))).toEqual({ aaa: 2, bbb: 1 });
  });

  it('reads an environ entry by its whole key', () => {
    expect(envValue('A=1\0BENCHTOP_WORKSPACE_IDX=2\0BENCHTOP_WORKSPACE_ID=3\0', 'BENCHTOP_WORKSPACE_ID')).toBe('3');
    expect(envValue('', 'A')).toBeUndefined();
  });

  it('tells a zombie from its stat line, whatever its name', () => {
    expect(isZombieStat('5 (a) Z) S 1 2 3')).toBe(false);
    expect(isZombieStat('5 (a) S) Z 1 2 3')).toBe(true);
  });

  it('finds nothing in a /proc that is not there', () => {
    expect(scanMarkedProcesses(join(root, 'missing'))).toEqual([]);
  });
});

describe('the shared place lifecycle', () => {
  const ws = (id: string, state: Workspace['state']) => ({ id, state }) as Workspace;

  it('lists every active workspace as running with its count (0 when nothing runs), and no stopped one', async () => {
    const life = placeLifecycle({ ready: async () => undefined, procRoot: root });
    const listed = await life.list([ws('aaa', 'running'), ws('bbb', 'stopping'), ws('ccc', 'running'), ws('ddd', 'stopped')]);
    expect(Object.fromEntries(listed)).toEqual({
      aaa: { running: true, description: 'ready', processes: 2 },
      bbb: { running: true, description: 'ready', processes: 1 },
      ccc: { running: true, description: 'ready', processes: 0 },
    });
  });

  it('start fails when the backend is not ready', async () => {
    const life = placeLifecycle({ ready: async () => Promise.reject(new Error('bubblewrap is not installed')), procRoot: root });
    await expect(life.start(ws('aaa', 'created'), {})).rejects.toThrow('bubblewrap is not installed');
  });
});


describe('ending a workspace\'s processes (real ones)', () => {
  /** A shell carrying the marker with a child; `trap` decides what it does on TERM. */
  function marked(id: string, trap: string): void {
    const child = spawn('sh', ['-c', `${trap}; sleep 1000 & wait; sleep 1000`], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BENCHTOP_WORKSPACE_ID: id }, stdio: 'ignore', detached: true });
    child.unref();
  }
  const live = (id: string) => scanMarkedProcesses().filter((p) => p.workspaceId === id).length;
  const settle = async (id: string, n: number) => {
    for (let i = 0; i < 100 && live(id) < n; i++) await new Promise((r) => setTimeout(r, 20));
  };

  it('sends TERM first: a process that handles it cleans up, and is counted as ended', async () => {
    const id = `unit-term-${process.pid}`;
    const note = join(root, 'termed');
    marked(id, `trap 'echo termed > ${note}; exit 0' TERM`);
    await settle(id, 2);
    expect(await endWorkspaceProcesses(id, { graceMs: 5000 })).toBe(2);
    expect(readFileSync(note, 'utf8')).toBe('termed\n');
    expect(live(id)).toBe(0);
  });

  it('KILLs what ignores TERM once the grace period is over', async () => {
    const id = `unit-kill-${process.pid}`;
    marked(id, `trap '' TERM`);
    await settle(id, 2);
    const started = performance.now();
    expect(await endWorkspaceProcesses(id, { graceMs: 300 })).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(live(id)).toBe(0);
  });

  it('ends nothing (and says 0) for a workspace with no process', async () => {
    expect(await endWorkspaceProcesses(`unit-none-${process.pid}`, { graceMs: 10 })).toBe(0);
  });
});
