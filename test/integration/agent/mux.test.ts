/**
 * The host side of the guest agent, against the real agent binary run on the
 * host (`--stdio`): many connections through one mux, each session a
 * SandboxProcess, credit-based flow control end to end, and a client that
 * goes away having its processes ended in the guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentConnection } from '../../../src-main/core/agent/client';
import { AgentMux } from '../../../src-main/core/agent/mux';
import { INITIAL_CREDIT } from '../../../src-main/core/agent/frames';
import type { ProcessSink } from '../../../src-main/core/process/types';
import { AGENT_BIN, describeWithAgent } from '../../helpers/agent';

function collect(): { sink: ProcessSink; out: () => string; bytes: () => number } {
  const chunks: Buffer[] = [];
  let n = 0;
  return {
    sink: (stream, c) => {
      if (stream === 'stdout') chunks.push(c);
      n += c.length;
    },
    out: () => Buffer.concat(chunks).toString('utf8'),
    bytes: () => n,
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describeWithAgent('the guest agent through the mux', () => {
  let agent: ChildProcess;
  let server: Server;
  let dir: string;
  let sock: string;
  const env = { PATH: '/usr/bin:/bin' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'benchtop-mux-'));
    sock = join(dir, 'agent.sock');
    agent = spawn(AGENT_BIN, ['--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const ready = new Promise<void>((ok) => {
      const mux = new AgentMux(agent.stdout!, agent.stdin!, { onReady: () => ok() });
      server = createServer((s) => mux.addClient(s));
    });
    await ready;
    await new Promise<void>((ok) => server.listen(sock, ok));
  });

  afterAll(() => {
    server?.close();
    agent?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says the guest hello to every client, and runs their processes side by side', async () => {
    const [a, b] = await Promise.all([AgentConnection.connect(sock), AgentConnection.connect(sock)]);
    expect(a.hello.version).toBe(1);
    expect(a.hello.kernel).toBe(b.hello.kernel);
    const runs = [a, b, a, b].map(async (conn, i) => {
      const c = collect();
      const p = await conn.spawn({ argv: ['sh', '-c', `echo out-${i}; echo err-${i} >&2; exit ${i + 3}`], cwd: '/', env }, c.sink);
      const exit = await p.exited;
      return { exit, out: c.out() };
    });
    const results = await Promise.all(runs);
    results.forEach((r, i) => {
      expect(r.out).toBe(`out-${i}\n`);
      expect(r.exit.code).toBe(i + 3);
    });
    a.close();
    b.close();
  });

  it('holds a flooding process at its credit while paused, and lets all of it through on resume', async () => {
    const conn = await AgentConnection.connect(sock);
    const c = collect();
    const total = 4 * 1024 * 1024;
    const p = await conn.spawn({ argv: ['head', '-c', String(total), '/dev/zero'], cwd: '/', env }, (s, chunk) => {
      c.sink(s, chunk);
    });
    p.pause();
    await new Promise((r) => setTimeout(r, 800));
    // What was granted before the pause, plus at most one more frame in flight.
    expect(c.bytes()).toBeLessThanOrEqual(2 * INITIAL_CREDIT + 64 * 1024);
    p.resume();
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(c.bytes()).toBe(total);
    conn.close();
  });

  it('ends the processes of a client that goes away', async () => {
    const conn = await AgentConnection.connect(sock);
    const c = collect();
    await conn.spawn({ argv: ['sh', '-c', 'sleep 100 & echo $!; wait'], cwd: '/', env }, c.sink);
    expect(await until(() => /\d+\n/.test(c.out()), 5000)).toBe(true);
    const pid = Number(c.out().trim());
    expect(alive(pid)).toBe(true);
    conn.close();
    expect(await until(() => !alive(pid), 5000)).toBe(true);
  });

  it('carries stdin under its credit: a megabyte reaches wc whole', async () => {
    const conn = await AgentConnection.connect(sock);
    const c = collect();
    const p = await conn.spawn({ argv: ['wc', '-c'], cwd: '/', env }, c.sink);
    await p.write(Buffer.alloc(1024 * 1024, 0x61));
    p.end();
    expect((await p.exited).code).toBe(0);
    expect(c.out().trim()).toBe(String(1024 * 1024));
    conn.close();
  });

  it("reports a process that could not start as the agent's error, not an exit code", async () => {
    const conn = await AgentConnection.connect(sock);
    const p = await conn.spawn({ argv: ['definitely-not-a-program'], cwd: '/', env }, () => undefined);
    const exit = await p.exited;
    expect(exit.code).toBeNull();
    expect(exit.spawnError).toMatch(/definitely-not-a-program/);
    conn.close();
  });
});
