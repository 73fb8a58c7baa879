/**
 * The firecracker driver's path to the guest agent, with everything real but
 * Firecracker (which cannot run here): the vsock handshake to a Unix socket
 * answering as Firecracker's muxer does, then the real agent binary
 * (--stdio) behind it; the real VM supervisor (dist/vm-supervisor.js) given
 * a launch.json with `vsockPort` and a stand-in VMM; and the project copy
 * through the agent. Where Firecracker can run: firecracker.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { AgentConnection } from '../../src-main/core/agent/client';
import { AgentConnection as Agent } from '../../src-main/core/agent/client';
import { copyProjectIn } from '../../src-main/core/vm/project-copy';
import { connectAgentOverVsock } from '../../src-main/core/drivers/firecracker/vsock';
import { livingSupervisor, readJson, startSupervisor, waitGone } from '../../src-main/core/drivers/shared/vm-process';
import { vmFiles, type VmExit, type VmLaunch } from '../../src-main/core/vm/files';
import { AGENT_BIN, describeWithAgent } from '../helpers/agent';
import { REPO } from '../helpers/fixtures';
import { startMuxer, type Muxer } from '../helpers/firecracker-muxer';

const PORT = 1024;
let dir: string;
const muxers: Muxer[] = [];
const conns: AgentConnection[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fc-int-'));
});
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  for (const m of muxers.splice(0)) await m.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs argv through the agent; what it printed and how it ended. */
async function run(conn: AgentConnection, argv: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  let stdout = '';
  let stderr = '';
  const p = await conn.spawn({ argv, cwd: '/', env: { PATH: '/usr/bin:/bin' } }, (s, c) => (s === 'stdout' ? (stdout += c.toString()) : (stderr += c.toString())));
  p.end();
  const e = await p.exited;
  return { stdout, stderr, code: e.code };
}

describeWithAgent('firecracker: the guest agent over vsock', () => {
  it('runs a real command in the agent behind CONNECT 1024', async () => {
    const m = await startMuxer(join(dir, 'v.sock'), { [PORT]: [AGENT_BIN, '--stdio'] });
    muxers.push(m);
    const conn = await connectAgentOverVsock(m.path, PORT);
    conns.push(conn);
    expect(m.requests).toEqual([`CONNECT ${PORT}`]);
    // The agent's hello came in the same write as the OK: the handshake handed it on.
    expect(m.joinedWrites).toBe(1);
    expect(conn.hello.version).toBe(1);
    expect(conn.hello.agent).not.toBe('');
    expect(await run(conn, ['sh', '-c', 'echo out; echo err >&2; exit 7'])).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 7 });
  });

  it('copies a project in through the agent, modes and nested folders kept', async () => {
    const m = await startMuxer(join(dir, 'v2.sock'), { [PORT]: [AGENT_BIN, '--stdio'] });
    muxers.push(m);
    const conn = await connectAgentOverVsock(m.path, PORT);
    conns.push(conn);
    const project = join(dir, 'project');
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    writeFileSync(join(project, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(project, 'src', 'deep', 'data.bin'), Buffer.alloc(300_000, 7));
    const dest = join(dir, 'guest-workspace');
    const bytes = await copyProjectIn(conn, project, dest);
    expect(bytes).toBeGreaterThan(300_000);
    expect(readFileSync(join(dest, 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(statSync(join(dest, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dest, 'src', 'deep', 'data.bin')).equals(Buffer.alloc(300_000, 7))).toBe(true);
  });

  it('says what failed when the guest cannot unpack', async () => {
    const m = await startMuxer(join(dir, 'v3.sock'), { [PORT]: [AGENT_BIN, '--stdio'] });
    muxers.push(m);
    const conn = await connectAgentOverVsock(m.path, PORT);
    conns.push(conn);
    const notDir = join(dir, 'a-file');
    writeFileSync(notDir, 'x');
    await expect(copyProjectIn(conn, join(dir, 'project'), join(notDir, 'sub'))).rejects.toThrow(/^unpacking the project in the guest failed: .*(Not a directory|File exists|can't create)/i);
  });

  it('the real VM supervisor reaches the agent over vsock, serves it on agent.sock, keeps the console and says why the VMM ended', async () => {
    execFileSync('node', [resolve(REPO, 'scripts/build-cli.mjs')], { cwd: REPO, stdio: 'ignore' });
    const vmDir = join(dir, 'vm');
    mkdirSync(vmDir);
    const files = vmFiles(vmDir);
    const launch: VmLaunch = {
      argv: [process.execPath, '--import', resolve(REPO, 'node_modules/tsx/dist/loader.mjs'), resolve(REPO, 'test/helpers/fake-firecracker.ts'), files.guestSocket, String(PORT), AGENT_BIN],
      bootTimeoutMs: 20_000,
      vmm: 'Firecracker',
      vsockPort: PORT,
      consoleOnStdout: true,
    };
    writeFileSync(files.launch, JSON.stringify(launch));
    const ready = await startSupervisor(files, 30_000, 'firecracker');
    try {
      expect(ready.agent).not.toBe('');
      const conn = await Agent.connect(files.agentSocket);
      conns.push(conn);
      expect(await run(conn, ['sh', '-c', 'echo via-supervisor'])).toEqual({ stdout: 'via-supervisor\n', stderr: '', code: 0 });
      expect(readFileSync(files.console, 'utf8')).toContain('fake firecracker: guest console line');
      // Killed from outside: exit.json names the VMM.
      const vmmPid = readJson<{ qemuPid?: number }>(files.ready)?.qemuPid as number;
      process.kill(vmmPid, 'SIGKILL');
      expect(await waitGone(files, 10_000)).toBe(true);
      expect(readJson<VmExit>(files.exit)?.reason).toBe('Firecracker was killed (SIGKILL)');
    } finally {
      const sup = livingSupervisor(files);
      if (sup !== null) process.kill(sup, 'SIGKILL');
    }
  }, 60_000);
});
