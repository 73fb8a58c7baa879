/**
 * Exec as an attacker and a careless user would drive it, through the real
 * CLI on real sandboxes: output streamed whole and byte-exact, stdin only
 * with -i, an entry written when the command starts, no command outliving the
 * process that owns it, and sandbox failures never posing as exit codes.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { CLI, FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CLI as a background process (to kill it, or to read it while it runs). */
function spawnCli(args: string[], home: string, input?: string) {
  return execa('node', [CLI, ...args], { env: { BENCHTOP_HOME: home }, reject: false, ...(input !== undefined ? { input } : { stdin: 'ignore' }) });
}

async function lastEntry(home: string, name: string): Promise<JournalEntry> {
  const list = await cliJson<JournalEntry[]>(['logs', name], { home });
  return list[list.length - 1] as JournalEntry;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Bytes 0-255 in random order, so no decoder can pass them through unchanged by luck. */
function binaryPayload(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 0; i < 256; i++) b[i] = i; // every byte value, including invalid UTF-8
  return b;
}

function sharedExecTests(backend: 'bwrap' | 'podman', createArgs: () => string[]) {
  let home: string;
  let project: string;
  const name = `hard-${backend}`;
  const opts = () => ({ home });

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    await cliJson<Workspace>(['create', name, '--backend', backend, '--project', project, ...createArgs()], opts());
  });
  afterAll(async () => {
    await cli(['rm', name], opts());
    cleanup(home, project);
  });

  it('streams all of a large output: seq 1 300000 ends with 300000, every byte there', async () => {
    const r = await cli(['exec', name, '-c', 'seq 1 300000'], opts());
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('300000');
    expect(lines).toHaveLength(300000);
    // Only the journal's copy is capped, and it says so.
    const e = await lastEntry(home, name);
    expect(e.stdout?.bytes).toBe(Buffer.byteLength(r.stdout));
    expect(e.stdout?.truncated).toBe(true);
    expect(e.stdout?.storedBytes).toBe(1024 * 1024);
  });

  it('streams output while the command runs, not when it ends', async () => {
    const child = spawnCli(['exec', name, '-c', 'echo first; sleep 4; echo second'], home);
    const firstAt = await new Promise<number>((resolve) => child.stdout?.once('data', () => resolve(Date.now())));
    const r = await child;
    // The first line arrived while the command still had its 4 s sleep ahead of it.
    expect(Date.now() - firstAt).toBeGreaterThan(3000);
    expect(r.stdout).toBe('first\nsecond');
  });

  it('binary output round-trips byte-exact through the CLI and through logs --stdout', async () => {
    const data = binaryPayload(300_000);
    writeFileSync(join(project, 'random.bin'), data);
    const r = await execa('node', [CLI, 'exec', name, '--', 'cat', '/workspace/random.bin'], { env: { BENCHTOP_HOME: home }, encoding: 'buffer', reject: false });
    expect(r.exitCode).toBe(0);
    expect(Buffer.compare(Buffer.from(r.stdout as Uint8Array), data)).toBe(0);
    const seq = (await lastEntry(home, name)).seq;
    const stored = await execa('node', [CLI, 'logs', name, '--seq', String(seq), '--stdout'], { env: { BENCHTOP_HOME: home }, encoding: 'buffer' });
    expect(Buffer.compare(Buffer.from(stored.stdout as Uint8Array), data)).toBe(0);
  });

  it('-i forwards stdin; without it stdin is left alone for the caller', async () => {
    const withI = await spawnCli(['exec', name, '-i', '--', 'cat'], home, 'hi\n');
    expect(withI.stdout).toBe('hi');
    // `while read w; do benchtop exec …; done < list` must keep its list.
    const loop = await execa('sh', ['-c', `printf 'a\\nb\\nc\\n' | while read w; do node "$0" exec ${name} -- true; echo "got $w"; done`, CLI], {
      env: { BENCHTOP_HOME: home },
    });
    expect(loop.stdout).toBe('got a\ngot b\ngot c');
  });

  it('writes the entry when the command starts (running) and completes it when it ends', async () => {
    const child = spawnCli(['exec', name, '--', 'sleep', '3'], home);
    const running = await waitFor('a running entry', async () => {
      const e = await lastEntry(home, name);
      return e.command === 'sleep 3' && e.status === 'running' ? e : null;
    });
    expect(running.exitCode).toBeNull();
    expect((await child).exitCode).toBe(0);
    const done = (await cliJson<JournalEntry[]>(['logs', name], opts())).filter((e) => e.seq === running.seq);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('a --cwd that does not exist is one line, exit 125, and an entry that did not run', async () => {
    const r = await cli(['exec', name, '--cwd', '/no/such/dir', '--', 'true'], opts());
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toBe('benchtop: --cwd: /no/such/dir: no such folder in the sandbox [INVALID_INPUT]\n');
    const e = await lastEntry(home, name);
    expect(e).toMatchObject({ status: 'not-run', exitCode: null, reason: 'cwd: /no/such/dir: no such folder in the sandbox' });
  });

  it('a command exiting 255 or 127 on its own keeps its code', async () => {
    expect((await cli(['exec', name, '--', 'sh', '-c', 'exit 255'], opts())).exitCode).toBe(255);
    expect((await cli(['exec', name, '--', 'sh', '-c', 'exit 127'], opts())).exitCode).toBe(127);
    // A program that is not there is the command's failure, not the sandbox's.
    const missing = await cli(['exec', name, '--', 'no-such-program'], opts());
    expect(missing.exitCode).not.toBe(0);
    expect(missing.exitCode).not.toBe(125);
    expect((await lastEntry(home, name)).status).toBe('completed');
  });

  it('too many arguments is INVALID_INPUT naming the limit, and nothing is journaled', async () => {
    const before = (await cliJson<JournalEntry[]>(['logs', name], opts())).length;
    const args = Array.from({ length: 5000 }, (_, i) => String(i));
    const r = await cli(['exec', name, '--', 'echo', ...args], opts());
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/^benchtop: argv: must have at most 4096 arguments \[INVALID_INPUT\]\n$/);
    // (One argument over 128 KiB cannot even reach the CLI: the kernel refuses it first.)
    const long = await cli(['exec', name, '--', 'echo', ...Array.from({ length: 12 }, () => 'x'.repeat(100_000))], opts());
    expect(long.exitCode).toBe(125);
    expect(long.stderr).toMatch(/at most 1048576 bytes/);
    expect(await cliJson<JournalEntry[]>(['logs', name], opts())).toHaveLength(before);
  });

  it('a secret is redacted on the bytes; every other byte is kept', async () => {
    const data = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('key=s3cr3t-value-42;'), Buffer.from([0xc3, 0x28, 0x80])]);
    writeFileSync(join(project, 'with-secret.bin'), data);
    const r = await execa('node', [CLI, 'exec', name, '--env', 'API_TOKEN=s3cr3t-value-42', '--', 'cat', '/workspace/with-secret.bin'], {
      env: { BENCHTOP_HOME: home },
      encoding: 'buffer',
    });
    const want = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('key=<redacted>;'), Buffer.from([0xc3, 0x28, 0x80])]);
    expect(Buffer.compare(Buffer.from(r.stdout as Uint8Array), want)).toBe(0);
    const seq = (await lastEntry(home, name)).seq;
    const stored = await execa('node', [CLI, 'logs', name, '--seq', String(seq), '--stdout'], { env: { BENCHTOP_HOME: home }, encoding: 'buffer' });
    expect(Buffer.compare(Buffer.from(stored.stdout as Uint8Array), want)).toBe(0);
  });

  it('a secret inside --cwd is redacted in the journal and in the error line; a short one next to its key', async () => {
    const secret = 'cwd-s3cret-77';
    const r = await cli(['exec', name, '--env', `API_TOKEN=${secret}`, '--cwd', `/tmp/${secret}`, '--', 'true'], opts());
    expect(r.exitCode).toBe(125);
    expect(r.stderr).not.toContain(secret);
    expect(r.stderr).toContain('/tmp/<redacted>');
    const e = await lastEntry(home, name);
    expect(e.cwd).toBe('/tmp/<redacted>');
    expect(JSON.stringify(e)).not.toContain(secret);
    const short = await cli(['exec', name, '--env', 'DB_PASSWORD=ab', '--', 'env'], opts());
    expect(short.stdout).toContain('DB_PASSWORD=<redacted>');
    expect(short.stdout).not.toContain('DB_PASSWORD=ab');
  });

  return { home: () => home, name };
}

describeWith('bwrap', 'exec hardening on bwrap', () => {
  sharedExecTests('bwrap', () => []);
});

describeWith('podman', 'exec hardening on podman', () => {
  const w = sharedExecTests('podman', () => ['--image', FIXTURE_IMAGE, '--pids', '64']);

  async function containerId(): Promise<string> {
    return (await cliJson<Workspace>(['status', w.name], { home: w.home() })).id;
  }

  async function sleepsInside(id: string, what: string): Promise<number> {
    const r = await execa('podman', ['top', `benchtop-${id}`, 'args'], { reject: false });
    return r.stdout.split('\n').filter((l) => l.includes(what)).length;
  }

  it('kill -9 of `benchtop exec` leaves no command inside 10 s later, and the entry says interrupted', async () => {
    const id = await containerId();
    const child = spawnCli(['exec', w.name, '--', 'sleep', '31'], w.home());
    await waitFor('sleep 31 inside', async () => (await sleepsInside(id, 'sleep 31')) > 0);
    child.kill('SIGKILL');
    await child;
    const killedAt = Date.now();
    await waitFor('sleep 31 gone', async () => (await sleepsInside(id, 'sleep 31')) === 0, 10_000);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    // No `podman exec` client is left on the host either.
    const clients = await execa('pgrep', ['-f', 'exec.*sleep 31'], { reject: false });
    expect(clients.stdout.trim()).toBe('');
    const e = await waitFor('the entry completed as interrupted', async () => {
      const last = await lastEntry(w.home(), w.name);
      return last.status === 'interrupted' ? last : null;
    });
    expect(e.command).toBe('sleep 31');
    expect(e.reason).toMatch(/ended before the command did/);
  });

  it('what a command that ended normally put in the background keeps running (a server, say)', async () => {
    const id = await containerId();
    // (The short pause is podman's: a child not yet settled when `podman exec` returns is ended with it.)
    const r = await cli(['exec', w.name, '-c', 'sleep 38 </dev/null >/dev/null 2>&1 & sleep 0.5; echo started'], { home: w.home() });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    // Longer than the watchdog's round: it leaves commands that ended alone.
    await sleep(3000);
    expect(await sleepsInside(id, 'sleep 38')).toBe(1);
    await execa('pkill', ['-f', '^sleep 38$'], { reject: false });
  });

  it('at its pids limit, exec is one line naming the limit, exit 125, not run', async () => {
    const id = await containerId();
    try {
      // The hog's shell ends when it cannot fork any more; its sleeps stay (put in the background on purpose).
      await spawnCli(['exec', w.name, '-c', 'for i in $(seq 1 80); do sleep 61.5 & done; wait'], w.home());
      // (61.5 s: no other test's process has that command line, so the clean-up below kills only these.)
      // The pid its shell freed (and any other) is taken too, so the limit is reached for sure.
      for (let i = 0; i < 10; i++) {
        if ((await execa('podman', ['exec', '--detach', `benchtop-${id}`, 'sleep', '61.5'], { reject: false })).exitCode !== 0) break;
      }
      const r = await cli(['exec', w.name, '--', 'true'], { home: w.home() });
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toBe('benchtop: the workspace is at its pids limit (64): stop something or restart it [BACKEND_FAILED]\n');
      expect(await lastEntry(w.home(), w.name)).toMatchObject({ status: 'not-run', exitCode: null });
    } finally {
      await execa('pkill', ['-f', '^sleep 61\\.5$'], { reject: false });
      await waitFor('the hog gone', async () => (await sleepsInside(id, 'sleep 61.5')) === 0);
    }
  });

  it('removing the container during an exec is exit 125 with the reason, not the command exit code', async () => {
    const id = await containerId();
    const child = spawnCli(['exec', w.name, '--', 'sleep', '32'], w.home());
    await waitFor('sleep 32 inside', async () => (await sleepsInside(id, 'sleep 32')) > 0);
    await execa('podman', ['rm', '--force', '--time', '0', `benchtop-${id}`]);
    const r = await child;
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toBe('benchtop: the container was removed while the command ran [BACKEND_FAILED]');
    const entries = await cliJson<JournalEntry[]>(['logs', w.name], { home: w.home() });
    const e = entries.find((x) => x.command === 'sleep 32');
    expect(e).toMatchObject({ status: 'interrupted', exitCode: null, reason: 'the container was removed while the command ran' });
    // Restart for anything after this test.
    await cli(['start', w.name], { home: w.home() });
  });
});

// The host backend needs no runtime: it always runs.
describe('exec hardening on the host backend', () => {
  let home: string;
  let project: string;
  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    await cliJson<Workspace>(['create', 'hosty', '--backend', 'host', '--allow-host', '--project', project], { home });
  });
  afterAll(async () => {
    await cli(['rm', 'hosty'], { home });
    cleanup(home, project);
  });

  it('kill -9 of `benchtop exec` ends the command (it runs in a process group of its own)', async () => {
    const marker = `sleep 33.${process.pid}`;
    const child = spawnCli(['exec', 'hosty', '--', 'sh', '-c', `${marker}; true`], home);
    // The sleep itself (not the CLI, whose argv holds the same words).
    const running = () => execa('pgrep', ['-f', `^${marker}`], { reject: false }).then((r) => r.stdout.trim() !== '');
    await waitFor('the host command', running);
    child.kill('SIGKILL');
    await child;
    await waitFor('the host command gone', async () => !(await running()), 10_000);
    const e = await waitFor('the entry interrupted', async () => {
      const last = await lastEntry(home, 'hosty');
      return last.status === 'interrupted' ? last : null;
    });
    expect(e.reason).toMatch(/pid \d+/);
    // The running record is gone once handled.
    expect(readdirSync(join(home, 'running'))).toEqual([]);
  });
});

/** kill -9 of the CLI while `sleep N` runs; `visible` says whether the sleep still runs in the sandbox. */
async function killOwnerAndExpectCleanup(home: string, name: string, seconds: string, visible: () => Promise<boolean>): Promise<void> {
  const child = spawnCli(['exec', name, '--', 'sleep', seconds], home);
  await waitFor(`sleep ${seconds} running`, visible, 30_000);
  child.kill('SIGKILL');
  await child;
  const killedAt = Date.now();
  await waitFor(`sleep ${seconds} gone`, async () => !(await visible()), 10_000);
  expect(Date.now() - killedAt).toBeLessThan(10_000);
  const e = await waitFor('the entry interrupted', async () => {
    const last = (await cliJson<JournalEntry[]>(['logs', name], { home })).find((x) => x.command === `sleep ${seconds}`);
    return last?.status === 'interrupted' ? last : null;
  });
  expect(e.exitCode).toBeNull();
}

describeWith('gvisor', 'exec hardening on gVisor', () => {
  let home: string;
  beforeAll(async () => {
    home = tempDir('home');
    await cliJson<Workspace>(['create', 'gvk', '--backend', 'gvisor', '--image', FIXTURE_IMAGE], { home });
  });
  afterAll(async () => {
    await cli(['rm', 'gvk'], { home });
    cleanup(home);
  });

  it('kill -9 of `benchtop exec` ends the command inside the gVisor sandbox (not visible from the host)', async () => {
    const id = (await cliJson<Workspace>(['status', 'gvk'], { home })).id;
    const inside = async () => (await execa('podman', ['exec', `benchtop-${id}`, 'ps', '-o', 'args'], { reject: false })).stdout.split('\n').some((l) => l.trim() === 'sleep 35');
    await killOwnerAndExpectCleanup(home, 'gvk', '35', inside);
  });
});

describeWith('slurm', 'exec hardening in a SLURM allocation', () => {
  let home: string;
  beforeAll(async () => {
    home = tempDir('home');
    await cliJson<Workspace>(['create', 'slk', '--backend', 'bwrap', '--slurm', '--time', '00:05:00'], { home, timeoutMs: 300_000 });
  }, 300_000);
  afterAll(async () => {
    await cli(['rm', 'slk'], { home });
    cleanup(home);
  });

  it('kill -9 of `benchtop exec` ends the command on the node (through srun)', async () => {
    // Single-node cluster: the node's processes are this machine's.
    const onNode = async () => (await execa('pgrep', ['-f', '^sleep 36$'], { reject: false })).stdout.trim() !== '';
    await killOwnerAndExpectCleanup(home, 'slk', '36', onNode);
  });
});
