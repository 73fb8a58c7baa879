/**
 * The PTY service's one way in: a terminal source (a host argv, or later a
 * byte stream to a guest agent) becomes a process with a terminal.
 */
import type { IPty } from 'node-pty';
import type { TerminalSource } from '../drivers/types';
import { withFd3Launcher } from '../host/fd3';

export interface PtyProcess {
  /** The PTY child's host pid (where its foreground program is looked up). */
  readonly pid: number;
  onData(handler: (data: string) => void): void;
  onExit(handler: (exitCode: number) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(): void;
}

export async function startPty(source: TerminalSource, cols: number, rows: number): Promise<PtyProcess> {
  // Loaded on first use: the CLI never opens a terminal and should not pay for the native addon.
  const { spawn: spawnPty } = await import('node-pty');
  if (source.kind === 'stream') throw new Error('stream terminal sources arrive with the microVM backends');
  // A PTY child has no fd 3: a small launcher opens it and hands the payload over.
  const launched = source.fd3 !== undefined ? withFd3Launcher(source.argv, source.env, source.fd3) : { argv: source.argv, env: source.env };
  const [file, ...args] = [...(source.prefix ?? []), ...launched.argv];
  const env = launched.env;
  const pty: IPty = spawnPty(file as string, args, { name: 'xterm-256color', cols, rows, cwd: source.cwd ?? process.cwd(), env, encoding: 'utf8' });
  return {
    pid: pty.pid,
    onData: (h) => void pty.onData(h),
    onExit: (h) => void pty.onExit((e) => h(e.signal ? 128 + e.signal : e.exitCode)),
    write: (d) => pty.write(d),
    resize: (c, r) => pty.resize(c, r),
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    kill: () => {
      try {
        pty.kill('SIGHUP');
      } catch {
        // already gone
      }
    },
  };
}
