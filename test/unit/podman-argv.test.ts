import { describe, expect, it } from 'vitest';
import {
  EXEC_MARKER,
  KILL_EXEC_SCRIPT,
  buildExecArgv,
  buildKillExecArgv,
  buildRunArgv,
  parsePs,
  ulimitsFor,
  type PodmanRunSpec,
} from '../../src-main/core/drivers/podman/argv';
import { CDI_HINT, gpuUnavailable } from '../../src-main/core/drivers/podman/gpu';
import { createPodmanDriver } from '../../src-main/core/drivers/podman/driver';
import type { DriverContext } from '../../src-main/core/drivers/types';
import type { Workspace } from '../../src-preload/contract';

function spec(over: Partial<PodmanRunSpec> = {}): PodmanRunSpec {
  return {
    workspaceId: 'abc123def456',
    name: 'dev',
    containerName: 'benchtop-abc123def456',
    image: 'docker.io/library/alpine:3',
    imageKind: 'image',
    project: '/home/me/proj',
    network: 'none',
    env: {},
    rootless: false,
    ulimits: {},
    runtime: { kind: 'default' },
    ...over,
  };
}

describe('buildRunArgv', () => {
  it('rootful image with limits, ulimits and env', () => {
    const argv = buildRunArgv(
      spec({
        cpus: 1.5,
        memoryMiB: 512,
        pids: 256,
        env: { FOO: 'bar', EMPTY: '' },
        ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: { soft: 100, hard: 100 } },
      }),
    );
    expect(argv).toEqual([
      'run', '--detach',
      '--name', 'benchtop-abc123def456',
      '--label', 'benchtop.workspace=abc123def456',
      '--label', 'benchtop.name=dev',
      '--hostname', 'dev',
      '--init',
      '--network', 'none',
      '--cap-drop=all', '--security-opt', 'no-new-privileges',
      '--ulimit', 'nofile=1024:4096',
      '--ulimit', 'nproc=100:100',
      '--cpus', '1.5',
      '--memory', '512m',
      '--pids-limit', '256',
      '--volume', '/home/me/proj:/workspace',
      '--workdir', '/workspace',
      '--env', 'FOO=bar',
      '--env', 'EMPTY=',
      'docker.io/library/alpine:3',
      'sleep', 'infinity',
    ]);
    expect(argv).not.toContain('--userns=keep-id');
  });

  it('rootless adds --userns=keep-id (before the volume), and only then', () => {
    const argv = buildRunArgv(spec({ rootless: true }));
    expect(argv).toEqual([
      'run', '--detach',
      '--name', 'benchtop-abc123def456',
      '--label', 'benchtop.workspace=abc123def456',
      '--label', 'benchtop.name=dev',
      '--hostname', 'dev',
      '--init',
      '--network', 'none',
      '--cap-drop=all', '--security-opt', 'no-new-privileges',
      '--userns=keep-id',
      '--volume', '/home/me/proj:/workspace',
      '--workdir', '/workspace',
      'docker.io/library/alpine:3',
      'sleep', 'infinity',
    ]);
    expect(argv.filter((a) => a === '--userns=keep-id')).toHaveLength(1);
    expect(buildRunArgv(spec({ rootless: false }))).not.toContain('--userns=keep-id');
  });

  it('rootfs dir uses --rootfs DIR:O and no image positional', () => {
    const argv = buildRunArgv(spec({ imageKind: 'rootfs', image: '/srv/rootfs' }));
    expect(argv).toEqual([
      'run', '--detach',
      '--name', 'benchtop-abc123def456',
      '--label', 'benchtop.workspace=abc123def456',
      '--label', 'benchtop.name=dev',
      '--hostname', 'dev',
      '--init',
      '--network', 'none',
      '--cap-drop=all', '--security-opt', 'no-new-privileges',
      '--volume', '/home/me/proj:/workspace',
      '--workdir', '/workspace',
      '--rootfs', '/srv/rootfs:O',
      'sleep', 'infinity',
    ]);
    expect(argv).not.toContain('/srv/rootfs');
  });

  it('gvisor: global runtime flags before run, and --network none even when network is full', () => {
    const argv = buildRunArgv(spec({ network: 'full', runtime: { kind: 'gvisor', runsc: '/usr/bin/runsc' } }));
    expect(argv).toEqual([
      '--runtime', '/usr/bin/runsc',
      '--runtime-flag', 'network=none',
      '--runtime-flag', 'ignore-cgroups',
      'run', '--detach',
      '--name', 'benchtop-abc123def456',
      '--label', 'benchtop.workspace=abc123def456',
      '--label', 'benchtop.name=dev',
      '--hostname', 'dev',
      '--init',
      '--network', 'none',
      '--cap-drop=all', '--security-opt', 'no-new-privileges',
      '--volume', '/home/me/proj:/workspace',
      '--workdir', '/workspace',
      'docker.io/library/alpine:3',
      'sleep', 'infinity',
    ]);
    expect(argv.indexOf('--runtime')).toBeLessThan(argv.indexOf('run'));
  });

  it('a TTL makes the main process end at expiry (sleep TTL); none keeps it forever', () => {
    expect(buildRunArgv(spec({ ttlSec: 60 })).slice(-2)).toEqual(['sleep', '60']);
    expect(buildRunArgv(spec({ ttlSec: 30 * 24 * 3600, imageKind: 'rootfs', image: '/srv/rootfs' })).slice(-4)).toEqual(['--rootfs', '/srv/rootfs:O', 'sleep', '2592000']);
    expect(buildRunArgv(spec({ ttlSec: null })).slice(-2)).toEqual(['sleep', 'infinity']);
    expect(buildRunArgv(spec()).slice(-2)).toEqual(['sleep', 'infinity']);
    // The main process stays behind --init, so stop is immediate and the TTL's end is exit code 0.
    const argv = buildRunArgv(spec({ ttlSec: 120 }));
    expect(argv.indexOf('--init')).toBeGreaterThan(-1);
    expect(argv.indexOf('--init')).toBeLessThan(argv.indexOf('sleep'));
  });

  it('labels the backend and the data folder, right after the id and name labels', () => {
    const argv = buildRunArgv(spec({ backend: 'gvisor', home: '/root/.local/share/benchtop', runtime: { kind: 'gvisor', runsc: '/usr/bin/runsc' } }));
    const at = argv.indexOf('benchtop.name=dev');
    expect(argv.slice(at + 1, at + 5)).toEqual(['--label', 'benchtop.backend=gvisor', '--label', 'benchtop.home=/root/.local/share/benchtop']);
    expect(argv.filter((a) => a === '--label')).toHaveLength(4);
    expect(buildRunArgv(spec()).filter((a) => a === '--label')).toHaveLength(2);
  });

  it('named runtime is a global flag', () => {
    const argv = buildRunArgv(spec({ runtime: { kind: 'named', runtime: 'crun' } }));
    expect(argv.slice(0, 3)).toEqual(['--runtime', 'crun', 'run']);
  });

  it('network full on runc has no --network flag', () => {
    const argv = buildRunArgv(spec({ network: 'full' }));
    expect(argv).not.toContain('--network');
    expect(argv).toEqual([
      'run', '--detach',
      '--name', 'benchtop-abc123def456',
      '--label', 'benchtop.workspace=abc123def456',
      '--label', 'benchtop.name=dev',
      '--hostname', 'dev',
      '--init',
      '--cap-drop=all', '--security-opt', 'no-new-privileges',
      '--volume', '/home/me/proj:/workspace',
      '--workdir', '/workspace',
      'docker.io/library/alpine:3',
      'sleep', 'infinity',
    ]);
  });
});

describe('buildExecArgv', () => {
  it('secret keys are bare --env KEY, values never appear; marker and env present', () => {
    const secretValue = 's3cr3t-value-xyz';
    const argv = buildExecArgv({
      containerName: 'benchtop-x',
      cwd: '/workspace/sub',
      env: { FOO: 'bar' },
      secretKeys: ['API_TOKEN', 'DB_PASSWORD'],
      execId: 'exec-1234',
      argv: ['echo', 'hi'],
      runtime: { kind: 'default' },
    });
    expect(argv).toEqual([
      'exec',
      '--workdir', '/workspace/sub',
      '--env', `${EXEC_MARKER}=exec-1234`,
      '--env', 'FOO=bar',
      '--env', 'API_TOKEN',
      '--env', 'DB_PASSWORD',
      'benchtop-x', 'echo', 'hi',
    ]);
    expect(EXEC_MARKER).toBe('BENCHTOP_EXEC');
    expect(argv.join('\0')).not.toContain(secretValue);
    expect(argv.some((a) => a.startsWith('API_TOKEN='))).toBe(false);
  });

  it('interactive adds --interactive --tty right after exec; gvisor global flags come first', () => {
    const argv = buildExecArgv({
      containerName: 'c',
      cwd: '/workspace',
      env: {},
      secretKeys: [],
      execId: 'e',
      argv: ['sh'],
      runtime: { kind: 'gvisor', runsc: 'runsc' },
      interactive: true,
    });
    expect(argv).toEqual([
      '--runtime', 'runsc', '--runtime-flag', 'network=none', '--runtime-flag', 'ignore-cgroups',
      'exec', '--interactive', '--tty',
      '--workdir', '/workspace',
      '--env', 'BENCHTOP_EXEC=e',
      'c', 'sh',
    ]);
  });

  it('non-interactive has no tty flags', () => {
    const argv = buildExecArgv({ containerName: 'c', cwd: '/w', env: {}, secretKeys: [], execId: 'e', argv: ['true'], runtime: { kind: 'default' } });
    expect(argv).not.toContain('--interactive');
    expect(argv).not.toContain('--tty');
  });
});

describe('ulimitsFor', () => {
  it('finite hard limits: nofile soft capped at 1024, hard capped at 1048576', () => {
    expect(ulimitsFor({ nofile: { soft: 1024, hard: 524288 }, nproc: { soft: 1000, hard: 2000 } })).toEqual({
      nofile: { soft: 1024, hard: 524288 },
      nproc: { soft: 2000, hard: 2000 },
    });
    expect(ulimitsFor({ nofile: { soft: 10, hard: 4_000_000 }, nproc: { soft: 1, hard: 100_000 } })).toEqual({
      nofile: { soft: 1024, hard: 1048576 },
      nproc: { soft: 4096, hard: 4096 },
    });
  });

  it('a hard limit below 1024 bounds the soft one', () => {
    expect(ulimitsFor({ nofile: { soft: 256, hard: 512 }, nproc: null }).nofile).toEqual({ soft: 512, hard: 512 });
  });

  it('infinite or unknown hard limits produce no ulimit', () => {
    expect(ulimitsFor({ nofile: { soft: Infinity, hard: Infinity }, nproc: { soft: 10, hard: Infinity } })).toEqual({});
    expect(ulimitsFor({ nofile: null, nproc: null })).toEqual({});
  });
});

describe('parsePs', () => {
  it('maps labels to workspace ids, running vs exited with exit code, ignores unlabelled', () => {
    const json = JSON.stringify([
      { Id: '1', State: 'running', Labels: { 'benchtop.workspace': 'aaa' } },
      { Id: '2', State: 'exited', ExitCode: 137, Labels: { 'benchtop.workspace': 'bbb' } },
      { Id: '3', State: 'Created', Labels: { 'benchtop.workspace': 'ccc' } },
      { Id: '4', State: 'running', Labels: { other: 'x' } },
      { Id: '5', State: 'running', Labels: null },
      { Id: '6', State: 'running' },
    ]);
    const m = parsePs(json);
    expect([...m.keys()].sort()).toEqual(['aaa', 'bbb', 'ccc']);
    expect(m.get('aaa')).toEqual({ running: true, description: 'running', exitCode: null, sandbox: {} });
    expect(m.get('bbb')).toEqual({ running: false, description: 'container exited (exit code 137)', exitCode: 137, sandbox: {} });
    expect(m.get('ccc')).toEqual({ running: false, description: 'container created', exitCode: null, sandbox: {} });
  });

  it('keeps what a container says of itself: name, labels, creation time, image', () => {
    const json = JSON.stringify([
      {
        Id: '1',
        Names: ['benchtop-aaa'],
        State: 'exited',
        ExitCode: 0,
        Created: 1700000000,
        Image: 'localhost/benchtop-test:latest',
        Labels: { 'benchtop.workspace': 'aaa', 'benchtop.name': 'dev', 'benchtop.backend': 'gvisor', 'benchtop.home': '/data/bt' },
      },
    ]);
    expect(parsePs(json).get('aaa')).toEqual({
      running: false,
      description: 'container exited (exit code 0)',
      exitCode: 0,
      sandbox: { container: 'benchtop-aaa', name: 'dev', backend: 'gvisor', home: '/data/bt', createdAt: '2023-11-14T22:13:20.000Z', image: 'localhost/benchtop-test:latest' },
    });
  });

  it('empty output (blank or []) is an empty map', () => {
    expect(parsePs('').size).toBe(0);
    expect(parsePs('  \n').size).toBe(0);
    expect(parsePs('[]').size).toBe(0);
  });
});

describe('buildKillExecArgv', () => {
  it('passes the exec id as a positional ($1), never spliced into the script', () => {
    const execId = '0f1e2d3c-aaaa-bbbb-cccc-123456789abc';
    const argv = buildKillExecArgv({ kind: 'default' }, 'benchtop-x', execId);
    expect(argv).toEqual(['exec', 'benchtop-x', 'sh', '-c', KILL_EXEC_SCRIPT, 'benchtop-kill', execId]);
    expect(argv[argv.length - 1]).toBe(execId);
    expect(KILL_EXEC_SCRIPT).not.toContain(execId);
    expect(KILL_EXEC_SCRIPT).toContain(`${EXEC_MARKER}=$1`);
  });

  it('keeps the runtime global flags first', () => {
    const argv = buildKillExecArgv({ kind: 'gvisor', runsc: '/r' }, 'c', 'id');
    expect(argv.slice(0, 7)).toEqual(['--runtime', '/r', '--runtime-flag', 'network=none', '--runtime-flag', 'ignore-cgroups', 'exec']);
  });
});

describe('podmanHint', () => {
  it('turns the known failures of these hosts into one line that says what to do', async () => {
    const { podmanHint } = await import('../../src-main/core/drivers/podman/hints');
    expect(podmanHint('Error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: OCI runtime error')).toMatch(/install runc/);
    expect(podmanHint('error setting rlimits for ready process: error setting rlimit type 7: operation not permitted')).toMatch(/open-files limit/);
    expect(podmanHint('Error: cannot set up namespace using "/usr/bin/newuidmap"')).toMatch(/subordinate ids/);
    expect(podmanHint('Error: no such image')).toBeNull();
  });
});

describe('GPU through CDI', () => {
  it('asks podman for every NVIDIA GPU by its CDI name, with the NVIDIA environment, before the image', () => {
    const argv = buildRunArgv(spec({ gpu: true }));
    const at = argv.indexOf('--device');
    expect(argv.slice(at, at + 6)).toEqual(['--device', 'nvidia.com/gpu=all', '--env', 'NVIDIA_VISIBLE_DEVICES=all', '--env', 'NVIDIA_DRIVER_CAPABILITIES=all']);
    expect(at).toBeLessThan(argv.indexOf('docker.io/library/alpine:3'));
    expect(buildRunArgv(spec())).not.toContain('--device');
  });

  it('says what is missing — a GPU, or a CDI spec naming it — and how to fix it', () => {
    const fsWith = (files: Record<string, string>) => ({
      exists: (p: string) => p in files,
      list: (d: string) => Object.keys(files).filter((f) => f.startsWith(`${d}/`)).map((f) => f.slice(d.length + 1)),
      read: (p: string) => files[p] ?? '',
    });
    expect(gpuUnavailable(fsWith({}))).toBe(`no NVIDIA GPU on this machine (no /dev/nvidia0): with a GPU and its driver, ${CDI_HINT}`);
    expect(gpuUnavailable(fsWith({ '/dev/nvidia0': '' }))).toBe(`no CDI spec for nvidia.com/gpu in /etc/cdi or /var/run/cdi: ${CDI_HINT}`);
    expect(gpuUnavailable(fsWith({ '/dev/nvidia0': '', '/etc/cdi/other.yaml': 'kind: vendor.com/fpga' }))).toContain('no CDI spec');
    expect(gpuUnavailable(fsWith({ '/dev/nvidia0': '', '/var/run/cdi/nvidia.yaml': 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\n' }))).toBeNull();
    expect(gpuUnavailable(fsWith({ '/proc/driver/nvidia/gpus/0000:01:00.0': '', '/etc/cdi/nvidia.json': '{"kind":"nvidia.com/gpu"}' }))).toBeNull();
    expect(CDI_HINT).toContain('nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml');
  });
});

describe('exec as a user (podman)', () => {
  const base = { containerName: 'c', cwd: '/w', env: {}, secretKeys: [], execId: 'e', argv: ['id', '-u'], runtime: { kind: 'default' as const } };
  it('passes --user; a name is also USER and LOGNAME (podman sets only HOME from passwd)', () => {
    const named = buildExecArgv({ ...base, user: 'nobody' });
    expect(named.slice(named.indexOf('--user'), named.indexOf('--user') + 6)).toEqual(['--user', 'nobody', '--env', 'USER=nobody', '--env', 'LOGNAME=nobody']);
    const uid = buildExecArgv({ ...base, user: '65534' });
    expect(uid.slice(uid.indexOf('--user'), uid.indexOf('--user') + 2)).toEqual(['--user', '65534']);
    expect(uid.some((a) => a.startsWith('USER='))).toBe(false);
    expect(buildExecArgv(base)).not.toContain('--user');
    expect(named.indexOf('--user')).toBeLessThan(named.indexOf('c'));
  });
});

describe('SLURM allocation plan of a gVisor workspace', () => {
  it('runs the container under runsc even when this process never asked podman for its info', () => {
    const ctx = {
      runner: { run: async () => ({ exitCode: 1, stdout: '', stderr: 'not asked', argv: [] }) },
      host: { rootless: false, cgroupControllers: [], cores: 2, memoryMiB: 4096 },
      workspaceDir: () => '/data/ws/abc',
    } as unknown as DriverContext;
    const ws = {
      id: 'abc123def456',
      name: 'gv',
      backend: 'gvisor',
      image: 'localhost/x:1',
      imageKind: 'image',
      project: '/p',
      network: 'none',
      env: {},
      limits: { execTimeoutSec: 300 },
      unenforcedLimits: [],
      ttlSec: null,
      gpu: false,
      runtime: {},
    } as unknown as Workspace;
    const plan = createPodmanDriver(ctx, { id: 'gvisor' }).allocationPlan?.(ws);
    const start = plan?.start ?? [];
    expect(start[start.indexOf('--runtime') + 1]).toMatch(/runsc$/);
    expect(start).toContain('--runtime-flag');
    // podman's own default for the podman backend, as before.
    const plain = createPodmanDriver(ctx, { id: 'podman' }).allocationPlan?.({ ...ws, backend: 'podman' } as Workspace);
    expect(plain?.start).not.toContain('--runtime');
  });

  it('submits with the runtime and rootlessness kept in the record at create, not what this process happens to know', () => {
    const ctx = { runner: { run: async () => ({ exitCode: 0, stdout: '', stderr: '' }) }, host: { rootless: false, cgroupControllers: [] }, workspaceDir: () => '/d' } as unknown as DriverContext;
    const ws = { id: 'abc123def456', name: 'p', backend: 'podman', image: 'localhost/x:1', imageKind: 'image', project: '/p', network: 'none', env: {}, limits: { execTimeoutSec: 300 }, unenforcedLimits: [], ttlSec: null, gpu: false } as unknown as Workspace;
    // A fresh process has asked podman nothing: only the record can say runc.
    const plan = createPodmanDriver(ctx, { id: 'podman' }).allocationPlan?.({ ...ws, runtime: { ociRuntime: 'runc', rootless: true } } as Workspace);
    const start = plan?.start ?? [];
    expect(start[start.indexOf('--runtime') + 1]).toBe('runc');
    const stop = plan?.stop ?? [];
    expect(stop[stop.indexOf('--runtime') + 1]).toBe('runc');
    // Rootless from the record: no --userns=keep-id style flags for rootful, some for rootless (the spec differs).
    const rootful = createPodmanDriver(ctx, { id: 'podman' }).allocationPlan?.({ ...ws, runtime: { ociRuntime: 'runc', rootless: false } } as Workspace);
    expect(rootful?.start).not.toEqual(start);
  });
});
