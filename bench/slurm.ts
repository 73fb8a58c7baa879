/**
 * P5: SLURM placement on the local single-node cluster. (a) Node idle →
 * workspace running: `benchtop create --slurm` (bwrap) until it reports
 * running, vs a raw `sbatch` of a script that prints a ready line, polled the
 * same way. (b) Terminal attach: Benchtop's terminal (srun --pty --overlap
 * into the allocation) until its first output, vs the raw srun --pty doing
 * the same. Medians; no thresholds.
 *
 *   npx tsx bench/slurm.ts        (needs test/fixtures/setup-slurm.sh to have run)
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { spawn as spawnPty } from 'node-pty';
import { TerminalService } from '../src-main/core/terminals/service';
import { WorkspaceService } from '../src-main/core/workspaces/service';
import { fmtMs, summarize } from './stats';

const RUNS = Number(process.env.BENCH_RUNS) > 0 ? Math.min(Number(process.env.BENCH_RUNS), 10) : 5;
const CLI = resolve(import.meta.dirname, '..', 'bin/benchtop.js');

async function nodeIdle(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await execa('squeue', ['--noheader', '--me'], { reject: false });
    if (r.stdout.trim() === '') return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function rawReady(dir: string): Promise<{ ms: number; jobId: string }> {
  const out = join(dir, `raw-${Date.now()}.out`);
  const t0 = performance.now();
  const r = await execa('sbatch', ['--parsable', `--output=${out}`, `--chdir=${dir}`, '--time=00:05:00', '--wrap', 'echo INSTANCE_READY; exec sleep 600']);
  const jobId = r.stdout.trim().split(';')[0] as string;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      // not yet
    }
    if (text.includes('INSTANCE_READY')) return { ms: performance.now() - t0, jobId };
    await new Promise((res) => setTimeout(res, 300)); // the same cadence Benchtop polls with
  }
}

function ptyFirstOutput(argv: string[], env: Record<string, string>, until: RegExp): Promise<number> {
  return new Promise((resolveMs) => {
    const t0 = performance.now();
    const [file, ...args] = argv;
    const pty = spawnPty(file as string, args, { cols: 80, rows: 24, env, encoding: 'utf8' });
    let seen = '';
    pty.onData((d) => {
      seen += d;
      if (until.test(seen)) {
        resolveMs(performance.now() - t0);
        pty.kill();
      }
    });
  });
}

export async function benchSlurm(): Promise<Record<string, unknown>> {
  const home = mkdtempSync(join(os.tmpdir(), 'benchtop-p5-'));
  const rawDir = mkdtempSync(join(os.tmpdir(), 'benchtop-p5-raw-'));
  const env = { ...process.env, BENCHTOP_HOME: home } as Record<string, string>;
  const ready = { benchtop: [] as number[], raw: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    await nodeIdle();
    const t0 = performance.now();
    await execa(process.execPath, [CLI, 'create', `p5-${i}`, '--backend', 'bwrap', '--slurm', '--time', '00:05:00'], { env });
    ready.benchtop.push(performance.now() - t0);
    await execa(process.execPath, [CLI, 'rm', `p5-${i}`], { env });
    await nodeIdle();
    const raw = await rawReady(rawDir);
    ready.raw.push(raw.ms);
    await execa('scancel', [raw.jobId]);
  }

  // Terminal attach into a running allocation.
  await nodeIdle();
  const service = new WorkspaceService({ home });
  const terminals = new TerminalService(service);
  const ws = await service.create({ name: 'p5-attach', backend: 'bwrap', slurm: { time: '00:05:00' } }, 'bench');
  const jobId = ws.slurm?.jobId as string;
  const attach = { benchtop: [] as number[], raw: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const first = new Promise<number>((res) => {
      const off = terminals.on({ data: () => (off(), res(performance.now() - t0)) });
    });
    const t = await terminals.open('p5-attach', { cols: 80, rows: 24, client: 'bench' });
    attach.benchtop.push(await first);
    await terminals.close(t.id);
    attach.raw.push(await ptyFirstOutput(['srun', `--jobid=${jobId}`, '--overlap', '--pty', '--quiet', 'sh', '-c', 'echo attached; sleep 1'], { ...process.env } as Record<string, string>, /attached/));
  }
  await service.remove('p5-attach', 'bench');

  const line = (name: string, b: number[], r: number[]) => {
    const mb = summarize(b).median;
    const mr = summarize(r).median;
    console.log(`${name.padEnd(40)} benchtop ${fmtMs(mb).padStart(9)}   raw ${fmtMs(mr).padStart(9)}   ratio ${(mb / mr).toFixed(2)}x`);
    return { benchtopMs: mb, rawMs: mr, samples: { benchtop: b, raw: r } };
  };
  console.log(`\nP5 SLURM (single-node cluster on this machine, ${RUNS} runs, bwrap)`);
  return {
    nodeIdleToRunning: line('P5 node idle → workspace running', ready.benchtop, ready.raw),
    terminalAttach: line('P5 terminal attach (srun --pty --overlap)', attach.benchtop, attach.raw),
  };
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) {
  const result = await benchSlurm();
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'slurm.json'), JSON.stringify({ finishedAt: new Date().toISOString(), ...result }, null, 2));
  process.exit(0);
}
