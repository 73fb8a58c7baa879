/**
 * Boots a VM image under QEMU TCG the way a workspace will (a qcow2 overlay,
 * the argv of drivers/qemu/argv.ts) and waits for the guest agent's SYNC +
 * HELLO on the agent socket. Holds the machine's TCG lock while the guest runs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { decodeKv, FrameDecoder, GUEST_TYPES, T } from '../../src-main/core/agent/frames';
import { qemuArgv, type QemuPort } from '../../src-main/core/drivers/qemu/argv';
import { hostTscKhz } from '../../src-main/core/drivers/qemu/host-tsc';
import { createExecaRunner } from '../../src-main/core/runner/runner';
import { createOverlay } from '../../src-main/core/vm/overlay';
import type { ResolvedVmImage } from '../../src-main/core/vm/store';
import { acquireTcgLock } from './tcg-lock';

export interface Booted {
  hello: Record<string, string>;
  /** Wall time from spawning QEMU to the guest's HELLO. */
  helloMs: number;
  argv: string[];
  consoleLog: string;
  /** Kills QEMU and frees the TCG lock. */
  stop(): Promise<void>;
}

export async function bootToHello(image: ResolvedVmImage, dir: string, opts: { project?: string; ports?: QemuPort[]; machine?: 'microvm' | 'pc'; timeoutMs?: number } = {}): Promise<Booted> {
  const overlay = join(dir, 'root.qcow2');
  await createOverlay(createExecaRunner(), image.rootDisk, overlay);
  const argv = qemuArgv({
    kernel: image.kernel,
    initrd: image.initrd,
    rootDisk: overlay,
    agentSocket: join(dir, 'agent.sock'),
    consoleLog: join(dir, 'console.log'),
    pidFile: join(dir, 'qemu.pid'),
    qmpSocket: join(dir, 'qmp.sock'),
    memoryMiB: 256,
    cpus: 1,
    accel: 'tcg',
    machine: opts.machine ?? 'microvm',
    ...(opts.project ? { project: { hostDir: opts.project } } : {}),
    network: 'none',
    ports: opts.ports ?? [],
    tscKhz: hostTscKhz(),
    marker: `benchtop-test-${process.pid}`,
    hostname: 'vmtest',
  });
  const release = await acquireTcgLock();
  const started = performance.now();
  const qemu = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  qemu.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => qemu.on('exit', () => resolve()));
  let socket: Socket | undefined;
  const stop = async () => {
    socket?.destroy();
    qemu.kill('SIGKILL');
    await exited;
    await release();
  };
  try {
    const hello = await new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no HELLO within ${opts.timeoutMs ?? 120_000} ms; console:\n${safeRead(join(dir, 'console.log'))}`)), opts.timeoutMs ?? 120_000);
      void exited.then(() => reject(new Error(`QEMU exited before the HELLO: ${stderr.trim()}\nconsole:\n${safeRead(join(dir, 'console.log'))}`)));
      const attempt = () => {
        const s = connect(join(dir, 'agent.sock'));
        const decoder = new FrameDecoder(GUEST_TYPES);
        s.on('error', () => setTimeout(attempt, 25));
        s.on('data', (chunk) => {
          for (const f of decoder.push(chunk)) {
            if (f.type !== T.G_HELLO) continue;
            clearTimeout(timer);
            resolve(Object.fromEntries(decodeKv(f.payload)));
          }
        });
        socket = s;
      };
      attempt();
    });
    return { hello, helloMs: Math.round(performance.now() - started), argv, consoleLog: join(dir, 'console.log'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-4000);
  } catch {
    return '(none)';
  }
}
