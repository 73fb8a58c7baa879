/** A host argv under a PTY, as a sandbox process (terminals, `benchtop shell`). */
import { constants } from 'node:os';
import type { IPty } from 'node-pty';
import { withFd3Launcher } from '../host/fd3';
import type { HostLaunch } from './host-launch';
import type { ProcessExit, ProcessSink, SandboxProcess } from './types';

/**
 * `srun --pty` waits in accept() for the job step's pty connection, and a
 * SIGWINCH arriving meanwhile makes it print "srun: error: pty: accept
 * failure: Interrupted system call" and stop forwarding window sizes for good.
 * So such a terminal is not resized until the step has shown output (then its
 * pty connection is up), plus this margin; the last size asked for is applied then.
 */
export const SRUN_PTY_SETTLE_MS = 150;

export async function spawnPty(
  launch: HostLaunch,
  size: { cols: number; rows: number },
  sink: ProcessSink,
  how: { killTree(): Promise<string | undefined>; hostVisible: boolean; holdResizeUntilOutput: boolean },
): Promise<SandboxProcess> {
  // Loaded on first use: the CLI's other commands should not pay for the native addon.
  const { spawn } = await import('node-pty');
  // A PTY child has no fd 3: a small launcher opens it and hands the payload over.
  const base = { argv: launch.argv, env: launch.extendEnv === false ? launch.env : { ...inherited(), ...launch.env } };
  const started = launch.fd3 !== undefined ? withFd3Launcher(base.argv, base.env, launch.fd3) : base;
  const [file, ...args] = started.argv;
  if (!file) throw new Error('pty: empty argv');
  // Bytes, not text: the caller decodes (a character split between reads stays whole).
  const pty: IPty = spawn(file, args, { name: 'xterm-256color', cols: size.cols, rows: size.rows, cwd: launch.cwd ?? process.cwd(), env: started.env, encoding: null });

  let held: { cols: number; rows: number } | null | undefined = how.holdResizeUntilOutput ? null : undefined;
  let releaseTimer: NodeJS.Timeout | undefined;
  let ended = false;
  const release = () => {
    const want = held;
    held = undefined;
    if (want && !ended) pty.resize(want.cols, want.rows);
  };
  pty.onData((data: string | Buffer) => {
    if (held !== undefined && !releaseTimer) releaseTimer = setTimeout(release, SRUN_PTY_SETTLE_MS);
    sink('stdout', typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  });
  const exited = new Promise<ProcessExit>((resolve) => {
    pty.onExit((e) => {
      ended = true;
      if (releaseTimer) clearTimeout(releaseTimer);
      resolve(e.signal ? { code: null, signal: signalName(e.signal) } : { code: e.exitCode, signal: null });
    });
  });
  return {
    pid: pty.pid,
    hostVisible: how.hostVisible,
    ...(launch.failurePrefix ? { failurePrefix: launch.failurePrefix } : {}),
    write: async (data) => void pty.write(typeof data === 'string' ? data : data.toString('utf8')),
    // A terminal's end of input is the ^D its user types.
    end: () => undefined,
    resize: (cols, rows) => {
      if (ended) return;
      if (held !== undefined) held = { cols, rows };
      else pty.resize(cols, rows);
    },
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    kill: () => {
      try {
        pty.kill('SIGHUP');
      } catch {
        // Already gone.
      }
    },
    killTree: how.killTree,
    exited,
  };
}

function inherited(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `SIG${n}`;
}
