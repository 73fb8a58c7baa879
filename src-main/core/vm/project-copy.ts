/**
 * A VM without a live share of the project (Firecracker has no 9p; a QEMU
 * built without it, or BENCHTOP_QEMU_PROJECT=copy): the project is copied into the guest's
 * /workspace through the guest agent, as one tar stream packed on the host
 * and unpacked by `tar` in the guest (the same tools `benchtop cp` uses).
 * It happens once, at the first start: /workspace lives on the workspace's
 * own root disk, so later starts find the guest's copy as it was left.
 * Copying back is `benchtop cp` for now.
 */
import { execa } from 'execa';
import type { AgentConnection } from '../agent/client';

/** The guest side: make the folder ($1, /workspace) and unpack the stream into it, keeping the archive's modes. */
export function unpackArgv(dest = '/workspace'): string[] {
  return ['/bin/sh', '-c', 'mkdir -p "$1" && umask 0 && exec tar -x -o -f - -C "$1"', 'benchtop-project', dest];
}

/** The host side: the project folder's contents (not the folder itself) as a tar stream on stdout. */
export function packArgv(projectDir: string): string[] {
  return ['tar', '-c', '-f', '-', '-C', projectDir, '.'];
}

const TAIL = 2000;

/** Copies `projectDir` into the guest's /workspace (`dest`); resolves with the bytes sent, rejects with one line saying what failed. */
export async function copyProjectIn(agent: AgentConnection, projectDir: string, dest = '/workspace'): Promise<number> {
  let guestErr = '';
  const guest = await agent.spawn({ argv: unpackArgv(dest), cwd: '/', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } }, (stream, chunk) => {
    if (stream === 'stderr') guestErr = (guestErr + chunk.toString('utf8')).slice(-TAIL);
  });
  const [bin, ...args] = packArgv(projectDir);
  const host = execa(bin as string, args, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false, stderr: true }, encoding: 'buffer' });
  let bytes = 0;
  for await (const chunk of host.stdout as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    // Awaited: the agent's credit holds the host back while tar in the guest is behind.
    await guest.write(chunk);
  }
  guest.end();
  const [packed, unpacked] = await Promise.all([host, guest.exited]);
  if (packed.exitCode !== 0) throw new Error(`packing the project failed: ${Buffer.from(packed.stderr as Uint8Array).toString('utf8').trim().split('\n').pop() || `tar exited with ${packed.exitCode}`}`);
  if (unpacked.spawnError) throw new Error(`unpacking the project in the guest failed: ${unpacked.spawnError}`);
  if (unpacked.code !== 0) throw new Error(`unpacking the project in the guest failed: ${guestErr.trim().split('\n').pop() || `tar exited with ${unpacked.code ?? unpacked.signal}`}`);
  return bytes;
}
