/**
 * Benchtop vs the raw tool, same work, same run, interleaved (A, B, A, B…) so
 * both share the machine's noise. Prints medians (min/max) and the ratio
 * benchtop/raw; writes bench/results/latest.json. No thresholds: this
 * machine is shared and noisy, medians are for comparing, not for gating.
 *
 *   npm run bench                 (builds dist/cli.js first)
 *   BENCH_RUNS=5 npm run bench    (N for every benchmark; default 10 for P1, 20 for P2; bench/vm.ts: 3, 20, 3)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { readHostInfo } from '../src-main/core/host/hostinfo';
import {
  buildBwrapArgv,
  groupFile,
  HOST_ETC_FILES,
  HOST_SYSTEM_DIRS,
  passwdFile,
  SANDBOX_PROJECT,
  systemEntriesFrom,
} from '../src-main/core/drivers/bwrap/argv';
import { buildExecArgv, buildRemoveArgv, buildRunArgv, CONTAINER_PROJECT_DIR, ulimitsFor, type PodmanRuntime } from '../src-main/core/drivers/podman/argv';
import { which } from '../src-main/core/drivers/which';
import { lstatKind } from '../src-main/core/drivers/bwrap/driver';
import { WorkspaceService } from '../src-main/core/workspaces/service';
import { journalBench } from './journal';
import { vmSkipReason } from './vm';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';

/** P3, P5 and V run in a process of their own (a browser, PTYs, SLURM jobs, VMs): a hang there cannot take the run with it. */
async function standalone(name: 'terminal' | 'slurm' | 'vm'): Promise<Record<string, unknown>> {
  await execa(process.execPath, ['--import', 'tsx', join(REPO, 'bench', `${name}.ts`)], { stdio: 'inherit', timeout: 600_000, env: { ...process.env } });
  return JSON.parse(readFileSync(join(RESULTS, `${name}.json`), 'utf8')) as Record<string, unknown>;
}
import { quiet, run } from './proc';
import { fmtMs, type Summary, variantResults } from './stats';

const REPO = resolve(import.meta.dirname, '..');
const CLI = resolve(REPO, 'bin/benchtop.js');
const IMAGE = 'localhost/benchtop-test:latest';
const RESULTS = resolve(import.meta.dirname, 'results');

const envRuns = Number(process.env.BENCH_RUNS);
const RUNS_OVERRIDE = Number.isInteger(envRuns) && envRuns > 0 ? envRuns : undefined;
const RUNS = { P1: RUNS_OVERRIDE ?? 10, P2: RUNS_OVERRIDE ?? 20 };

/** One way of doing the work: `once` returns the timed milliseconds; `after` cleans up, untimed. */
interface Variant {
  name: string;
  raw?: boolean;
  once(i: number): Promise<number>;
  after?(i: number): Promise<void>;
  /** The exact argv (raw variants), recorded in the JSON. */
  argv?: string[];
}

interface Bench {
  id: 'P1' | 'P2';
  title: string;
  backend: string;
  runs: number;
  setup?(): Promise<void>;
  variants(): Variant[];
  teardown?(): Promise<void>;
}

interface VariantResult extends Summary {
  variant: string;
  raw: boolean;
  samplesMs: number[];
  ratioToRaw: number | null;
  argv?: string[];
}

interface BenchResult {
  id: string;
  title: string;
  backend: string;
  runs: number;
  seconds: number;
  variants: VariantResult[];
  error?: string;
}

// ---------------------------------------------------------------- environment

const tmp = (prefix: string) => mkdtempSync(join(os.tmpdir(), prefix));
const HOME = tmp('benchtop-bench-home-');
const PROJECT = tmp('benchtop-bench-proj-');
const RAW_DIR = tmp('benchtop-bench-raw-');
const TAG = `${process.pid}`;
const cliEnv = { ...process.env, BENCHTOP_HOME: HOME } as Record<string, string>;
const host = readHostInfo();

const cli = (...args: string[]) => [process.execPath, CLI, ...args];
const cliRun = (args: string[], until?: string) => run(cli(...args), { env: cliEnv, ...(until ? { until } : {}) });

async function ok(argv: string[]): Promise<boolean> {
  try {
    await run(argv, { timeoutMs: 30_000 });
    return true;
  } catch {
    return false;
  }
}

async function stdoutOf(argv: string[]): Promise<string> {
  try {
    return (await run(argv, { timeoutMs: 30_000 })).stdout.trim();
  } catch {
    return '';
  }
}

/** Why a backend cannot be benchmarked here, or null. */
async function podmanSkipReason(): Promise<string | null> {
  if (!which('podman')) return 'podman is not installed';
  if (!(await ok(['podman', 'image', 'exists', IMAGE]))) return `test image ${IMAGE} is missing (run: bash test/fixtures/build-images.sh)`;
  return null;
}

async function gvisorSkipReason(): Promise<string | null> {
  return (await podmanSkipReason()) ?? (which('runsc') ? null : 'runsc is not installed (apt install runsc)');
}

async function bwrapSkipReason(): Promise<string | null> {
  if (!which('bwrap')) return 'bwrap is not installed (apt install bubblewrap)';
  return (await ok([which('bwrap') as string, '--unshare-all', '--ro-bind', '/', '/', '--', 'true'])) ? null : 'bwrap cannot create a sandbox here';
}

/** Benchtop picks its OCI runtime from `podman info` (runc here); raw podman is told the same one. */
async function podmanRuntime(): Promise<PodmanRuntime> {
  const name = process.env.BENCHTOP_PODMAN_RUNTIME || (await stdoutOf(['podman', 'info', '--format', '{{.Host.OCIRuntime.Name}}'])) || 'runc';
  return { kind: 'named', runtime: name };
}

const gvisorRuntime = (): PodmanRuntime => ({ kind: 'gvisor', runsc: which('runsc') as string });

/** `podman run` exactly as Benchtop builds it, minus Benchtop's labels (so no workspace claims it). */
function rawRunArgv(containerName: string, runtime: PodmanRuntime): string[] {
  const a = buildRunArgv({
    workspaceId: 'bench',
    name: 'bench',
    containerName,
    image: IMAGE,
    imageKind: 'image',
    project: PROJECT,
    network: 'none',
    env: {},
    rootless: host.rootless,
    ulimits: ulimitsFor(host),
    runtime,
  });
  const out: string[] = ['podman'];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--label') i++;
    else out.push(a[i] as string);
  }
  return out;
}

const rawExecArgv = (containerName: string, runtime: PodmanRuntime, argv: string[]) => [
  'podman',
  ...buildExecArgv({ containerName, cwd: CONTAINER_PROJECT_DIR, env: {}, secretKeys: [], execId: randomUUID(), argv, runtime }),
];

/** One bwrap invocation with the recipe Benchtop's driver uses for a host-system workspace. */
function rawBwrapArgv(argv: string[]): string[] {
  mkdirSync(join(RAW_DIR, 'home'), { recursive: true });
  mkdirSync(join(RAW_DIR, 'etc'), { recursive: true });
  writeFileSync(join(RAW_DIR, 'etc', 'passwd'), passwdFile());
  writeFileSync(join(RAW_DIR, 'etc', 'group'), groupFile());
  return buildBwrapArgv(which('bwrap') as string, {
    system: { root: '/', entries: systemEntriesFrom('/', HOST_SYSTEM_DIRS, lstatKind), etcFiles: HOST_ETC_FILES },
    passwd: join(RAW_DIR, 'etc', 'passwd'),
    group: join(RAW_DIR, 'etc', 'group'),
    project: PROJECT,
    home: join(RAW_DIR, 'home'),
    hostname: 'bench',
    network: 'none',
    cwd: SANDBOX_PROJECT,
    env: {},
    hasSecrets: false,
    newSession: true,
    term: 'dumb',
    argv,
  });
}

const rawBwrap = (argv: string[], until?: string) => run(argv, { extendEnv: false, env: {}, ...(until ? { until } : {}) });

// ---------------------------------------------------------------- benchmarks

function p1Podman(): Bench {
  let runtime: PodmanRuntime = { kind: 'default' };
  const rawName = (i: number) => `bench-raw-${TAG}-p1-${i}`;
  const wsName = (i: number) => `p1-podman-${i}`;
  return {
    id: 'P1',
    title: 'workspace ready',
    backend: 'podman',
    runs: RUNS.P1,
    async setup() {
      runtime = await podmanRuntime();
    },
    variants: () => [
      {
        name: 'benchtop-cli',
        async once(i) {
          const t0 = performance.now();
          await cliRun(['create', wsName(i), '--backend', 'podman', '--image', IMAGE, '--project', PROJECT]);
          await cliRun(['exec', wsName(i), '--', 'echo', 'ready'], 'ready');
          return performance.now() - t0;
        },
        after: (i) => quiet(cli('rm', wsName(i)), { env: cliEnv }),
      },
      {
        name: 'raw',
        raw: true,
        argv: [...rawRunArgv('NAME', runtime), '&&', ...rawExecArgv('NAME', runtime, ['echo', 'ready'])],
        async once(i) {
          const t0 = performance.now();
          await run(rawRunArgv(rawName(i), runtime));
          await run(rawExecArgv(rawName(i), runtime, ['echo', 'ready']), { until: 'ready' });
          return performance.now() - t0;
        },
        after: (i) => quiet(['podman', ...buildRemoveArgv(runtime, rawName(i))]),
      },
    ],
  };
}

function p1Bwrap(): Bench {
  const wsName = (i: number) => `p1-bwrap-${i}`;
  return {
    id: 'P1',
    title: 'workspace ready',
    backend: 'bwrap',
    runs: RUNS.P1,
    variants() {
      const rawArgv = rawBwrapArgv(['echo', 'ready']);
      return [
        {
          name: 'benchtop-cli',
          async once(i) {
            const t0 = performance.now();
            await cliRun(['create', wsName(i), '--backend', 'bwrap', '--project', PROJECT]);
            await cliRun(['exec', wsName(i), '--', 'echo', 'ready'], 'ready');
            return performance.now() - t0;
          },
          after: (i) => quiet(cli('rm', wsName(i)), { env: cliEnv }),
        },
        { name: 'raw', raw: true, argv: rawArgv, once: async () => (await rawBwrap(rawArgv, 'ready')).ms },
      ];
    },
  };
}

/** P2 on one running workspace: the CLI, the service in-process (fresh and reused), and the raw tool. */
function p2(backend: 'podman' | 'gvisor' | 'bwrap'): Bench {
  const name = `p2-${backend}`;
  let container = '';
  let runtime: PodmanRuntime = { kind: 'default' };
  let warm: WorkspaceService | undefined;
  const inproc = async (svc: WorkspaceService) => {
    const t0 = performance.now();
    const r = await svc.exec({ workspace: name, argv: ['true'] }, 'bench');
    const ms = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`in-process exec exited ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    return ms;
  };
  return {
    id: 'P2',
    title: 'exec',
    backend,
    runs: RUNS.P2,
    async setup() {
      const image = backend === 'bwrap' ? [] : ['--image', IMAGE];
      await cliRun(['create', name, '--backend', backend, ...image, '--project', PROJECT]);
      if (backend !== 'bwrap') {
        const ws = JSON.parse((await cliRun(['status', name, '--json'])).stdout) as { runtime: { containerName?: string } };
        container = ws.runtime.containerName ?? '';
        if (!container) throw new Error(`no container name in the record of ${name}`);
        runtime = backend === 'gvisor' ? gvisorRuntime() : await podmanRuntime();
      }
      warm = new WorkspaceService({ home: HOME });
    },
    variants() {
      const rawArgv = backend === 'bwrap' ? rawBwrapArgv(['true']) : rawExecArgv(container, runtime, ['true']);
      return [
        { name: 'benchtop-cli', once: async () => (await cliRun(['exec', name, '--', 'true'])).ms },
        { name: 'inproc-fresh', once: () => inproc(new WorkspaceService({ home: HOME })) },
        { name: 'inproc-warm', once: () => inproc(warm as WorkspaceService) },
        {
          name: 'raw',
          raw: true,
          argv: rawArgv,
          once: async () => (backend === 'bwrap' ? (await rawBwrap(rawArgv)).ms : (await run(rawExecArgv(container, runtime, ['true']))).ms),
        },
      ];
    },
    teardown: () => quiet(cli('rm', name), { env: cliEnv }),
  };
}

// ---------------------------------------------------------------- runner

async function measure(b: Bench): Promise<BenchResult> {
  const started = performance.now();
  const label = `${b.id} ${b.title} ${b.backend}`;
  process.stdout.write(`${label}: `);
  const out: BenchResult = { id: b.id, title: b.title, backend: b.backend, runs: b.runs, seconds: 0, variants: [] };
  try {
    await b.setup?.();
    const variants = b.variants();
    const samples = variants.map(() => [] as number[]);
    // Iteration -1 is an untimed warm-up (page cache, podman's first storage access).
    for (let i = -1; i < b.runs; i++) {
      for (const [k, v] of variants.entries()) {
        const ms = await v.once(i);
        await v.after?.(i);
        if (i >= 0) samples[k]?.push(ms);
      }
      process.stdout.write(i < 0 ? 'w' : '.');
    }
    out.variants = variantResults(variants, samples, 1);
  } catch (err) {
    out.error = (err as Error).message.split('\n')[0];
  } finally {
    await b.teardown?.();
  }
  out.seconds = (performance.now() - started) / 1000;
  process.stdout.write(out.error ? ` FAILED: ${out.error}\n` : ` ${out.seconds.toFixed(0)}s\n`);
  return out;
}


function table(results: BenchResult[], skipped: { bench: string; reason: string }[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const label = `${r.id} ${r.title} ${r.backend}`.padEnd(26);
    if (r.error) {
      lines.push(`${label} ERROR ${r.error}`);
      continue;
    }
    const raw = r.variants.find((v) => v.raw);
    for (const v of r.variants.filter((x) => !x.raw)) {
      lines.push(
        `${label} ${v.variant.padEnd(13)} median ${fmtMs(v.median).padStart(6)} [${fmtMs(v.min)}–${fmtMs(v.max)}]`.padEnd(74) +
          `raw ${fmtMs(raw?.median ?? NaN).padStart(6)} [${fmtMs(raw?.min ?? NaN)}–${fmtMs(raw?.max ?? NaN)}]`.padEnd(28) +
          `ratio ${v.ratioToRaw === null ? '-' : `${v.ratioToRaw.toFixed(2)}x`}`,
      );
    }
  }
  for (const s of skipped) lines.push(`${s.bench.padEnd(26)} SKIPPED: ${s.reason}`);
  return lines.join('\n');
}

/** Removes anything a failed or interrupted run left behind. */
async function sweep(): Promise<void> {
  try {
    const svc = new WorkspaceService({ home: HOME });
    for (const ws of svc.registry.list()) await svc.remove(ws.id, 'bench').catch(() => undefined);
  } catch {
    // The data folder is deleted below anyway.
  }
  if (which('podman')) {
    const left = (await stdoutOf(['podman', 'ps', '-a', '--filter', `name=bench-raw-${TAG}-`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
    if (left.length) await quiet(['podman', 'rm', '--force', '--time', '2', ...left]);
  }
  for (const d of [HOME, PROJECT, RAW_DIR]) rmSync(d, { recursive: true, force: true });
}

async function main(): Promise<number> {
  const t0 = performance.now();
  if (!existsSync(resolve(REPO, 'dist/cli.js'))) {
    process.stderr.write('dist/cli.js is missing: run `npm run bench` (it builds the CLI first)\n');
    return 2;
  }
  const loadBefore = os.loadavg();
  const [podmanWhy, gvisorWhy, bwrapWhy] = [await podmanSkipReason(), await gvisorSkipReason(), await bwrapSkipReason()];
  const plan: { bench: string; why: string | null; make: () => Bench }[] = [
    { bench: 'P1 workspace ready podman', why: podmanWhy, make: p1Podman },
    { bench: 'P1 workspace ready bwrap', why: bwrapWhy, make: p1Bwrap },
    { bench: 'P2 exec podman', why: podmanWhy, make: () => p2('podman') },
    { bench: 'P2 exec gvisor', why: gvisorWhy, make: () => p2('gvisor') },
    { bench: 'P2 exec bwrap', why: bwrapWhy, make: () => p2('bwrap') },
  ];
  process.stdout.write(`benchtop bench: P1 N=${RUNS.P1}, P2 N=${RUNS.P2}, interleaved, 1 warm-up each; ${os.cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);
  const results: BenchResult[] = [];
  const skipped: { bench: string; reason: string }[] = [];
  for (const p of plan) {
    if (p.why) {
      process.stdout.write(`${p.bench}: skipped: ${p.why}\n`);
      skipped.push({ bench: p.bench, reason: p.why });
      continue;
    }
    results.push(await measure(p.make()));
  }
  // P4 needs no runtime: a 100,000-entry journal searched in-process (bench/journal.ts, also runnable alone).
  results.push(...(await journalBench({ runs: RUNS_OVERRIDE })));
  // P3 drives Chromium against the browser host (bench/terminal.ts, also runnable alone).
  let terminal: Record<string, unknown> | { skipped: string } = { skipped: 'bwrap or Chromium missing' };
  if (!bwrapWhy && existsSync('/usr/bin/chromium') && existsSync(join(REPO, 'out/renderer/index.html'))) {
    try {
      terminal = await standalone('terminal');
    } catch (err) {
      terminal = { skipped: `failed: ${(err as Error).message.split('\n')[0]}` };
      process.stdout.write(`P3: ${terminal.skipped}\n`);
    }
  } else process.stdout.write('P3: skipped: needs bwrap, /usr/bin/chromium and a built renderer (npm run build)\n');
  // P5 needs a SLURM controller (test/fixtures/setup-slurm.sh).
  let slurm: Record<string, unknown> | { skipped: string } = { skipped: 'no SLURM controller is up' };
  if (!bwrapWhy && (await stdoutOf(['timeout', '5', 'scontrol', 'ping'])).includes('is UP')) {
    try {
      slurm = await standalone('slurm');
    } catch (err) {
      slurm = { skipped: `failed: ${(err as Error).message.split('\n')[0]}` };
      process.stdout.write(`P5: ${slurm.skipped}\n`);
    }
  } else process.stdout.write('P5: skipped: no SLURM controller is up (test/fixtures/setup-slurm.sh)\n');
  // V: the qemu backend (bench/vm.ts, also runnable alone); every V1 run boots two VMs.
  let vm: Record<string, unknown> | { skipped: string };
  const vmWhy = vmSkipReason();
  if (vmWhy) {
    vm = { skipped: vmWhy };
    process.stdout.write(`V qemu: skipped: ${vmWhy}\n`);
  } else {
    try {
      vm = await standalone('vm');
    } catch (err) {
      vm = { skipped: `failed: ${(err as Error).message.split('\n')[0]}` };
      process.stdout.write(`V qemu: ${vm.skipped}\n`);
    }
  }
  await sweep();
  const seconds = (performance.now() - t0) / 1000;
  const text = table(results, skipped);
  process.stdout.write(`\n${text}\n\ntotal ${seconds.toFixed(0)}s; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  mkdirSync(RESULTS, { recursive: true });
  const json = {
    finishedAt: new Date().toISOString(),
    seconds,
    runs: RUNS,
    machine: { cores: os.cpus().length, loadavgBefore: loadBefore, loadavgAfter: os.loadavg(), node: process.version, rootless: host.rootless },
    tools: {
      podman: await stdoutOf(['podman', '--version']),
      runsc: (await stdoutOf(['runsc', '--version'])).split('\n')[0] ?? '',
      bwrap: await stdoutOf(['bwrap', '--version']),
    },
    results,
    terminal,
    slurm,
    vm,
    skipped,
  };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`wrote ${join(RESULTS, 'latest.json')}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`\n${sig}: cleaning up…\n`);
    void sweep().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    await sweep();
    process.exit(1);
  },
);
