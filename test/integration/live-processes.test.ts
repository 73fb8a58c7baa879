/**
 * Live processes of bwrap and host workspaces, for real: what a command or a
 * terminal leaves running is counted (`benchtop ls --json`, the browser
 * host's list), a stop ends all of it — TERM, then KILL for what ignores
 * TERM — and says how many in its journal entry, and /proc shows nothing of
 * the workspace survives.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { CLI } from '../helpers/fixtures';
import { processesWith } from '../helpers/inspect';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';
import { TerminalViewer } from '../helpers/terminal';

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const start = Date.now();
  let v = await f();
  while (!ok(v)) {
    if (Date.now() - start > ms) throw new Error(`${what}: gave up waiting; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
    v = await f();
  }
  return v;
}

/** The sleeps with this exact argument that live on the host. */
async function sleepsOf(seconds: number): Promise<number> {
  const { stdout } = await execa('ps', ['-eo', 'stat=,args=']);
  return stdout.split('\n').filter((l) => !l.trim().startsWith('Z') && l.trim().endsWith(`sleep ${seconds}`)).length;
}

/** The lifecycle entry of the last stop. */
async function lastStop(home: string, name: string): Promise<JournalEntry | undefined> {
  const log = await cliJson<JournalEntry[]>(['logs', name], { home });
  return log.filter((e) => e.event === 'stopped').at(-1);
}

interface Live {
  home: string;
  name: string;
  id: string;
  count(): Promise<number | undefined>;
  marked(): Promise<number[]>;
}

function liveTests(backend: 'bwrap' | 'host', extra: string[]): Live {
  let home: string;
  let project: string;
  let serve: ServeProcess;
  const opts = () => ({ home });
  const name = `live-${backend}`;
  let id: string;
  /** The count as a separate CLI process reports it. */
  const count = async () => (await cliJson<Workspace[]>(['ls'], opts())).find((w) => w.name === name)?.processes;
  /** Every process carrying the workspace's marker, as /proc shows it (bwrap's own included). */
  const marked = () => processesWith(`BENCHTOP_WORKSPACE_ID=${id}`);

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    id = (await cliJson<Workspace>(['create', name, '--backend', backend, '--project', project, ...extra], opts())).id;
    serve = await startServe(home);
  });
  afterAll(async () => {
    await cli(['rm', name], opts());
    await serve.stop();
    cleanup(home, project);
  });

  it('counts 0 for a ready workspace with nothing running, in ls --json and in status', async () => {
    expect(await count()).toBe(0);
    const ws = await cliJson<Workspace>(['status', name], opts());
    expect(ws).toMatchObject({ state: 'running', processes: 0 });
    expect((await cli(['status', name], opts())).stdout).toMatch(/^processes +0 live$/m);
  });

  it('counts what a running command has, and stop ends it all and says how many', async () => {
    // Started by one CLI process, counted by another, stopped by a third.
    const run = cli(['exec', name, '--', 'sh', '-c', 'sleep 41721 & sleep 41722; echo never'], opts());
    expect(await until('count', count, (n) => n === 3)).toBe(3); // sh and its two sleeps
    const ls = await cli(['ls'], opts());
    expect(ls.stdout).toMatch(new RegExp(`^${name} .* running +3 `, 'm'));
    const stopped = await cliJson<Workspace>(['stop', name], opts());
    expect(stopped.state).toBe('stopped');
    expect((await run).stdout).not.toContain('never');
    expect((await lastStop(home, name))?.detail).toBe('ended 3 processes');
    expect(await marked()).toEqual([]);
    expect((await sleepsOf(41721)) + (await sleepsOf(41722))).toBe(0);
    expect(await count()).toBeUndefined(); // a stopped workspace has no live count
    expect((await cliJson<Workspace>(['start', name], opts())).state).toBe('running');
    expect(await count()).toBe(0);
  });

  it('counts the shell of a terminal the browser host opened and what it started, and stop ends them', async () => {
    const { client, ws } = await serve.connect();
    const t = await client.call('terminals.open', { workspace: name, cols: 80, rows: 24 });
    const view = new TerminalViewer(client, t.id);
    await view.type('echo ready-$((6*7))\r');
    await view.waitFor('ready-42');
    expect(await until('count', count, (n) => n === 1)).toBe(1); // the login shell
    await view.type('sleep 41723 &\r');
    expect(await until('count', count, (n) => n === 2)).toBe(2);
    // The browser host's own list says the same.
    const listed = await until('serve list', () => client.call('workspaces.list', {}), (l) => l.find((w) => w.name === name)?.processes === 2);
    expect(listed.find((w) => w.name === name)?.processes).toBe(2);
    await cliJson<Workspace>(['stop', name], opts());
    expect(await view.waitForExit()).not.toBe(0);
    expect((await lastStop(home, name))?.detail).toBe('ended 2 processes');
    expect(await marked()).toEqual([]);
    expect(await sleepsOf(41723)).toBe(0);
    view.dispose();
    ws.close();
    await cliJson<Workspace>(['start', name], opts());
  });

  return {
    get home() {
      return home;
    },
    name,
    get id() {
      return id;
    },
    count,
    marked,
  };
}

describeWith('bwrap', 'live processes of a bwrap workspace', () => {
  const live = liveTests('bwrap', []);

  it('a background process ends with its command: the sandbox (a pid namespace) takes it along', async () => {
    const r = await cli(['exec', live.name, '--', 'sh', '-c', 'sleep 41724 & echo started'], { home: live.home });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    expect(await live.count()).toBe(0);
    expect(await sleepsOf(41724)).toBe(0);
  });
});

describe('live processes of a host workspace', () => {
  const live = liveTests('host', ['--allow-host']);
  const opts = () => ({ home: live.home });

  it('counts what a finished command left behind (its owner gone), double forks included, and stop ends them', async () => {
    // Not holding the command's output open: exec returns while they run on.
    const r = await cli(['exec', live.name, '--', 'sh', '-c', 'sleep 41725 >/dev/null 2>&1 & setsid sh -c "sleep 41726 >/dev/null 2>&1 &" >/dev/null 2>&1; echo started'], opts());
    expect(r).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    expect(await until('count', live.count, (n) => n === 2)).toBe(2);
    expect((await sleepsOf(41725)) + (await sleepsOf(41726))).toBe(2);
    await cliJson<Workspace>(['stop', live.name], opts());
    expect((await lastStop(live.home, live.name))?.detail).toBe('ended 2 processes');
    expect(await live.marked()).toEqual([]);
    expect((await sleepsOf(41725)) + (await sleepsOf(41726))).toBe(0);
    await cliJson<Workspace>(['start', live.name], opts());
  });

  it('does not count (or end) the data folder\'s watchdog that a CLI run inside the workspace started', async () => {
    const other = tempDir('home');
    try {
      // The inner CLI's first exec starts a watchdog for its own data folder; it outlives the command.
      const inner = `export BENCHTOP_HOME=${other}; node ${CLI} create inner --backend host --allow-host >/dev/null && node ${CLI} exec inner -- true </dev/null >/dev/null 2>&1; echo done`;
      const r = await cli(['exec', live.name, '--', 'sh', '-c', inner], opts());
      expect(r.stdout).toBe('done\n');
      const watchdog = (await execa('ps', ['-eo', 'args='])).stdout.split('\n').filter((l) => l.includes('watchdog.js') && l.includes(other));
      expect(watchdog).toHaveLength(1);
      expect(await live.count()).toBe(0);
    } finally {
      cleanup(other);
    }
  });

  it('KILLs what ignores TERM, after the grace period', async () => {
    const r = await cli(['exec', live.name, '--', 'sh', '-c', 'trap "" TERM; sleep 41727 >/dev/null 2>&1 & echo started'], opts());
    expect(r.stdout).toBe('started\n');
    expect(await until('count', live.count, (n) => n === 1)).toBe(1);
    const started = performance.now();
    await cliJson<Workspace>(['stop', live.name], opts());
    expect(performance.now() - started).toBeGreaterThan(2000);
    expect((await lastStop(live.home, live.name))?.detail).toBe('ended 1 process');
    expect(await sleepsOf(41727)).toBe(0);
    await cliJson<Workspace>(['start', live.name], opts());
  });
});
