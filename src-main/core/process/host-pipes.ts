/** A host argv with pipes for stdin, stdout and stderr, as a sandbox process (exec, copies). */
import type { Runner } from '../runner/runner';
import type { HostLaunch } from './host-launch';
import type { ProcessSink, SandboxProcess } from './types';

export function spawnPipes(
  runner: Runner,
  launch: HostLaunch,
  stdin: boolean,
  sink: ProcessSink,
  how: { killTree(): Promise<string | undefined>; hostVisible: boolean },
): SandboxProcess {
  const started = runner.start(launch.argv, {
    env: launch.env,
    ...(launch.extendEnv !== undefined ? { extendEnv: launch.extendEnv } : {}),
    ...(launch.cwd ? { cwd: launch.cwd } : {}),
    ...(launch.fd3 ? { fd3: launch.fd3 } : {}),
    ...(launch.killProcessGroup ? { killProcessGroup: true } : {}),
    stdin,
    onStdout: (c) => sink('stdout', c),
    onStderr: (c) => sink('stderr', c),
  });
  const input = started.stdin;
  return {
    pid: started.pid,
    hostVisible: how.hostVisible,
    ...(launch.failurePrefix ? { failurePrefix: launch.failurePrefix } : {}),
    write: (data) => (input ? new Promise<void>((ok) => void input.write(data, () => ok())) : Promise.resolve()),
    end: () => void input?.end(),
    // A pipe has no window size.
    resize: () => undefined,
    pause: () => started.pause(),
    resume: () => started.resume(),
    kill: () => started.kill(),
    killTree: how.killTree,
    exited: started.exited,
  };
}
