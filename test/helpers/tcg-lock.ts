/**
 * One TCG guest at a time on a machine (two cores shared with CI and other
 * checkouts): a test that boots QEMU holds /tmp/benchtop-tcg.lock, the lock
 * every manual boot takes with `flock`, for as long as its guest runs.
 * Held by a `flock` child whose stdin is ours: if this process dies, the
 * pipe closes, the child exits and the lock is free again.
 */
import { spawn } from 'node:child_process';

export const TCG_LOCK = '/tmp/benchtop-tcg.lock';

/** Waits for the lock; resolves to its release. */
export async function acquireTcgLock(timeoutMs = 600_000): Promise<() => Promise<void>> {
  const child = spawn('flock', ['-w', String(Math.ceil(timeoutMs / 1000)), TCG_LOCK, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('locked')) resolve();
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`could not take ${TCG_LOCK} (flock exited ${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return async () => {
    child.stdin.end();
    await exited;
  };
}
