/**
 * Published ports of a qemu workspace for real (TCG): every connection is
 * carried by the guest agent (dist/agent-relay.js → the supervisor's socket →
 * `EXEC connect=PORT`), so a VM with network none serves busybox httpd on
 * 127.0.0.1:HOSTPORT of the host while it still has no network device at
 * all. `--publish` at create, `port add` on the running VM, `port rm`, a
 * refused port logged, stop and start. One boot for the file (and the one
 * restart), under the TCG lock.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PortStatus, Workspace } from '../../src-preload/contract';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { FIXTURE_ROOTFS } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { acquireTcgLock } from '../helpers/tcg-lock';
import { vmKernel } from '../helpers/vm-kernel';

/** GET over the published port (busybox wget segfaults in the guest: fetch from the host); retries while httpd comes up. */
async function get(hostPort: number, tries = 25): Promise<{ status: number; body: string }> {
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(10_000) });
      return { status: r.status, body: await r.text() };
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** True when nothing listens on the host port (a forwarder takes a moment to go). */
async function refused(hostPort: number): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    try {
      await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(3000) });
    } catch (err) {
      if (/ECONNREFUSED/.test(String((err as { cause?: unknown }).cause ?? err))) return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** A host port free right now (for HOSTPORT:PORT). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describeWith('qemu', 'published ports of a qemu workspace (TCG, through the guest agent)', () => {
  let home: string;
  let project: string;
  let release: (() => Promise<void>) | undefined;
  let fixedHostPort: number;
  const ports = () => cliJson<PortStatus[]>(['port', 'ls', 'v'], { home });

  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('project');
    const built = await cli(['image', 'build', 'vm1', '--from', FIXTURE_ROOTFS, ...vmKernel().args], { home });
    expect(built.stderr + built.stdout).toMatch(/vm1@1/);
  }, 120_000);

  // Waiting for another checkout's guest is not booting: a timeout of its own.
  beforeAll(async () => {
    release = await acquireTcgLock();
  }, 660_000);

  beforeAll(async () => {
    fixedHostPort = await freePort();
    const ws = await cliJson<Workspace>(
      ['create', 'v', '--backend', 'qemu', '--image', 'vm1', '--project', project, '--memory', '256', '--cpus', '1', '--publish', `${fixedHostPort}:8080`],
      { home },
    );
    expect(ws.state).toBe('running');
    expect(ws.network).toBe('none');
    const httpd = await cli(['exec', 'v', '-c', 'mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www && httpd -p 9090 -h /www'], { home });
    expect(httpd.exitCode).toBe(0);
  }, 240_000);

  afterAll(async () => {
    if (home) await cli(['rm', 'v'], { home });
    await release?.();
    cleanup(home, project);
  }, 60_000);

  it('serves the guest httpd published at create on 127.0.0.1:HOSTPORT of the host', async () => {
    const [p] = await ports();
    expect(p).toMatchObject({ port: 8080, hostPort: fixedHostPort, listening: true, url: `http://127.0.0.1:${fixedHostPort}/` });
    expect(await get(fixedHostPort)).toEqual({ status: 200, body: 'hello\n' });
    // Several connections at once, each its own session on the agent.
    const many = await Promise.all(Array.from({ length: 4 }, () => get(fixedHostPort)));
    expect(many.map((r) => r.body)).toEqual(Array(4).fill('hello\n'));
  });

  it('still has no network device in the guest: only lo', async () => {
    const r = await cli(['exec', 'v', '--', 'ls', '/sys/class/net'], { home });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split(/\s+/)).toEqual(['lo']);
  });

  it('publishes another port on the running VM with `port add`, and `port rm` stops it', async () => {
    const added = await cliJson<PortStatus>(['port', 'add', 'v', '9090'], { home });
    expect(added).toMatchObject({ port: 9090, listening: true });
    const hostPort = added.hostPort as number;
    expect(await get(hostPort)).toEqual({ status: 200, body: 'hello\n' });
    const rm = await cli(['port', 'rm', 'v', '9090'], { home });
    expect(rm.exitCode).toBe(0);
    expect(await refused(hostPort)).toBe(true);
    expect((await ports()).map((p) => p.port)).toEqual([8080]);
    // The other port is untouched.
    expect((await get(fixedHostPort)).body).toBe('hello\n');
  });

  it('a port nothing listens on in the guest: the connection is closed, and the forwarder says why in its log', async () => {
    const added = await cliJson<PortStatus>(['port', 'add', 'v', '7070'], { home });
    const hostPort = added.hostPort as number;
    await expect(fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow();
    const ws = await cliJson<Workspace>(['status', 'v'], { home });
    const log = readFileSync(join(home, 'workspaces', ws.id, 'ports', 'forwarder.log'), 'utf8');
    expect(log).toContain('agent-relay: connect 127.0.0.1:7070: Connection refused');
    await cli(['port', 'rm', 'v', '7070'], { home });
  });

  it('ends with the VM when it stops, and is published again on the same host port when it starts', async () => {
    expect((await cliJson<Workspace>(['stop', 'v'], { home })).state).toBe('stopped');
    expect(await refused(fixedHostPort)).toBe(true);
    expect((await cliJson<Workspace>(['start', 'v'], { home })).state).toBe('running');
    expect(await ports()).toMatchObject([{ port: 8080, hostPort: fixedHostPort, listening: true }]);
    // A fresh guest: nothing serves 8080 until httpd runs again.
    expect((await cli(['exec', 'v', '-c', 'httpd -p 8080 -h /www'], { home })).exitCode).toBe(0);
    expect(await get(fixedHostPort)).toEqual({ status: 200, body: 'hello\n' });
  }, 180_000);
});
