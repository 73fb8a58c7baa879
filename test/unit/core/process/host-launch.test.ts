/**
 * The process protocol over a host program, on real processes: pipes keep
 * stdout and stderr apart and take stdin; a terminal has a size that can
 * change; pausing stops the output until resumed; killTree ends what the
 * process left behind; and a terminal carried by `srun --pty` holds its
 * resizes until the carrier has shown output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../../../src-preload/contract';
import { hostProcesses, type HostLaunch } from '../../../../src-main/core/process/host-launch';
import type { OutputStream, SandboxProcess, SpawnRequest } from '../../../../src-main/core/process/types';
import { createExecaRunner } from '../../../../src-main/core/runner/runner';

const MARK = 'BENCHTOP_PROCESS_TEST';
const ws = { id: 'w1' } as Workspace;

/** A "sandbox" that is the host itself: the argv runs as given, marked for killTree. */
const processes = hostProcesses(createExecaRunner(), {
  launch: (_ws, req): HostLaunch => ({ argv: [...(req.tty ? (req.via?.tty ?? []) : (req.via?.pipes ?? [])), ...(req.argv ?? ['sh'])], env: { [MARK]: req.id } }),
  killSpec: (_ws, id) => ({ kind: 'env', marker: `${MARK}=${id}` }),
});

let n = 0;
function request(argv: string[], extra: Partial<SpawnRequest> = {}): SpawnRequest {
  return { argv, cwd: '/', env: {}, secretEnv: {}, id: `t${process.pid}-${++n}`, stdin: false, ...extra };
}

async function spawn(req: SpawnRequest): Promise<{ proc: SandboxProcess; out: () => string; err: () => string; chunks: () => number }> {
  const got: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  const proc = await processes.spawn(ws, req, (stream, chunk) => got[stream].push(chunk));
  return {
    proc,
    out: () => Buffer.concat(got.stdout).toString('utf8'),
    err: () => Buffer.concat(got.stderr).toString('utf8'),
    chunks: () => got.stdout.length,
  };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Pids of live host processes whose environment holds KEY=VALUE. */
function marked(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(marker)) out.push(Number(d));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

describe('host processes through pipes', () => {
  it('keeps stdout and stderr apart and reports the exit code', async () => {
    const p = await spawn(request(['sh', '-c', 'echo out; echo err >&2; exit 3']));
    expect(await p.proc.exited).toEqual({ code: 3, signal: null });
    expect([p.out(), p.err()]).toEqual(['out\n', 'err\n']);
  });

  it('takes stdin when asked, and ends it', async () => {
    const p = await spawn(request(['cat'], { stdin: true }));
    await p.proc.write('hello ');
    await p.proc.write(Buffer.from('there'));
    p.proc.end();
    expect((await p.proc.exited).code).toBe(0);
    expect(p.out()).toBe('hello there');
  });

  it('pausing stops the output until resumed', async () => {
    const p = await spawn(request(['sh', '-c', 'while :; do echo line; done']));
    await until(() => p.chunks() > 0);
    p.proc.pause();
    await new Promise((r) => setTimeout(r, 50));
    const atPause = p.chunks();
    await new Promise((r) => setTimeout(r, 300));
    expect(p.chunks()).toBe(atPause);
    p.proc.resume();
    await until(() => p.chunks() > atPause);
    p.proc.kill();
    await p.proc.exited;
  });

  it('killTree ends what the process left running', async () => {
    // Its output goes elsewhere: a background child holding the pipe would keep the process from ending.
    const req = request(['sh', '-c', 'sleep 713 >/dev/null 2>&1 & echo started']);
    const p = await spawn(req);
    await p.proc.exited;
    expect(p.out()).toBe('started\n');
    expect(marked(`${MARK}=${req.id}`).length).toBe(1);
    expect(await p.proc.killTree()).toBeUndefined();
    await until(() => marked(`${MARK}=${req.id}`).length === 0);
  });
});

describe('host processes under a terminal', () => {
  it('has the size asked for, takes input and follows a resize', async () => {
    const p = await spawn(request(['sh', '-c', 'stty size; read x; stty size; echo "got $x"'], { tty: { cols: 100, rows: 30 } }));
    await until(() => p.out().includes('30 100'));
    p.proc.resize(90, 20);
    await p.proc.write('hi\r');
    expect((await p.proc.exited).code).toBe(0);
    expect(p.out()).toMatch(/20 90\r?\n[^]*got hi/);
  });

  it('a hang-up ends it as a signal', async () => {
    const p = await spawn(request(['sh', '-c', 'echo up; sleep 719'], { tty: { cols: 80, rows: 24 } }));
    await until(() => p.out().includes('up'));
    p.proc.kill();
    expect(await p.proc.exited).toEqual({ code: null, signal: 'SIGHUP' });
  });

  it('carried by srun --pty, holds resizes until the carrier has shown output', async () => {
    // The carrier stands in for `srun --pty`: it starts the program after a pause, as srun does once its step is up.
    const carrier = ['sh', '-c', 'shift; sleep 0.4; exec "$@"', 'carrier', '--pty'];
    const script = 'stty size; sleep 0.6; stty size';
    const p = await spawn(request(['sh', '-c', script], { tty: { cols: 80, rows: 24 }, via: { pipes: [], tty: carrier } }));
    // Asked for while srun would still be connecting its pty: applied only after the first output.
    p.proc.resize(120, 40);
    await p.proc.exited;
    expect(p.out().replace(/\r/g, '')).toBe('24 80\n40 120\n');
  });
});
