/**
 * The forwarder on real processes (dist/forwarder.js, as built), with the
 * relay pointed at a server on this host instead of a sandbox: the start
 * handshake, a host port in use, stopping, and ending by itself when the
 * sandbox's process or its state file is gone.
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwarder, stopAllForwarders, stopForwarder } from '../../../../src-main/core/ports/forwards';
import { buildRelayArgv } from '../../../../src-main/core/ports/relay';
import { liveForwarder, stateFileOf } from '../../../../src-main/core/ports/state';

let dir: string;
let target: Server;
let targetPort: number;

async function get(hostPort: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(hostPort, '127.0.0.1');
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    c.on('end', () => resolve(Buffer.concat(got).toString()));
    c.on('error', reject);
    c.end(body);
  });
}

async function refused(hostPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(hostPort, '127.0.0.1');
    c.on('connect', () => (c.destroy(), resolve(false)));
    c.on('error', () => resolve(true));
  });
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'benchtop-fwd-'));
  target = createServer({ allowHalfOpen: true }, (c) => {
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    c.on('end', () => c.end(`inside got ${Buffer.concat(got).length} bytes`));
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetPort = (target.address() as { port: number }).port;
});
afterAll(async () => {
  await stopAllForwarders(dir);
  target.close();
  rmSync(dir, { recursive: true, force: true });
});

const relay = () => ({ argv: buildRelayArgv(process.execPath, targetPort) });

describe('forwarder', () => {
  it('listens on a free port when none is given, carries connections, and is gone after stop', async () => {
    const hostPort = await startForwarder(dir, 8080, 0, relay());
    expect(hostPort).toBeGreaterThan(0);
    expect(liveForwarder(dir, 8080)?.hostPort).toBe(hostPort);
    expect(await get(hostPort, 'x'.repeat(300_000))).toBe('inside got 300000 bytes');
    expect(await get(hostPort, 'again')).toBe('inside got 5 bytes');
    await stopForwarder(dir, 8080);
    expect(liveForwarder(dir, 8080)).toBeNull();
    expect(await refused(hostPort)).toBe(true);
  });

  it('a host port in use is one CONFLICT line, and leaves nothing behind', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      await expect(startForwarder(dir, 8081, port, relay())).rejects.toMatchObject({ code: 'CONFLICT', message: `ports: host port ${port} is in use on 127.0.0.1` });
      expect(liveForwarder(dir, 8081)).toBeNull();
    } finally {
      busy.close();
    }
  });

  it('ends by itself when the sandbox process it watches is gone', async () => {
    const sandbox = execa('sleep', ['37'], { reject: false });
    const hostPort = await startForwarder(dir, 8082, 0, { ...relay(), watchPid: sandbox.pid! });
    const pid = liveForwarder(dir, 8082)!.pid;
    sandbox.kill('SIGKILL');
    await sandbox;
    expect(await until(() => liveForwarder(dir, 8082) === null)).toBe(true);
    expect(await until(() => !isRunning(pid))).toBe(true);
    expect(await refused(hostPort)).toBe(true);
  });

  it('ends by itself when its state file is removed (its workspace was deleted)', async () => {
    await startForwarder(dir, 8083, 0, relay());
    const pid = liveForwarder(dir, 8083)!.pid;
    rmSync(stateFileOf(dir, 8083));
    expect(await until(() => !isRunning(pid))).toBe(true);
  });

  it("logs a relay's complaint (a refused port inside) to ports/forwarder.log itself, so the log outlives whoever started it", async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const closedPort = (gone.address() as { port: number }).port;
    await new Promise((r) => gone.close(r));
    const hostPort = await startForwarder(dir, 8084, 0, { argv: buildRelayArgv(process.execPath, closedPort) });
    const log = join(dir, 'ports', 'forwarder.log');
    // Its stderr is the file, not a pipe through this process (which a CLI closes when it exits).
    expect(readlinkSync(`/proc/${liveForwarder(dir, 8084)!.pid}/fd/2`)).toBe(log);
    await get(hostPort, 'x').catch(() => undefined);
    expect(await until(() => readFileSync(log, 'utf8').includes(`relay: connect ECONNREFUSED 127.0.0.1:${closedPort}`))).toBe(true);
    await stopForwarder(dir, 8084);
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
