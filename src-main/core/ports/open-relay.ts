/**
 * Starts the relay for one connection: the one place the forwarder starts a
 * process that reaches into a sandbox, so moving it onto the drivers' process
 * protocol later changes only this function. Its stdin and stdout are the
 * connection's bytes, untouched (streams, so a slow reader holds back a fast
 * writer); a shell never sees them (argv only).
 */
import { execa } from 'execa';

export interface Relay {
  stdin: NodeJS.WritableStream & { on(event: 'error', cb: () => void): unknown };
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  kill(): void;
  /** Once it has exited and its output is read. */
  onClose(cb: () => void): void;
}

export function openRelay(argv: string[]): Relay {
  const [file, ...args] = argv;
  if (!file) throw new Error('relay: empty argv');
  const child = execa(file, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false, encoding: 'buffer' });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    kill: () => void child.kill('SIGKILL'),
    onClose: (cb) => void child.then(cb, cb),
  };
}
