/**
 * Published ports on real podman (rootful, gVisor, rootless): a server in a
 * workspace with network none answers on 127.0.0.1:HOSTPORT of the host, while
 * the workspace still reaches nothing outside (a server the host runs on every
 * address is unreachable from it, and reachable from a network-full workspace:
 * the control). Adding, removing, listing, stop/start, the forwarder killed,
 * and every error case as one line.
 */
import { readFileSync, writeFileSync, mkdirSync, chownSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PortStatus, Workspace } from '../../src-preload/contract';
import { cleanup, cli, cliJson, tempDir, userUid, type CliOptions } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

/** GET over the published port; retries while the server inside is still coming up. */
async function get(hostPort: number, path = '/index.html', tries = 25): Promise<{ status: number; body: string }> {
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${hostPort}${path}`, { signal: AbortSignal.timeout(5000) });
      return { status: r.status, body: await r.text() };
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** True when nothing listens on the host port (within a few seconds: a killed process takes a moment to go). */
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

async function listen(server: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((r) => server.listen(port, host, r));
  return (server.address() as { port: number }).port;
}

/** A host port free right now (for HOSTPORT:PORT). */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s, '127.0.0.1');
  await new Promise((r) => s.close(r));
  return port;
}

function project(prefix: string, text: string, owner?: number): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'index.html'), text);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'index.html'), `sub of ${text}`);
  if (owner !== undefined) for (const p of [dir, join(dir, 'index.html'), join(dir, 'sub'), join(dir, 'sub', 'index.html')]) chownSync(p, owner, owner);
  return dir;
}

describeWith('podman', 'published ports (podman, rootful)', () => {
  let home: string;
  let proj: string;
  let hostServer: Server;
  let hostServerPort: number;
  let hostConnections = 0;
  const opts = (): CliOptions => ({ home });
  const ports = (ws: string) => cliJson<PortStatus[]>(['port', 'ls', ws], opts());

  beforeAll(async () => {
    home = tempDir('home');
    proj = project('proj', 'served from the project folder');
    // A server the host runs on every address: what a sandbox with network none must not reach.
    hostServer = createServer((c) => {
      hostConnections++;
      c.end('hello from the host\n');
    });
    hostServerPort = await listen(hostServer, '0.0.0.0');
  });
  afterAll(async () => {
    for (const n of ['pt-web', 'pt-full', 'pt-bw', 'pt-host', 'pt-busy']) await cli(['rm', n], opts());
    hostServer.close();
    cleanup(home, proj);
  });

  it('serves a project file from a workspace with network none on 127.0.0.1:HOSTPORT', async () => {
    const ws = await cliJson<Workspace>(['create', 'pt-web', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--project', proj, '--publish', '8080'], opts());
    expect(ws.network).toBe('none');
    expect(ws.state).toBe('running');
    expect(ws.reason).toBeNull();
    const hostPort = ws.ports[0]?.hostPort as number;
    expect(ws.ports).toEqual([{ port: 8080, hostPort }]);
    expect(hostPort).toBeGreaterThan(0);
    // busybox httpd daemonizes: exec returns at once and the server stays.
    const started = await cli(['exec', 'pt-web', '--', 'httpd', '-p', '8080', '-h', '/workspace'], opts());
    expect([started.exitCode, started.stderr]).toEqual([0, '']);
    expect((await cli(['exec', 'pt-web', '--', 'ps', '-o', 'args'], opts())).stdout).toMatch(/^httpd -p 8080 -h \/workspace$/m);
    expect(await get(hostPort)).toEqual({ status: 200, body: 'served from the project folder' });
    expect(await get(hostPort, '/sub/')).toEqual({ status: 200, body: 'sub of served from the project folder' });
    // Only on the loopback: no other address of the host answers.
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (other) await expect(fetch(`http://${other}:${hostPort}/`, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
    const ls = await ports('pt-web');
    expect(ls).toEqual([{ port: 8080, hostPort, listening: true, url: `http://127.0.0.1:${hostPort}/`, reason: null }]);
    expect((await cli(['port', 'ls', 'pt-web'], opts())).stdout).toBe(`HOST             PORT  URL\n127.0.0.1:${hostPort}  8080  http://127.0.0.1:${hostPort}/\n`);
  });

  it('leaves the workspace without a route out; a network-full workspace (the control) reaches the same host server', async () => {
    await cliJson<Workspace>(['create', 'pt-full', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--network', 'full'], opts());
    const route = await cli(['exec', 'pt-full', '-c', "ip route | awk '/^default/ {print $3}'"], opts());
    const gateway = route.stdout.trim();
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const probe = ['-c', `nc -w 3 ${gateway} ${hostServerPort} </dev/null; echo "exit $?"`];
    const before = hostConnections;
    const control = await cli(['exec', 'pt-full', ...probe], opts());
    expect(control.stdout).toBe('hello from the host\nexit 0\n');
    expect(hostConnections).toBe(before + 1);
    // The same probe from the workspace with a published port: no route, nothing reaches the host.
    const none = await cli(['exec', 'pt-web', ...probe], opts());
    expect(none.stdout).toMatch(/exit 1\n$/);
    expect(none.stdout).not.toContain('hello from the host');
    expect((await cli(['exec', 'pt-web', '--', 'ip', 'route'], opts())).stdout).toBe('');
    expect(hostConnections).toBe(before + 1);
  });

  it('port add on the running workspace, port ls, port rm', async () => {
    const wanted = await freePort();
    await cli(['exec', 'pt-web', '--', 'httpd', '-p', '8081', '-h', '/workspace/sub'], opts());
    const added = await cli(['port', 'add', 'pt-web', `${wanted}:8081`], opts());
    expect([added.exitCode, added.stdout, added.stderr]).toEqual([0, `http://127.0.0.1:${wanted}/ -> 8081\n`, '']);
    expect(await get(wanted)).toEqual({ status: 200, body: 'sub of served from the project folder' });
    const ls = await ports('pt-web');
    expect(ls.map((p) => [p.port, p.listening])).toEqual([[8080, true], [8081, true]]);
    expect(ls[1]?.hostPort).toBe(wanted);
    const status = await cliJson<Workspace>(['status', 'pt-web'], opts());
    expect(status.ports.map((p) => p.port)).toEqual([8080, 8081]);
    const rm = await cli(['port', 'rm', 'pt-web', '8081'], opts());
    expect([rm.exitCode, rm.stdout]).toEqual([0, 'pt-web: port 8081 no longer published\n']);
    expect(await refused(wanted)).toBe(true);
    expect((await ports('pt-web')).map((p) => p.port)).toEqual([8080]);
    // Both changes are in the journal.
    const journal = (await cli(['logs', 'pt-web'], opts())).stdout;
    expect(journal).toContain(`127.0.0.1:${wanted} -> 8081`);
    expect(journal).toContain('port-removed');
  });

  it('refuses bad ports in one line each', async () => {
    const line = async (args: string[]) => {
      const r = await cli(args, opts());
      expect(r.stdout).toBe('');
      return [r.exitCode, r.stderr];
    };
    const hostPort = (await ports('pt-web'))[0]?.hostPort;
    expect(await line(['port', 'add', 'pt-web', '8080'])).toEqual([1, `benchtop: ports: port 8080 is published twice (published: ${hostPort}:8080) [CONFLICT]\n`]);
    expect(await line(['port', 'add', 'pt-web', `${hostPort}:9000`])).toEqual([1, `benchtop: ports: host port ${hostPort} is used twice (published: ${hostPort}:8080) [CONFLICT]\n`]);
    expect(await line(['port', 'add', 'pt-web', '70000'])).toEqual([2, 'benchtop: port add: port 70000 is out of range (1-65535) (see benchtop --help)\n']);
    expect(await line(['port', 'add', 'pt-web', '0:80'])).toEqual([2, 'benchtop: port add: host port 0 is out of range (1-65535) (see benchtop --help)\n']);
    expect(await line(['port', 'add', 'pt-web', 'http'])).toEqual([2, 'benchtop: port add: "http" is not PORT or HOSTPORT:PORT (e.g. 8080 or 18080:8080) (see benchtop --help)\n']);
    expect(await line(['port', 'rm', 'pt-web', '9999'])).toEqual([1, `benchtop: ports: port 9999 is not published by "pt-web" (published: ${hostPort}:8080) [NOT_FOUND]\n`]);
    expect(await line(['port', 'frob', 'pt-web'])).toEqual([2, 'benchtop: port: expected add, rm or ls, got "frob" (see benchtop --help)\n']);
    // A host port something else holds.
    const busy = createServer();
    const busyPort = await listen(busy, '127.0.0.1');
    try {
      expect(await line(['port', 'add', 'pt-web', `${busyPort}:9000`])).toEqual([1, `benchtop: ports: host port ${busyPort} is in use on 127.0.0.1 [CONFLICT]\n`]);
      // At create it is refused before anything is made.
      expect(await line(['create', 'pt-busy', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--publish', `${busyPort}:80`])).toEqual([1, `benchtop: ports: host port ${busyPort} is in use on 127.0.0.1 [CONFLICT]\n`]);
      expect((await cli(['status', 'pt-busy'], opts())).exitCode).not.toBe(0);
    } finally {
      busy.close();
    }
    expect(await line(['create', 'pt-busy', '--backend', 'podman', '--image', FIXTURE_IMAGE, '-p', '80', '-p', '80'])).toEqual([1, 'benchtop: --publish: port 80 is published twice [INVALID_INPUT]\n']);
    expect((await ports('pt-web')).map((p) => p.port)).toEqual([8080]);
  });

  it('says which backends cannot publish ports, and why', async () => {
    expect((await cli(['create', 'pt-bw', '--backend', 'bwrap', '--publish', '8080'], opts())).stderr).toBe(
      'benchtop: --publish: bwrap workspaces cannot publish ports (not supported: bubblewrap runs each command in a fresh sandbox, so no process stays inside to serve a port) [INVALID_INPUT]\n',
    );
    await cliJson<Workspace>(['create', 'pt-host', '--backend', 'host', '--allow-host'], opts());
    expect((await cli(['port', 'add', 'pt-host', '8080'], opts())).stderr).toBe(
      'benchtop: ports: host workspaces cannot publish ports (not needed: programs in a host workspace listen on the host itself (use 127.0.0.1:PORT directly)) [INVALID_INPUT]\n',
    );
  });

  it('stops with the workspace, comes back on the same host port when it starts, and after its forwarder was killed', async () => {
    const hostPort = (await ports('pt-web'))[0]?.hostPort as number;
    await cli(['stop', 'pt-web'], opts());
    expect(await refused(hostPort)).toBe(true);
    expect(await ports('pt-web')).toEqual([{ port: 8080, hostPort, listening: false, url: null, reason: 'published when the workspace runs (it is stopped)' }]);
    const started = await cliJson<Workspace>(['start', 'pt-web'], opts());
    expect(started.reason).toBeNull();
    await cli(['exec', 'pt-web', '--', 'httpd', '-p', '8080', '-h', '/workspace'], opts());
    expect(await get(hostPort)).toEqual({ status: 200, body: 'served from the project folder' });
    // The process that owned it is gone (SIGKILL): the next look at the workspace publishes it again.
    const ws = await cliJson<Workspace>(['status', 'pt-web'], opts());
    const state = JSON.parse(readFileSync(join(home, 'workspaces', ws.id, 'ports', '8080.json'), 'utf8')) as { pid: number };
    process.kill(state.pid, 'SIGKILL');
    expect(await refused(hostPort)).toBe(true);
    expect((await ports('pt-web'))[0]).toMatchObject({ hostPort, listening: true });
    expect(await get(hostPort)).toEqual({ status: 200, body: 'served from the project folder' });
    await cli(['rm', 'pt-web'], opts());
    expect(await refused(hostPort)).toBe(true);
  });
});

describeWith('gvisor', 'published ports (gVisor)', () => {
  let home: string;
  let proj: string;
  beforeAll(() => {
    home = tempDir('home');
    proj = project('proj', 'served from gVisor');
  });
  afterAll(async () => {
    await cli(['rm', 'pt-gv'], { home });
    cleanup(home, proj);
  });

  it('relays through nc inside the sandbox', async () => {
    const ws = await cliJson<Workspace>(['create', 'pt-gv', '--backend', 'gvisor', '--image', FIXTURE_IMAGE, '--project', proj, '--publish', '8080'], { home });
    expect(ws.reason).toBeNull();
    const hostPort = ws.ports[0]?.hostPort as number;
    await cli(['exec', 'pt-gv', '--', 'httpd', '-p', '8080', '-h', '/workspace'], { home });
    expect(await get(hostPort)).toEqual({ status: 200, body: 'served from gVisor' });
    await cli(['port', 'rm', 'pt-gv', '8080'], { home });
    expect(await refused(hostPort)).toBe(true);
  });
});

describeWith('rootless', 'published ports (podman, rootless)', () => {
  let home: string;
  let proj: string;
  const opts = (): CliOptions => ({ home, asUser: true });
  beforeAll(async () => {
    const uid = await userUid();
    home = tempDir('home');
    chownSync(home, uid, uid);
    proj = project('proj', 'served rootless', uid);
  });
  afterAll(async () => {
    await cli(['rm', 'pt-rl'], opts());
    cleanup(home, proj);
  });

  it("enters the user's podman user namespace too", async () => {
    const ws = await cliJson<Workspace>(['create', 'pt-rl', '--backend', 'podman', '--image', FIXTURE_IMAGE, '--project', proj, '--publish', '8080'], opts());
    expect(ws.runtime.rootless).toBe(true);
    expect(ws.reason).toBeNull();
    const hostPort = ws.ports[0]?.hostPort as number;
    await cli(['exec', 'pt-rl', '--', 'httpd', '-p', '8080', '-h', '/workspace'], opts());
    expect(await get(hostPort)).toEqual({ status: 200, body: 'served rootless' });
  });
});
