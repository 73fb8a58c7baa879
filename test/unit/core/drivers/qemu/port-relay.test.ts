/**
 * The qemu driver's published-port relay (portRelay): dist/agent-relay.js to
 * the VM's agent socket, watching the VM's supervisor, and refused in one
 * line while the VM does not run. The supervisor here is a stand-in process
 * whose command line names the VM folder, which is all that marks one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../../../../src-preload/contract';
import { createQemuDriver } from '../../../../../src-main/core/drivers/qemu/driver';
import type { DriverContext } from '../../../../../src-main/core/drivers/types';
import { vmFiles } from '../../../../../src-main/core/vm/files';

let root: string;
const ws = (name: string) => ({ id: name, name, backend: 'qemu', placement: { kind: 'local' } }) as unknown as Workspace;
const driver = () => createQemuDriver({ workspaceDir: (w: Workspace) => join(root, w.id), home: root } as unknown as DriverContext);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'benchtop-qemu-relay-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('qemu portRelay', () => {
  it('says in the descriptor that ports work, carried by the guest agent, with network none', () => {
    const d = driver().descriptor;
    expect(d.supports.ports).toBe(true);
    expect(d.portsNote).toMatch(/guest agent/);
    expect(d.portsNote).toMatch(/network none/);
  });

  it('refuses in one line while the VM is not running', async () => {
    await expect(driver().portRelay!(ws('off'), 8080)).rejects.toMatchObject({ code: 'CONFLICT', message: 'ports: workspace "off": its VM is not running' });
  });

  describe('with a running VM', () => {
    let supervisor: ChildProcess;
    const files = () => vmFiles(join(root, 'on', 'vm'));

    beforeAll(() => {
      const f = files();
      mkdirSync(f.dir, { recursive: true });
      supervisor = spawn('sh', ['-c', 'sleep 60', f.dir], { stdio: 'ignore' });
      writeFileSync(f.supervisorPid, String(supervisor.pid));
      writeFileSync(f.ready, JSON.stringify({ kernel: '6.1', agent: 'benchtop-agent 1', bootMs: 1 }));
      writeFileSync(f.agentSocket, '');
    });
    afterAll(() => void supervisor.kill('SIGKILL'));

    it('runs dist/agent-relay.js per connection, to the agent socket and the port, and watches the supervisor', async () => {
      const relay = await driver().portRelay!(ws('on'), 8080);
      expect(relay.argv).toHaveLength(4);
      expect(relay.argv[0]).toBe(process.execPath);
      expect(relay.argv[1]).toMatch(/\/dist\/agent-relay\.js$/);
      expect(relay.argv.slice(2)).toEqual([files().agentSocket, '8080']);
      expect(relay.watchPid).toBe(supervisor.pid);
    });
  });
});
