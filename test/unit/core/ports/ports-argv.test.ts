/** The pure parts of published ports: the spec parser, duplicates, the relay and podman's relay argv. */
import { execa } from 'execa';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildHasNcArgv, buildInspectPidArgv, buildPortRelayArgv, type PortRelaySpec } from '../../../../src-main/core/drivers/podman/argv';
import { buildRelayArgv, RELAY_SCRIPT } from '../../../../src-main/core/ports/relay';
import { createWorkspaceInputSchema, duplicatePort, formatPort, methods, parsePortSpec } from '../../../../src-preload/contract';

describe('parsePortSpec ([HOSTPORT:]PORT)', () => {
  it('reads PORT and HOSTPORT:PORT', () => {
    expect(parsePortSpec('8080')).toEqual({ port: 8080 });
    expect(parsePortSpec('18080:8080')).toEqual({ port: 8080, hostPort: 18080 });
    expect(parsePortSpec(' 1:65535 ')).toEqual({ port: 65535, hostPort: 1 });
  });
  it('refuses ports out of range, in one line naming which', () => {
    expect(parsePortSpec('0')).toEqual({ error: 'port 0 is out of range (1-65535)' });
    expect(parsePortSpec('65536')).toEqual({ error: 'port 65536 is out of range (1-65535)' });
    expect(parsePortSpec('70000:80')).toEqual({ error: 'host port 70000 is out of range (1-65535)' });
  });
  it('refuses what is not a port spec', () => {
    for (const bad of ['', 'http', '80:', ':80', '1:2:3', '-1', '8080/udp', '127.0.0.1:80:80', '1e3']) {
      expect(parsePortSpec(bad)).toHaveProperty('error');
    }
  });
});

describe('duplicatePort', () => {
  it('names a port published twice, inside or on the host', () => {
    expect(duplicatePort([{ port: 80 }, { port: 81 }])).toBeNull();
    expect(duplicatePort([{ port: 80 }, { port: 80, hostPort: 9000 }])).toBe('port 80 is published twice');
    expect(duplicatePort([{ port: 80, hostPort: 9000 }, { port: 81, hostPort: 9000 }])).toBe('host port 9000 is used twice');
    // Not yet picked host ports never collide.
    expect(duplicatePort([{ port: 80, hostPort: null }, { port: 81, hostPort: null }])).toBeNull();
  });
  it('formats HOSTPORT:PORT, ? while not picked', () => {
    expect(formatPort({ port: 80, hostPort: 9000 })).toBe('9000:80');
    expect(formatPort({ port: 80, hostPort: null })).toBe('?:80');
  });
});

describe('the contract refuses bad ports at every way in', () => {
  it('create and ports.add', () => {
    const base = { name: 'w', backend: 'podman' as const };
    expect(createWorkspaceInputSchema.safeParse({ ...base, ports: [{ port: 80 }] }).success).toBe(true);
    const r = createWorkspaceInputSchema.safeParse({ ...base, ports: [{ port: 0 }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('port must be between 1 and 65535');
    expect(createWorkspaceInputSchema.safeParse({ ...base, ports: [{ port: 80, hostPort: 65536 }] }).success).toBe(false);
    expect(createWorkspaceInputSchema.safeParse({ ...base, ports: [{ port: 80.5 }] }).success).toBe(false);
    expect(methods['ports.add'].params.safeParse({ workspace: 'w', port: 8080 }).success).toBe(true);
    expect(methods['ports.add'].params.safeParse({ workspace: 'w', port: 8080, extra: 1 }).success).toBe(false);
    expect(methods['ports.remove'].params.safeParse({ workspace: 'w', port: -1 }).success).toBe(false);
  });
});

describe('podman relay argv', () => {
  const spec = (over: Partial<PortRelaySpec> = {}): PortRelaySpec => ({
    relay: ['/usr/bin/node', '-e', 'RELAY', '8080'],
    containerName: 'benchtop-abc',
    port: 8080,
    pid: 4242,
    rootless: false,
    runtime: { kind: 'default' },
    podman: 'podman',
    ...over,
  });
  it('rootful: enters only the network namespace of the container', () => {
    expect(buildPortRelayArgv(spec())).toEqual(['nsenter', '-t', '4242', '-n', '/usr/bin/node', '-e', 'RELAY', '8080']);
  });
  it('rootless: the user namespace first, keeping our own uid', () => {
    expect(buildPortRelayArgv(spec({ rootless: true }))).toEqual(['nsenter', '-t', '4242', '-U', '--preserve-credentials', '-n', '/usr/bin/node', '-e', 'RELAY', '8080']);
  });
  it('gVisor: nc inside the sandbox through podman exec -i, with the runsc flags', () => {
    expect(buildPortRelayArgv(spec({ runtime: { kind: 'gvisor', runsc: '/usr/bin/runsc' } }))).toEqual([
      'podman', '--runtime', '/usr/bin/runsc', '--runtime-flag', 'network=none', '--runtime-flag', 'ignore-cgroups',
      'exec', '--interactive', 'benchtop-abc', 'nc', '127.0.0.1', '8080',
    ]);
  });
  it('asks podman for the container pid, and whether the image has nc', () => {
    expect(buildInspectPidArgv('benchtop-abc')).toEqual(['container', 'inspect', '--format', '{{.State.Pid}}', 'benchtop-abc']);
    expect(buildHasNcArgv({ kind: 'default' }, 'benchtop-abc')).toEqual(['exec', 'benchtop-abc', 'sh', '-c', 'command -v nc']);
  });
});

describe('the relay program', () => {
  it('is node -e with the port as its only argument', () => {
    expect(buildRelayArgv('/usr/bin/node', 8080)).toEqual(['/usr/bin/node', '-e', RELAY_SCRIPT, '8080']);
  });

  it('carries bytes both ways, and the answer after the request has ended', async () => {
    // An echo server that answers only once the request is complete (half-close).
    const server = createServer({ allowHalfOpen: true }, (c) => {
      const got: Buffer[] = [];
      c.on('data', (d: Buffer) => got.push(d));
      c.on('end', () => c.end(`echo:${Buffer.concat(got).toString()}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const [node, ...args] = buildRelayArgv(process.execPath, port);
      const r = await execa(node as string, args, { input: 'hello', reject: false, timeout: 10_000 });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('echo:hello');
    } finally {
      server.close();
    }
  });

  it('says why when nothing listens, and exits 1', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const [node, ...args] = buildRelayArgv(process.execPath, port);
    const r = await execa(node as string, args, { input: '', reject: false, timeout: 10_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^relay: connect ECONNREFUSED/);
  });
});
