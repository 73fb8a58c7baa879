/**
 * A VM's supervisor: one detached process per running VM workspace. It starts
 * QEMU, holds the one stream to the guest agent (QEMU's virtio-serial socket
 * takes a single client), and serves it to any number of host clients on the
 * workspace's agent socket (agent/mux.ts). It prints one JSON line when the
 * guest's agent has said hello (or why it did not), lives as long as QEMU,
 * and leaves `exit.json` saying why the VM ended, so the workspace shows the
 * reason after QEMU is killed from outside.
 *
 *   node dist/vm-supervisor.js VM_FOLDER     (reads VM_FOLDER/launch.json)
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { AgentMux } from '../agent/mux';
import { vsockHandshake } from '../drivers/firecracker/vsock';
import { decodeKv, kvGet } from '../agent/frames';
import { T } from '../agent/frames';
import { HEARTBEAT_MS, TTL_REASON, vmFiles, type VmHeartbeat, type VmLaunch, type VmExit } from './files';

function say(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function writeJson(path: string, value: object): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value)}\n`);
  renameSync(`${path}.tmp`, path);
}

function lastLine(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return (lines[lines.length - 1] ?? '').trim();
  } catch {
    return '';
  }
}

/** With `vsockPort`, each try also asks Firecracker for the guest's port: refused until the agent listens. */
async function connectWhenListening(path: string, deadline: number, alive: () => boolean, vmm: string, vsockPort?: number): Promise<Socket> {
  for (;;) {
    if (existsSync(path)) {
      let sock = await new Promise<Socket | null>((ok) => {
        const s = connect(path);
        s.once('connect', () => ok(s));
        s.once('error', () => ok(null));
      });
      if (sock && vsockPort !== undefined) sock = await vsockHandshake(sock, vsockPort).catch(() => null);
      if (sock) return sock;
    }
    if (!alive() || Date.now() > deadline) throw new Error(vsockPort === undefined ? `${vmm} never opened the agent socket` : `the guest agent never answered on vsock port ${vsockPort}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(dir: string): Promise<void> {
  // The starter reads one line and lets go of the pipe: a later write must not end the VM's supervisor.
  process.stdout.on('error', () => undefined);
  const files = vmFiles(dir);
  const launch = JSON.parse(readFileSync(files.launch, 'utf8')) as VmLaunch;
  const guestSocket = launch.guestSocket ?? files.guestSocket;
  for (const f of [files.ready, files.exit, files.agentSocket, guestSocket]) rmSync(f, { force: true });
  writeFileSync(files.supervisorPid, `${process.pid}\n`);
  const t0 = Date.now();
  const vmm = launch.vmm ?? 'QEMU';
  // QEMU's own complaints go to its log; the guest's console is a file of its own (-serial file:), or the VMM's stdout.
  const stdout = launch.consoleOnStdout ? { file: files.console } : 'ignore';
  const qemu = execa(launch.argv[0] as string, launch.argv.slice(1), { stdin: 'ignore', stdout, stderr: { file: files.qemuLog }, reject: false, buffer: false });
  let qemuAlive = true;
  let ready = false;
  let stopping = false;
  let reported: string | null = null;
  const fail = (why: string): void => {
    reported ??= why;
    if (!ready) say({ error: why });
  };

  const server = createServer();
  qemu.on('exit', (code, signal) => {
    qemuAlive = false;
    const why = stopping
      ? 'stopped'
      : (reported ??
        (signal
          ? `${vmm} was killed (${signal})`
          : code === 0
            ? 'the guest powered off'
            : `${vmm} exited with code ${code}${lastLine(files.qemuLog) ? `: ${lastLine(files.qemuLog)}` : ''}`));
    const exit: VmExit = { reason: why, code: code ?? null, signal: signal ?? null, at: new Date().toISOString() };
    writeJson(files.exit, exit);
    if (!ready) say({ error: why });
    server.close();
    rmSync(files.agentSocket, { force: true });
    rmSync(files.ready, { force: true });
    process.exit(0);
  });
  qemu.on('error', (e) => {
    fail(`could not start ${vmm}: ${e.message}`);
    process.exit(1);
  });
  process.on('SIGTERM', () => {
    stopping = true;
    qemu.kill('SIGTERM');
  });

  const deadline = t0 + launch.bootTimeoutMs;
  let guest: Socket;
  try {
    guest = await connectWhenListening(guestSocket, deadline, () => qemuAlive, vmm, launch.vsockPort);
  } catch (e) {
    fail((e as Error).message);
    qemu.kill('SIGKILL');
    return;
  }
  const bootTimer = setTimeout(() => {
    fail(`the guest did not start its agent within ${Math.round(launch.bootTimeoutMs / 1000)} s (console: ${lastLine(files.console) || 'empty'})`);
    qemu.kill('SIGKILL');
  }, Math.max(0, deadline - Date.now()));
  const mux = new AgentMux(guest, guest, {
    onReady(hello) {
      clearTimeout(bootTimer);
      const kv = decodeKv(hello.payload);
      server.listen(files.agentSocket, () => {
        ready = true;
        const info = { kernel: kvGet(kv, 'kernel') ?? '', agent: kvGet(kv, 'agent') ?? '', bootMs: Date.now() - t0, qemuPid: qemu.pid };
        writeJson(files.ready, info);
        say({ ready: true, ...info });
        // A heartbeat: the answer's time is what tells a guest that hangs (a stuck kernel) from a busy one.
        setInterval(() => mux.sendToGuest(T.PING, Buffer.from(String(Date.now()))), HEARTBEAT_MS).unref();
        if (launch.ttlSec) {
          setTimeout(() => {
            reported = TTL_REASON;
            mux.sendToGuest(T.SHUTDOWN);
            setTimeout(() => qemu.kill('SIGKILL'), 15_000).unref();
          }, Math.max(0, t0 + launch.ttlSec * 1000 - Date.now()));
        }
      });
    },
    onPong(payload) {
      const sent = Number(payload.toString());
      if (!Number.isFinite(sent)) return;
      const beat: VmHeartbeat = { answeredAt: new Date().toISOString(), rttMs: Date.now() - sent };
      writeJson(files.heartbeat, beat);
    },
    onGuestLost(why) {
      // QEMU's exit says the rest; a guest that lost its agent but kept running is of no use.
      if (stopping) return;
      // Usually QEMU itself is ending (killed, powered off): its exit, a moment later, says why.
      setTimeout(() => {
        if (!qemuAlive) return;
        reported ??= `the guest agent went away: ${why}`;
        qemu.kill('SIGKILL');
      }, 2000).unref();
    },
  });
  // A vsock connection comes paused after its handshake (drivers/firecracker/vsock.ts); a no-op for QEMU's.
  guest.resume();
  server.on('connection', (s) => mux.addClient(s));
}

const dir = process.argv[2];
if (!dir || !existsSync(join(dir, 'launch.json'))) {
  say({ error: 'usage: vm-supervisor VM_FOLDER (with launch.json)' });
  process.exit(2);
}
main(dir).catch((e: unknown) => {
  say({ error: (e as Error).message });
  process.exit(1);
});
