/**
 * V1–V3: the qemu backend against raw QEMU and its guest agent, same work,
 * same run, interleaved (A, B, A, B…) like run.ts; medians (min/max) and the
 * ratio to the raw variant, no thresholds.
 *
 *  V1 VM ready: `benchtop create --backend qemu` + `exec -- echo ready`, vs
 *     the same qemuArgv booted straight from here, the agent's HELLO read
 *     off QEMU's socket and one exec through it. Every run boots a VM.
 *  V2 exec: `benchtop exec -- true`, the service in-process, one agent
 *     connection per process (what the driver does), vs one exec over a held
 *     AgentConnection; `podman exec CONTAINER true` from the same run beside.
 *  V3 terminal throughput: a PTY in the guest printing MB megabytes of
 *     100-character lines, through the terminals service (acknowledged at
 *     once, as a fast viewer would) and through driver.spawn, vs a held
 *     AgentConnection's tty session.
 *
 * V2 and V3 share one VM workspace. QEMU's agent socket takes one client, and
 * the workspace's supervisor holds it: the raw variants there reach the
 * guest through the supervisor's mux. What the mux costs is measured in V1's
 * raw boots (no supervisor), printed as "direct" rows: same guest, not
 * interleaved with V2/V3. The machine's TCG lock is held while any guest runs.
 *
 *   node --import tsx bench/vm.ts     (BENCH_RUNS=N: V1 default 3, V2 20, V3 3)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { AgentConnection } from '../src-main/core/agent/client';
import { buildRunArgv, ulimitsFor } from '../src-main/core/drivers/podman/argv';
import { qemuArgv } from '../src-main/core/drivers/qemu/argv';
import { hostTscKhz } from '../src-main/core/drivers/qemu/host-tsc';
import { readHostInfo } from '../src-main/core/host/hostinfo';
import { which } from '../src-main/core/drivers/which';
import { TerminalService } from '../src-main/core/terminals/service';
import { vmFiles } from '../src-main/core/vm/files';
import { overlayArgv } from '../src-main/core/vm/overlay';
import { resolveVmImage } from '../src-main/core/vm/store';
import { WorkspaceService } from '../src-main/core/workspaces/service';
import { acquireTcgLock, TCG_LOCK } from '../test/helpers/tcg-lock';
import { quiet, run } from './proc';
import { fmtMs, summarize, variantResults } from './stats';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'bin/benchtop.js');
const RESULTS = join(import.meta.dirname, 'results');
const VM_FIXTURE = join(REPO, 'test/fixtures/.build/vm');
const ROOTFS = join(REPO, 'test/fixtures/.build/rootfs-busybox');
const AGENT = join(REPO, 'build/agent/benchtop-agent');
const PODMAN_IMAGE = 'localhost/benchtop-test:latest';

const envRuns = Number(process.env.BENCH_RUNS);
const OVERRIDE = Number.isInteger(envRuns) && envRuns > 0 ? envRuns : undefined;
// Each V1 run boots two VMs, each V3 run moves MB megabytes through an emulated CPU: small N by default.
const RUNS = { V1: OVERRIDE ?? 3, V2: OVERRIDE ?? 20, V3: OVERRIDE ?? 3 };
const MB = 8;
/**
 * Lines of 100 characters (a terminal's output has newlines), written in
 * blocks: busybox's head writes a tty line by line, which would measure that
 * instead of the path. ~3 MB/s under TCG here, the guest's CPU being the limit.
 */
const FLOOD = `yes ${'x'.repeat(99)} | head -c ${MB * 1000 * 1000} | cat; printf '\\nV3-%s\\n' DONE`;
/** Split in the command, whole in its output: the echoed command line never matches. */
const DONE = '\nV3-DONE';
/** The PATH the qemu driver gives guest processes. */
const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MEMORY_MIB = 512;
const TTY = { cols: 200, rows: 50 };

interface Variant {
  name: string;
  raw?: boolean;
  once(i: number): Promise<number>;
  after?(i: number): Promise<void>;
}

type Rows = ReturnType<typeof variantResults<Variant>>;

// ---------------------------------------------------------------- environment

const tmp = (prefix: string) => mkdtempSync(join(os.tmpdir(), prefix));
let HOME = '';
let PROJECT = '';
let RAW_DIR = '';
const TAG = `${process.pid}`;
const PODMAN_NAME = `bench-raw-${TAG}-vm`;
/** Raw QEMUs this process started, killed on the way out whatever happens. */
const rawQemus = new Set<ChildProcess>();
const locks = new Set<() => Promise<void>>();

const cliEnv = () => ({ ...process.env, BENCHTOP_HOME: HOME }) as Record<string, string>;
const cli = (...args: string[]) => [process.execPath, CLI, ...args];
const cliRun = (args: string[], until?: string) => run(cli(...args), { env: cliEnv(), timeoutMs: 180_000, ...(until ? { until } : {}) });

async function ok(argv: string[]): Promise<boolean> {
  try {
    await run(argv, { timeoutMs: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Why the VM benchmarks cannot run here, or null. */
export function vmSkipReason(): string | null {
  if (!which('qemu-system-x86_64') || !which('qemu-img')) return 'QEMU is not installed (apt install qemu-system-x86 qemu-utils)';
  if (!which('mkfs.ext4')) return 'mkfs.ext4 is not installed (apt install e2fsprogs)';
  if (!existsSync(join(VM_FIXTURE, 'kernel.json'))) return 'the test kernel is missing (run test/fixtures/build-vm.sh)';
  if (!existsSync(ROOTFS)) return 'the test rootfs is missing (run test/fixtures/build-images.sh --rootfs-only)';
  if (!existsSync(AGENT)) return 'the guest agent is not built (node scripts/build-agent.mjs)';
  if (!existsSync(join(REPO, 'dist/vm-supervisor.js'))) return 'dist/ is not built (node scripts/build-cli.mjs)';
  return null;
}

async function withTcgLock<T>(fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const release = await acquireTcgLock();
  const waited = performance.now() - t0;
  if (waited > 1000) process.stderr.write(`(waited ${(waited / 1000).toFixed(0)} s for ${TCG_LOCK}: another guest ran)\n`);
  locks.add(release);
  try {
    return await fn();
  } finally {
    locks.delete(release);
    await release();
  }
}

/** Resolves on the first `needle` in what `feed` is given (a sliding tail: 20 MB are never kept). */
function needleWatch(needle: string): { feed(text: string): void; seen: Promise<number> } {
  let tail = '';
  let hit!: (ms: number) => void;
  const seen = new Promise<number>((r) => (hit = r));
  let done = false;
  return {
    feed(text) {
      if (done) return;
      tail = (tail + text).slice(-(needle.length + 64));
      if (tail.includes(needle)) {
        done = true;
        hit(performance.now());
      }
    },
    seen,
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms / 1000} s`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** One process through an agent connection: ms from the request to its exit (stdout must hold `until`, when given). */
async function agentExec(conn: AgentConnection, argv: string[], until?: string): Promise<number> {
  let out = '';
  const t0 = performance.now();
  const proc = await conn.spawn({ argv, cwd: '/workspace', env: { PATH: GUEST_PATH } }, (_s, c) => (out += c.toString('utf8')));
  proc.end();
  const exit = await within(proc.exited, 30_000, `agent exec ${argv.join(' ')}`);
  const ms = performance.now() - t0;
  if (exit.code !== 0) throw new Error(`agent exec ${argv.join(' ')}: ${exit.spawnError ?? `exit ${exit.code ?? exit.signal}`}`);
  if (until !== undefined && !out.includes(until)) throw new Error(`agent exec ${argv.join(' ')}: no "${until}" in its output`);
  return ms;
}

/** The flood in a guest PTY over an agent connection: ms from the request to the marker. */
async function agentFlood(conn: AgentConnection): Promise<number> {
  const watch = needleWatch(DONE);
  const t0 = performance.now();
  const proc = await conn.spawn({ argv: ['/bin/sh', '-c', FLOOD], cwd: '/workspace', env: { PATH: GUEST_PATH, TERM: 'xterm-256color' }, tty: TTY }, (_s, c) =>
    watch.feed(c.toString('latin1')),
  );
  const t1 = await within(watch.seen, 180_000, 'agent flood');
  await proc.exited;
  return t1 - t0;
}

/** `podman run` as Benchtop builds it (this host's ulimits: podman's defaults are refused here), minus its labels. */
function podmanRunArgv(): string[] {
  const host = readHostInfo();
  const a = buildRunArgv({
    workspaceId: 'bench',
    name: 'bench',
    containerName: PODMAN_NAME,
    image: PODMAN_IMAGE,
    imageKind: 'image',
    project: PROJECT,
    network: 'none',
    env: {},
    rootless: host.rootless,
    ulimits: ulimitsFor(host),
    runtime: { kind: 'default' },
  });
  return ['podman', ...a.filter((_, i) => a[i] !== '--label' && a[i - 1] !== '--label')];
}

// ---------------------------------------------------------------- raw QEMU (V1)

interface RawVm {
  conn: AgentConnection;
  kill(): Promise<void>;
}

/** Connects to QEMU's agent socket as soon as it exists and waits for the guest's HELLO. */
async function connectWhenUp(path: string, qemu: ChildProcess, deadline: number): Promise<AgentConnection> {
  for (;;) {
    if (qemu.exitCode !== null || qemu.signalCode !== null) throw new Error(`QEMU exited before the guest agent said hello (${qemu.exitCode ?? qemu.signalCode})`);
    if (existsSync(path)) {
      try {
        return await AgentConnection.connect(path, Math.max(1000, deadline - performance.now()));
      } catch (err) {
        if (performance.now() > deadline) throw err;
      }
    }
    if (performance.now() > deadline) throw new Error('QEMU never opened the agent socket');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What Benchtop's create does, without Benchtop: overlay, the same qemuArgv, QEMU, the agent's HELLO. */
async function rawBoot(dir: string, base: { kernel: string; initrd: string; rootDisk: string }): Promise<RawVm> {
  mkdirSync(dir, { recursive: true });
  const overlay = join(dir, 'root.qcow2');
  await run(overlayArgv(base.rootDisk, overlay));
  const argv = qemuArgv({
    qemuBinary: which('qemu-system-x86_64') as string,
    kernel: base.kernel,
    initrd: base.initrd,
    rootDisk: overlay,
    agentSocket: join(dir, 'agent.sock'),
    consoleLog: join(dir, 'console.log'),
    pidFile: join(dir, 'qemu.pid'),
    qmpSocket: join(dir, 'qmp.sock'),
    memoryMiB: MEMORY_MIB,
    cpus: 1,
    accel: 'tcg',
    machine: 'microvm',
    project: { hostDir: PROJECT },
    network: 'none',
    ports: [],
    tscKhz: hostTscKhz(),
    marker: `benchtop-bench-${TAG}`,
    hostname: 'bench',
  });
  const qemu = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'ignore'] });
  rawQemus.add(qemu);
  const exited = new Promise<void>((r) => qemu.once('exit', () => r()));
  const kill = async () => {
    qemu.kill('SIGKILL');
    await exited;
    rawQemus.delete(qemu);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return { conn: await connectWhenUp(join(dir, 'agent.sock'), qemu, performance.now() + 120_000), kill };
  } catch (err) {
    await kill();
    throw err;
  }
}

// ---------------------------------------------------------------- runner

async function measure(label: string, runs: number, variants: Variant[]): Promise<{ rows: Rows; seconds: number }> {
  const started = performance.now();
  process.stdout.write(`${label}: `);
  const samples = variants.map(() => [] as number[]);
  // Iteration -1 is an untimed warm-up (page cache, the first boot's kernel read).
  for (let i = -1; i < runs; i++) {
    for (const [k, v] of variants.entries()) {
      const ms = await v.once(i);
      await v.after?.(i);
      if (i >= 0) samples[k]?.push(ms);
    }
    process.stdout.write(i < 0 ? 'w' : '.');
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(` ${seconds.toFixed(0)}s\n`);
  return { rows: variantResults(variants, samples, 1), seconds };
}

const mbps = (ms: number) => MB / (ms / 1000);

function lines(label: string, rows: Rows, unit: 'ms' | 'MB/s'): string[] {
  const raw = rows.find((r) => r.raw);
  const fmt = (ms: number) => (unit === 'ms' ? fmtMs(ms) : Number.isFinite(ms) ? `${mbps(ms).toFixed(1)}MB/s` : '-');
  // Throughput: the slowest run is the min MB/s.
  const span = (r: { min: number; max: number }) => (unit === 'ms' ? `[${fmt(r.min)}–${fmt(r.max)}]` : `[${fmt(r.max)}–${fmt(r.min)}]`);
  return rows
    .filter((r) => !r.raw)
    .map(
      (r) =>
        `${label.padEnd(26)} ${r.variant.padEnd(15)} median ${fmt(r.median).padStart(9)} ${span(r)}`.padEnd(84) +
        `raw ${fmt(raw?.median ?? NaN).padStart(9)} ${raw ? span(raw) : ''}`.padEnd(34) +
        // The ratio is of times (benchtop/raw) either way: above 1 is slower.
        `ratio ${r.ratioToRaw === null ? '-' : `${r.ratioToRaw.toFixed(2)}x`}`,
    );
}

// ---------------------------------------------------------------- benchmarks

async function v1(image: { kernel: string; initrd: string; rootDisk: string }, direct: { execMs: number[]; floodMs: number[] }) {
  const ws = (i: number) => `v1-${i + 1}`;
  let raw: RawVm | undefined;
  const variants: Variant[] = [
    {
      name: 'benchtop-cli',
      async once(i) {
        const t0 = performance.now();
        await cliRun(['create', ws(i), '--backend', 'qemu', '--image', 'benchvm', '--project', PROJECT, '--memory', String(MEMORY_MIB), '--cpus', '1']);
        await cliRun(['exec', ws(i), '--', 'echo', 'ready'], 'ready');
        return performance.now() - t0;
      },
      after: (i) => quiet(cli('rm', ws(i)), { env: cliEnv(), timeoutMs: 60_000 }),
    },
    {
      name: 'raw-qemu',
      raw: true,
      async once(i) {
        const t0 = performance.now();
        raw = await rawBoot(join(RAW_DIR, `v1-${i + 1}`), image);
        await agentExec(raw.conn, ['echo', 'ready'], 'ready');
        return performance.now() - t0;
      },
      async after(i) {
        const vm = raw as RawVm;
        raw = undefined;
        try {
          // Untimed for V1: the agent with no supervisor in between, for V2's and V3's "direct" rows.
          if (i >= 0) {
            for (let k = 0; k < 5; k++) direct.execMs.push(await agentExec(vm.conn, ['true']));
            direct.floodMs.push(await agentFlood(vm.conn));
          }
        } finally {
          vm.conn.close();
          await vm.kill();
        }
      },
    },
  ];
  return withTcgLock(() => measure('V1 VM ready', RUNS.V1, variants));
}

// ---------------------------------------------------------------- main

async function sweep(): Promise<void> {
  for (const q of rawQemus) q.kill('SIGKILL');
  if (HOME) {
    try {
      const svc = new WorkspaceService({ home: HOME });
      for (const ws of svc.registry.list()) await svc.remove(ws.id, 'bench').catch(() => undefined);
    } catch {
      // The data folder goes below anyway.
    }
  }
  if (which('podman')) await quiet(['podman', 'rm', '--force', '--time', '0', PODMAN_NAME]);
  for (const release of [...locks]) await release().catch(() => undefined);
  for (const d of [HOME, PROJECT, RAW_DIR]) if (d) rmSync(d, { recursive: true, force: true });
}

export async function benchVm(): Promise<Record<string, unknown>> {
  HOME = tmp('benchtop-bench-vm-home-');
  PROJECT = tmp('benchtop-bench-vm-proj-');
  RAW_DIR = tmp('benchtop-bench-vm-raw-');
  const started = performance.now();
  const k = JSON.parse(readFileSync(join(VM_FIXTURE, 'kernel.json'), 'utf8')) as { vmlinux: string; modules: string };
  await cliRun(['image', 'build', 'benchvm', '--from', ROOTFS, '--kernel', join(VM_FIXTURE, k.vmlinux), '--modules', join(VM_FIXTURE, k.modules)]);
  const image = resolveVmImage(HOME, 'benchvm');
  const podmanWhy = !which('podman') ? 'podman is not installed' : !(await ok(['podman', 'image', 'exists', PODMAN_IMAGE])) ? `test image ${PODMAN_IMAGE} is missing` : null;

  const direct = { execMs: [] as number[], floodMs: [] as number[] };
  const r1 = await v1(image, direct);

  // V2 and V3 on one VM workspace, booted once.
  const name = 'vm';
  let podmanRow: string | null = null;
  const out2 = await withTcgLock(async () => {
    await cliRun(['create', name, '--backend', 'qemu', '--image', 'benchvm', '--project', PROJECT, '--memory', String(MEMORY_MIB), '--cpus', '1']);
    try {
      const warmSvc = new WorkspaceService({ home: HOME });
      const ws = warmSvc.registry.get(name);
      const socket = vmFiles(join(warmSvc.registry.dir(ws.id), 'vm')).agentSocket;
      const held = await AgentConnection.connect(socket);
      if (!podmanWhy) {
        await run(podmanRunArgv());
        podmanRow = `podman exec ${PODMAN_NAME} true`;
      }
      const inproc = async (svc: WorkspaceService) => {
        const t0 = performance.now();
        const r = await svc.exec({ workspace: name, argv: ['true'] }, 'bench');
        const ms = performance.now() - t0;
        if (r.exitCode !== 0) throw new Error(`in-process exec exited ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
        return ms;
      };
      const v2Variants: Variant[] = [
        { name: 'benchtop-cli', once: async () => (await cliRun(['exec', name, '--', 'true'])).ms },
        // Beside, not a ratio of ours: the container's exec round trip on the same machine, same minute.
        ...(podmanWhy ? [] : [{ name: 'podman-exec', once: async () => (await run(['podman', 'exec', PODMAN_NAME, 'true'])).ms }]),
        { name: 'inproc-fresh', once: () => inproc(new WorkspaceService({ home: HOME })) },
        { name: 'inproc-warm', once: () => inproc(warmSvc) },
        {
          // What the driver does for each process: a connection of its own, hello, exec, close.
          name: 'agent-per-conn',
          async once() {
            const t0 = performance.now();
            const conn = await AgentConnection.connect(socket);
            await agentExec(conn, ['true']);
            conn.close();
            return performance.now() - t0;
          },
        },
        { name: 'raw-agent', raw: true, once: () => agentExec(held, ['true']) },
      ];
      const r2 = await measure('V2 exec qemu', RUNS.V2, v2Variants);

      const terminals = new TerminalService(warmSvc);
      const watches = new Map<string, ReturnType<typeof needleWatch>>();
      terminals.on({
        data: (id, text) => {
          // A viewer that keeps up: acknowledged at once, so flow control never pauses the shell.
          terminals.ack(id, text.length);
          watches.get(id)?.feed(text);
        },
      });
      const term = await terminals.open(name, { ...TTY, client: 'bench' });
      // The shell is up once it ran a first command (its prompt differs between images).
      const up = needleWatch('\nV3-READY');
      watches.set(term.id, up);
      terminals.write(term.id, "printf '\\nV3-%s\\n' READY\n");
      await within(up.seen, 30_000, 'the terminal shell');
      const driver = warmSvc.driver('qemu');
      const v3Variants: Variant[] = [
        {
          name: 'terminal',
          async once() {
            const watch = needleWatch(DONE);
            watches.set(term.id, watch);
            const t0 = performance.now();
            terminals.write(term.id, `${FLOOD}\n`);
            return (await within(watch.seen, 180_000, 'terminal flood')) - t0;
          },
        },
        {
          name: 'driver-spawn',
          async once(i) {
            const watch = needleWatch(DONE);
            const t0 = performance.now();
            const proc = await driver.spawn(ws, { argv: ['/bin/sh', '-c', FLOOD], cwd: '/workspace', env: {}, secretEnv: {}, id: `bench-v3-${i}`, stdin: true, tty: TTY }, (_s, c) =>
              watch.feed(c.toString('latin1')),
            );
            const t1 = await within(watch.seen, 180_000, 'driver flood');
            await proc.exited;
            return t1 - t0;
          },
        },
        { name: 'raw-agent', raw: true, once: () => agentFlood(held) },
      ];
      const r3 = await measure(`V3 terminal ${MB} MB qemu`, RUNS.V3, v3Variants);
      await terminals.close(term.id);
      held.close();
      return { r2, r3 };
    } finally {
      await quiet(cli('rm', name), { env: cliEnv(), timeoutMs: 60_000 });
      if (podmanRow) await quiet(['podman', 'rm', '--force', '--time', '0', PODMAN_NAME]);
    }
  });

  const directExec = summarize(direct.execMs);
  const directFlood = summarize(direct.floodMs);
  const text = [
    ...lines('V1 VM ready qemu', r1.rows, 'ms'),
    ...lines('V2 exec qemu', out2.r2.rows, 'ms'),
    `${'V2 exec qemu'.padEnd(26)} ${'direct-agent'.padEnd(15)} median ${fmtMs(directExec.median).padStart(9)} [${fmtMs(directExec.min)}–${fmtMs(directExec.max)}]   (no supervisor: V1's raw boots, not interleaved)`,
    ...lines(`V3 terminal ${MB} MB qemu`, out2.r3.rows, 'MB/s'),
    `${`V3 terminal ${MB} MB qemu`.padEnd(26)} ${'direct-agent'.padEnd(15)} median ${`${mbps(directFlood.median).toFixed(1)}MB/s`.padStart(9)} [${mbps(directFlood.max).toFixed(1)}MB/s–${mbps(directFlood.min).toFixed(1)}MB/s]   (no supervisor: V1's raw boots, not interleaved)`,
  ];
  console.log(`\nV qemu (TCG, ${MEMORY_MIB} MiB, 1 vCPU; V1 N=${RUNS.V1}, V2 N=${RUNS.V2}, V3 N=${RUNS.V3}; ratios are times, benchtop/raw)\n${text.join('\n')}`);
  return {
    seconds: (performance.now() - started) / 1000,
    runs: RUNS,
    floodMB: MB,
    flood: FLOOD,
    v1: r1,
    v2: { ...out2.r2, podman: podmanRow ?? podmanWhy },
    v3: out2.r3,
    direct: { note: "V1's raw boots, no supervisor, not interleaved", execMs: direct.execMs, execMedianMs: directExec.median, floodMs: direct.floodMs, floodMedianMBps: mbps(directFlood.median) },
  };
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`\n${sig}: cleaning up…\n`);
      void sweep().finally(() => process.exit(130));
    });
  }
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, 'vm.json');
  const why = vmSkipReason();
  if (why) {
    process.stdout.write(`V qemu: skipped: ${why}\n`);
    writeFileSync(file, `${JSON.stringify({ finishedAt: new Date().toISOString(), skipped: why }, null, 2)}\n`);
    process.exit(0);
  }
  try {
    const result = await benchVm();
    writeFileSync(file, `${JSON.stringify({ finishedAt: new Date().toISOString(), machine: { cores: os.cpus().length, loadavg: os.loadavg() }, ...result }, null, 2)}\n`);
    process.stdout.write(`wrote ${file}\n`);
    await sweep();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`V qemu: ${(err as Error)?.stack ?? String(err)}\n`);
    await sweep();
    process.exit(1);
  }
}
