/**
 * Starting and ending forwarders (forwarder.ts) from the process that owns
 * the workspaces. Nothing here knows a backend: the relay comes from the driver.
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BenchtopError } from '../../../src-preload/contract';
import type { PortRelay } from '../drivers/types';
import { packageRoot } from '../host/package-root';
import { paths } from '../store/layout';
import { processStartTime } from '../watchdog/proc';
import { daemonEnv } from '../watchdog/ensure';
import { forwardedPorts, liveForwarder, stateFileOf, type ForwarderSpec } from './state';
import { firstLine } from '../host/first-line';

const READY_TIMEOUT_MS = 15000;
const STOP_WAIT_MS = 3000;

export function forwarderScript(): string {
  return join(packageRoot(), 'dist', 'forwarder.js');
}

/**
 * Starts the forwarder of `port` on 127.0.0.1:hostPort (0: a free one) and
 * returns the host port it listens on. A host port that cannot be had is
 * CONFLICT (in use) or INVALID_INPUT (privileged), in one line.
 */
export async function startForwarder(workspaceDir: string, port: number, hostPort: number, relay: PortRelay): Promise<number> {
  const script = forwarderScript();
  if (!existsSync(script)) throw new BenchtopError('INTERNAL', `ports: ${script} is not built (npm run build)`);
  const release = claim(workspaceDir, port);
  try {
    // Started by another process between its look and our claim: that one stands.
    const live = liveForwarder(workspaceDir, port);
    if (live) return live.hostPort;
    return await spawnForwarder(script, workspaceDir, port, hostPort, relay);
  } finally {
    release();
  }
}

/** Thrown when another process (or call) is starting this port's forwarder right now. */
export class ForwarderStarting extends BenchtopError {
  constructor(port: number) {
    super('CONFLICT', `ports: port ${port} is being published right now`, { field: 'port' });
  }
}

/**
 * One start at a time per port, across processes (the app's reconciliation
 * and a CLI `start` may both find it unpublished): the first to create
 * `<port>.starting` starts it; a claim older than the start's timeout was left
 * by a process that died, and is taken over.
 */
function claim(workspaceDir: string, port: number): () => void {
  mkdirSync(paths.portsDir(workspaceDir), { recursive: true });
  const file = join(paths.portsDir(workspaceDir), `${port}.starting`);
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(file, 'wx'));
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw new ForwarderStarting(port);
      let age = 0;
      try {
        age = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue; // Released meanwhile: try again.
      }
      if (age < READY_TIMEOUT_MS + 5000) throw new ForwarderStarting(port);
      rmSync(file, { force: true });
    }
  }
}

async function spawnForwarder(script: string, workspaceDir: string, port: number, hostPort: number, relay: PortRelay): Promise<number> {
  const watchStart = relay.watchPid !== undefined ? processStartTime(relay.watchPid) : null;
  const spec: ForwarderSpec = {
    stateFile: stateFileOf(workspaceDir, port),
    hostPort,
    port,
    relay: relay.argv,
    ...(relay.watchPid !== undefined && watchStart !== null ? { watchPid: relay.watchPid, watchStart } : {}),
  };
  mkdirSync(paths.portsDir(workspaceDir), { recursive: true });
  // Relays' complaints (a refused connection inside) go to a log beside the state files,
  // appended to by every forwarder of the workspace. Its descriptor is handed to the
  // child itself: execa's `{file}` would pipe through this process, and the log
  // would go dark the moment the CLI that started the forwarder exits.
  const logFd = openSync(join(paths.portsDir(workspaceDir), 'forwarder.log'), 'a');
  try {
    // Detached and unreferenced once listening: it outlives this process (see forwarder.ts).
    const child = execa(process.execPath, [script, JSON.stringify(spec)], {
      detached: true,
      stdin: 'ignore',
      stdout: 'pipe',
      // A descriptor is passed to spawn as is (execa's types list only 3-9).
      stderr: logFd as 3,
      env: daemonEnv(),
      extendEnv: false,
      cwd: '/',
      cleanup: false,
      reject: false,
      buffer: false,
    });
    const line = await firstLine(child.stdout!, READY_TIMEOUT_MS);
    child.stdout?.destroy();
    child.unref();
    const said = parseLine(line);
    if ('hostPort' in said) return said.hostPort;
    child.kill('SIGKILL');
    throw portError(hostPort, said.code, said.error);
  } finally {
    closeSync(logFd);
  }
}

function parseLine(line: string | null): { hostPort: number } | { error: string; code: string | null } {
  if (line === null) return { error: 'the forwarder did not start', code: null };
  try {
    return JSON.parse(line) as { hostPort: number } | { error: string; code: string | null };
  } catch {
    return { error: `the forwarder said: ${line.slice(0, 200)}`, code: null };
  }
}

function portError(hostPort: number, code: string | null, message: string): BenchtopError {
  if (code === 'EADDRINUSE') return new BenchtopError('CONFLICT', `ports: host port ${hostPort} is in use on 127.0.0.1`, { field: 'hostPort' });
  if (code === 'EACCES') return new BenchtopError('INVALID_INPUT', `ports: host port ${hostPort} needs privileges here (pick one above 1023)`, { field: 'hostPort' });
  return new BenchtopError('BACKEND_FAILED', `ports: could not listen on 127.0.0.1:${hostPort || 'any'}: ${message}`);
}


/** Ends the forwarder of `port` (if any) and waits until its host port is free. */
export async function stopForwarder(workspaceDir: string, port: number): Promise<void> {
  const live = liveForwarder(workspaceDir, port);
  rmSync(stateFileOf(workspaceDir, port), { force: true });
  if (!live) return;
  signal(live.pid, 'SIGTERM');
  const until = Date.now() + STOP_WAIT_MS;
  while (processStartTime(live.pid) === live.start && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  if (processStartTime(live.pid) === live.start) signal(live.pid, 'SIGKILL');
}

/** Ends every forwarder of a workspace (stop, delete, a sandbox that died). */
export async function stopAllForwarders(workspaceDir: string): Promise<void> {
  await Promise.all(forwardedPorts(workspaceDir).map((p) => stopForwarder(workspaceDir, p)));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone meanwhile.
  }
}
