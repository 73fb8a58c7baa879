import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BenchtopError,
  type BackendId,
  type BackendDescriptor,
  type Capabilities,
  type Workspace,
} from '../../src-preload/contract';
import type { DetectedBackend, Driver, ResolvedImage, SandboxStatus, StopReport } from '../../src-main/core/drivers/types';
import { hostProcesses, type HostLaunch } from '../../src-main/core/process/host-launch';
import type { ProcessSink, SandboxProcess, SpawnRequest } from '../../src-main/core/process/types';
import { createExecaRunner } from '../../src-main/core/runner/runner';
import type { KillSpec } from '../../src-main/core/watchdog/kill';
import type { HostInfo } from '../../src-main/core/host/hostinfo';
import { WorkspaceService } from '../../src-main/core/workspaces/service';

class FakeDriver implements Driver {
  readonly listKey: string;
  capabilities: Capabilities = {
    enforcedLimits: ['cpus', 'memory', 'pids'],
    network: ['none', 'full'],
    gpu: false,
    isolation: 'container',
  };
  available = true;
  /** Sandboxes this fake reports, by workspace id; start/stop keep it in step. */
  sandboxes = new Map<string, SandboxStatus>();
  removed: string[] = [];
  execRequests: SpawnRequest[] = [];
  /**
   * The host shell script exec runs (a real process: exec streams, times out and
   * journals it); by default it echoes the secret env values on stdout and stderr.
   */
  execScript: (req: SpawnRequest) => string = (req) =>
    `printf 'secrets: %s\\n' "${Object.keys(req.secretEnv).map((k) => `${k}=$${k}`).join(' ')}"; printf 'also %s\\n' "${Object.keys(req.secretEnv).map((k) => `$${k}`).join(',')}" >&2`;
  /** Set to make the launch itself fail (as a missing backend binary does). */
  execProgram = 'sh';
  /** Whether its descriptor says it can copy files. */
  files = true;

  constructor(readonly id: BackendId) {
    this.listKey = `fake-${id}`;
  }

  /** As the real drivers describe themselves, where it matters to the service's rules. */
  get descriptor(): BackendDescriptor {
    const host = this.id === 'host';
    return {
      label: this.id,
      summary: 'a fake',
      isolation: this.capabilities.isolation,
      projectPath: host ? null : '/workspace',
      image: { use: host ? 'none' : 'required', kinds: 'fake images', example: 'alpine', rootfs: false },
      supports: { tty: true, stdin: true, userSwitch: false, slurm: !host, pull: false, apptainerOptions: this.id === 'apptainer', files: this.files, ports: false, console: false },
      portsNote: 'a fake',
      defaultNetwork: host ? 'full' : 'none',
      needsConsent: host,
      labelsSandboxes: this.id === 'podman' || this.id === 'gvisor',
      ttlProcess: this.id === 'podman' || this.id === 'gvisor',
      disk: { measures: "the workspace's folder", quota: 'measured', why: 'a fake' },
    };
  }

  async detect(): Promise<DetectedBackend> {
    return { id: this.id, available: this.available, version: 'fake', hint: this.available ? null : 'not installed', capabilities: this.capabilities };
  }
  async resolveImage(image: string | undefined): Promise<ResolvedImage> {
    if (this.id === 'host' || this.id === 'bwrap') return { image: null, imageKind: 'system' };
    return { image: image ?? 'alpine', imageKind: 'image' };
  }
  async prepare(): Promise<void> {}
  async start(ws: Workspace): Promise<{ adopted: boolean; runtime: Workspace['runtime'] }> {
    this.sandboxes.set(ws.id, { running: true, description: 'running' });
    return { adopted: false, runtime: { containerName: `fake-${ws.id}` } };
  }
  /** What stop says it did (the drivers that count processes say how many it ended). */
  stopReport: StopReport | undefined = undefined;
  async stop(ws: Workspace): Promise<StopReport | void> {
    this.sandboxes.set(ws.id, { running: false, description: 'container exited (exit code 0)', exitCode: 0 });
    return this.stopReport;
  }
  async remove(ws: Workspace): Promise<void> {
    this.removed.push(ws.id);
    this.sandboxes.delete(ws.id);
  }
  listCalls = 0;
  async list(): Promise<Map<string, SandboxStatus>> {
    this.listCalls++;
    await new Promise((r) => setTimeout(r, 5));
    return new Map(this.sandboxes);
  }
  /** Real host processes (exec streams, times out and journals them); only the sandbox is fake. */
  private readonly processes = hostProcesses(createExecaRunner(), { launch: (ws, req) => this.launch(ws, req), killSpec: (ws, id) => this.killSpec(ws, id) });
  spawn(ws: Workspace, req: SpawnRequest, sink: ProcessSink): Promise<SandboxProcess> {
    return this.processes.spawn(ws, req, sink);
  }
  launch(_ws: Workspace, req: SpawnRequest): HostLaunch {
    if (!req.argv) return { argv: ['/bin/sh'], env: {} };
    this.execRequests.push(req);
    return { argv: [this.execProgram, '-c', this.execScript(req)], env: { ...req.secretEnv, FAKE_EXEC: req.id } };
  }
  killSpec(_ws: Workspace, execId: string): KillSpec {
    return { kind: 'env', marker: `FAKE_EXEC=${execId}` };
  }

  defaultCwd(): string {
    return '/workspace';
  }
}

const HOST: HostInfo = {
  cores: 2,
  memoryMiB: 4096,
  rootless: false,
  uid: 0,
  gid: 0,
  cgroup: 'v1',
  cgroupControllers: ['cpu', 'memory', 'pids'],
  nofile: null,
  nproc: null,
};

let home: string;
let clock: number;
let podman: FakeDriver;
let gvisor: FakeDriver;
let bwrap: FakeDriver;
let host: FakeDriver;

function service(maxActive = 16): WorkspaceService {
  return new WorkspaceService({ home, drivers: { podman, gvisor, bwrap, host }, host: HOST, now: () => clock, maxActive, watchdog: false });
}

async function failure(p: Promise<unknown>): Promise<BenchtopError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BenchtopError);
    return err as BenchtopError;
  }
  throw new Error('expected a failure');
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'benchtop-svc-'));
  clock = Date.parse('2024-06-01T12:00:00.000Z');
  podman = new FakeDriver('podman');
  gvisor = new FakeDriver('gvisor');
  bwrap = new FakeDriver('bwrap');
  host = new FakeDriver('host');
  host.capabilities = { ...host.capabilities, enforcedLimits: [], isolation: 'none' };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('WorkspaceService: create and start', () => {
  it('create + start gives a running workspace with created and started journal entries', async () => {
    const svc = service();
    const changes: string[] = [];
    svc.on({ workspaceChanged: (ws) => changes.push(ws.state) });
    const ws = await svc.create({ name: 'dev', backend: 'podman', cpus: 1, memoryMiB: 256 }, 'test');
    expect(ws.state).toBe('running');
    expect(ws.name).toBe('dev');
    expect(ws.limits).toEqual({ cpus: 1, memoryMiB: 256, execTimeoutSec: 300 });
    expect(ws.network).toBe('none');
    expect(ws.runtime.containerName).toBe(`fake-${ws.id}`);
    expect(ws.startedAt).toBe(new Date(clock).toISOString());
    expect(podman.sandboxes.get(ws.id)?.running).toBe(true);
    const entries = svc.journal(ws).list();
    expect(entries.map((e) => e.event)).toEqual(['created', 'started']);
    expect(entries.every((e) => e.source === 'lifecycle' && e.client === 'test')).toBe(true);
    expect(changes).toContain('created');
    expect(changes).toContain('running');
    expect((await svc.get('dev')).state).toBe('running');
  });

  it('start: false leaves it created', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'idle', backend: 'podman', start: false }, 'test');
    expect(ws.state).toBe('created');
    expect(podman.sandboxes.size).toBe(0);
    expect(svc.journal(ws).list().map((e) => e.event)).toEqual(['created']);
  });

  it('a duplicate name is CONFLICT', async () => {
    const svc = service();
    await svc.create({ name: 'dup', backend: 'podman', start: false }, 'test');
    const err = await failure(svc.create({ name: 'dup', backend: 'bwrap', start: false }, 'test'));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('dup');
    expect(svc.registry.list()).toHaveLength(1);
  });

  it('cpus above the host cores is INVALID_INPUT naming cpus', async () => {
    const err = await failure(service().create({ name: 'a', backend: 'podman', cpus: 3 }, 'test'));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message.startsWith('cpus:')).toBe(true);
    expect(err.details).toMatchObject({ field: 'cpus' });
  });

  it('memory above the host memory is INVALID_INPUT naming memoryMiB', async () => {
    const err = await failure(service().create({ name: 'a', backend: 'podman', memoryMiB: 8192 }, 'test'));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message.startsWith('memoryMiB:')).toBe(true);
    expect(err.details).toMatchObject({ field: 'memoryMiB' });
  });

  it('the host backend without allowHost is INVALID_INPUT; with it, it is created', async () => {
    const svc = service();
    const err = await failure(svc.create({ name: 'h', backend: 'host' }, 'test'));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toMatchObject({ field: 'allowHost' });
    expect(svc.registry.list()).toHaveLength(0);
    const ws = await svc.create({ name: 'h', backend: 'host', allowHost: true }, 'test');
    expect(ws.isolation).toBe('none');
    expect(ws.network).toBe('full');
  });

  it('an unavailable backend is BACKEND_UNAVAILABLE', async () => {
    gvisor.available = false;
    const err = await failure(service().create({ name: 'g', backend: 'gvisor' }, 'test'));
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
  });

  it('a limit the backend does not enforce is LIMIT_UNENFORCEABLE naming it', async () => {
    bwrap.capabilities = { ...bwrap.capabilities, enforcedLimits: ['memory'] };
    const svc = service();
    const err = await failure(svc.create({ name: 'b', backend: 'bwrap', memoryMiB: 128, pids: 100 }, 'test'));
    expect(err.code).toBe('LIMIT_UNENFORCEABLE');
    expect(err.message.startsWith('pids:')).toBe(true);
    expect(err.details).toMatchObject({ limit: 'pids', field: 'pids' });
    expect(svc.registry.list()).toHaveLength(0);
  });

  it('with bestEffortLimits the workspace is created and unenforcedLimits lists the limit', async () => {
    bwrap.capabilities = { ...bwrap.capabilities, enforcedLimits: ['memory'] };
    const svc = service();
    const ws = await svc.create({ name: 'b', backend: 'bwrap', cpus: 1, memoryMiB: 128, bestEffortLimits: true }, 'test');
    expect(ws.state).toBe('running');
    expect(ws.unenforcedLimits).toEqual(['cpus']);
    expect(ws.limits.cpus).toBe(1);
    expect(svc.journal(ws).list()[0]?.detail).toContain('unenforced=cpus');
  });

  it('maxActive 1: a second start is QUOTA_EXCEEDED', async () => {
    const svc = service(1);
    await svc.create({ name: 'one', backend: 'podman' }, 'test');
    const err = await failure(svc.create({ name: 'two', backend: 'podman' }, 'test'));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    const two = svc.registry.get('two');
    expect(two.state).toBe('created');
    await svc.stop('one', 'test');
    expect((await svc.start('two', 'test')).state).toBe('running');
  });
});

describe('WorkspaceService: reconciliation and TTL', () => {
  it('a running workspace missing from the backend list becomes stopped, with a died entry', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    podman.sandboxes.delete(ws.id);
    const [after] = await svc.list();
    expect(after?.state).toBe('stopped');
    expect(after?.reason).toMatch(/outside|gone/);
    const died = svc.journal(ws).list().find((e) => e.event === 'died');
    expect(died).toBeDefined();
    expect(died?.client).toBe('reconcile');
  });

  it('a sandbox that exited outside Benchtop gives the backend description as the reason', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    podman.sandboxes.set(ws.id, { running: false, description: 'container exited (exit code 137)', exitCode: 137 });
    const after = await svc.get('dev');
    expect(after.state).toBe('stopped');
    expect(after.reason).toBe('container exited (exit code 137) outside Benchtop');
  });

  it('a stopped podman record whose container is running is adopted', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    await svc.stop('dev', 'test');
    expect(svc.registry.get('dev').state).toBe('stopped');
    podman.sandboxes.set(ws.id, { running: true, description: 'running' });
    const after = await svc.get('dev');
    expect(after.state).toBe('running');
    expect(after.reason).toContain('adopted');
    expect(svc.journal(ws).list().map((e) => e.event)).toContain('adopted');
  });

  it('a stopped bwrap record is not adopted (not persistent)', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'b', backend: 'bwrap', start: false }, 'test');
    bwrap.sandboxes.set(ws.id, { running: true, description: 'running' });
    expect((await svc.get('b')).state).toBe('created');
  });

  it('TTL: after ttlSec the workspace is expired and its sandbox removed', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'short', backend: 'podman', ttlSec: 60 }, 'test');
    expect(ws.expiresAt).toBe(new Date(clock + 60_000).toISOString());
    clock += 30_000;
    expect((await svc.list())[0]?.state).toBe('running');
    expect(podman.removed).toEqual([]);
    clock += 31_000;
    const [after] = await svc.list();
    expect(after?.state).toBe('expired');
    expect(after?.expiresAt).toBeNull();
    expect(podman.removed).toEqual([ws.id]);
    const expired = svc.journal(ws).list().find((e) => e.event === 'expired');
    expect(expired?.client).toBe('reaper');
    const err = await failure(svc.exec({ workspace: 'short', argv: ['true'] }, 'test'));
    expect(err.code).toBe('CONFLICT');
  });
});

describe('WorkspaceService: file copies', () => {
  it('refuse a backend whose descriptor says it cannot copy files, before running anything', async () => {
    const svc = service();
    await svc.create({ name: 'nofiles', backend: 'podman' }, 'test');
    podman.files = false;
    const err = await failure(svc.download({ workspace: 'nofiles', path: 'x', transferId: 'transfer-1' }, 'cli', () => undefined));
    expect([err.code, err.message]).toEqual(['INVALID_INPUT', 'workspace "nofiles": its backend (podman) cannot copy files']);
    expect(podman.execRequests).toEqual([]);
  });

  it("run through the driver's spawn in the working folder, with none of the workspace's secrets", async () => {
    const svc = service();
    await svc.create({ name: 'withsecret', backend: 'podman', secrets: { MY_VAR: 'sekr1t-value' } }, 'test');
    await svc.download({ workspace: 'withsecret', path: 'out', transferId: 'transfer-2' }, 'cli', () => undefined);
    const req = podman.execRequests[0];
    expect([req?.cwd, req?.secretEnv, req?.stdin, req?.argv?.slice(0, 2), req?.argv?.at(-1)]).toEqual(['/workspace', {}, false, ['sh', '-c'], '/workspace/out']);
  });
});

describe('WorkspaceService: a refusal whose line the sandbox lost', () => {
  it('is asked again with the checks alone, and reported in its own words', async () => {
    const svc = service();
    await svc.create({ name: 'lost', backend: 'podman' }, 'test');
    // As `podman exec -i` sometimes does: the copy exits 3 (refused) with its stderr lost; the checks alone say why.
    podman.execScript = (req) => (req.argv?.at(-1) === 'checks' ? `printf 'benchtop-cp: NOT_FOUND: /nowhere: no such folder\\n' >&2; exit 3` : 'exit 3');
    const up = svc.upload({ workspace: 'lost', path: '/nowhere/x', name: 'f', transferId: 'transfer-lost' }, 'cli');
    await svc.uploadChunk('transfer-lost', null, true);
    const err = await failure(up);
    expect([err.code, err.message]).toEqual(['NOT_FOUND', '/nowhere: no such folder']);
    expect(podman.execRequests.map((r) => [r.stdin, r.argv?.at(-1)])).toEqual([
      [true, ''],
      [false, 'checks'],
    ]);
  });
});

describe('WorkspaceService: exec', () => {
  const SECRET = 'sekr1t-from-secrets';
  const TOKEN = 'tok-abcdef-123456';
  const EXEC_TOKEN = 'exec-only-credential';

  it('secrets are passed as secretEnv, redacted in output and journal, and never stored in the record', async () => {
    const svc = service();
    const ws = await svc.create(
      { name: 'dev', backend: 'podman', env: { API_TOKEN: TOKEN, PLAIN: 'visible' }, secrets: { MY_VAR: SECRET } },
      'test',
    );
    expect(ws.env).toEqual({ PLAIN: 'visible' });
    expect(ws.env).not.toHaveProperty('API_TOKEN');
    expect(ws.secretKeys).toEqual(['API_TOKEN', 'MY_VAR']);
    const record = readFileSync(join(home, 'workspaces', ws.id, 'workspace.json'), 'utf8');
    expect(record).not.toContain(SECRET);
    expect(record).not.toContain(TOKEN);
    expect(record).toContain('visible');

    const r = await svc.exec({ workspace: 'dev', argv: ['sh', '-c', `echo ${EXEC_TOKEN}`], env: { SESSION_TOKEN: EXEC_TOKEN, X: '1' } }, 'cli');
    const req = podman.execRequests[0];
    expect(req?.secretEnv).toEqual({ API_TOKEN: TOKEN, MY_VAR: SECRET, SESSION_TOKEN: EXEC_TOKEN });
    expect(req?.env).toEqual({ X: '1' });
    expect(req?.cwd).toBe('/workspace');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('API_TOKEN=<redacted>');
    expect(r.stdout).toContain('MY_VAR=<redacted>');
    expect(r.stdout).toContain('SESSION_TOKEN=<redacted>');
    for (const v of [SECRET, TOKEN, EXEC_TOKEN]) {
      expect(r.stdout).not.toContain(v);
      expect(r.stderr).not.toContain(v);
    }

    const entry = svc.journal(ws).get(r.seq);
    expect(entry.source).toBe('exec');
    expect(entry.client).toBe('cli');
    expect(entry.stdoutText).toBe(r.stdout);
    // Everything the journal wrote to disk is free of secret values.
    const dir = join(home, 'workspaces', ws.id);
    const files = [join(dir, 'journal.jsonl'), ...readdirSync(join(dir, 'outputs')).map((f) => join(dir, 'outputs', f))];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const v of [SECRET, TOKEN, EXEC_TOKEN]) expect(text, f).not.toContain(v);
    }
    expect(entry.command).toContain('<redacted>');
  });

  it('a relative cwd is joined to the default, an absolute one kept', async () => {
    const svc = service();
    await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    await svc.exec({ workspace: 'dev', argv: ['pwd'], cwd: 'sub/dir' }, 'test');
    await svc.exec({ workspace: 'dev', argv: ['pwd'], cwd: '/tmp' }, 'test');
    expect(podman.execRequests.map((r) => r.cwd)).toEqual(['/workspace/sub/dir', '/tmp']);
  });

  it('shell commands run as sh -lc', async () => {
    const svc = service();
    await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    await svc.exec({ workspace: 'dev', shell: 'echo a && echo b' }, 'test');
    expect(podman.execRequests[0]?.argv).toEqual(['sh', '-lc', 'echo a && echo b']);
  });

  it('exec on a stopped workspace is CONFLICT and runs nothing', async () => {
    const svc = service();
    await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    await svc.stop('dev', 'test');
    const err = await failure(svc.exec({ workspace: 'dev', argv: ['true'] }, 'test'));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('stopped');
    expect(podman.execRequests).toHaveLength(0);
  });

  it('exec on an unknown workspace is NOT_FOUND', async () => {
    const err = await failure(service().exec({ workspace: 'ghost', argv: ['true'] }, 'test'));
    expect(err.code).toBe('NOT_FOUND');
  });

  it('a timed-out exec reports exit code 124 and says so on stderr and in the journal', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman', execTimeoutSec: 1 }, 'test');
    podman.execScript = () => 'printf partial; exec sleep 100';
    const r = await svc.exec({ workspace: 'dev', argv: ['sleep', '100'] }, 'test');
    expect(r.exitCode).toBe(124);
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(10_000);
    expect(r.stdout).toBe('partial');
    expect(r.stderr).toContain('timed out after 1 s');
    const entry = svc.journal(ws).get(r.seq);
    expect(entry.exitCode).toBe(124);
    expect(entry.timedOut).toBe(true);
    expect(entry.status).toBe('completed');
  });

  it('a program that cannot start is a failure of the backend, journaled as not run', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    podman.execProgram = '/nonexistent/podman';
    const err = await failure(svc.exec({ workspace: 'dev', argv: ['true'] }, 'test'));
    expect(err.code).toBe('BACKEND_FAILED');
    const entry = svc.journal(ws).list().at(-1);
    expect(entry?.status).toBe('not-run');
    expect(entry?.exitCode).toBeNull();
    expect(entry?.reason).toContain('could not start');
  });
});

describe('WorkspaceService: reconcile', () => {
  it('a status read for an older version of the record changes nothing (a start that finished meanwhile is not a death)', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    podman.sandboxes.clear();
    await svc.refresh([{ ...ws, state: 'created', updatedAt: '2000-01-01T00:00:00.000Z' }]);
    expect(svc.registry.get('dev').state).toBe('running');
    // Read afresh, the same status is the truth.
    await svc.refresh();
    expect(svc.registry.get('dev').state).toBe('stopped');
  });
});

describe('WorkspaceService: list', () => {
  it('a burst of list calls shares backend listings instead of one each, and each sees a listing made after it was asked', async () => {
    const svc = service();
    await svc.create({ name: 'dev', backend: 'podman' }, 'test');
    podman.listCalls = 0;
    const first = svc.list();
    const rest = Array.from({ length: 50 }, () => svc.list());
    // A change made while the first listing runs is seen by the calls made after it.
    podman.sandboxes.set([...podman.sandboxes.keys()][0] as string, { running: false, description: 'container exited (exit code 137)', exitCode: 137 });
    await first;
    const after = await Promise.all(rest);
    expect(podman.listCalls).toBeLessThanOrEqual(2);
    for (const list of after) expect(list[0]?.state).toBe('stopped');
  });
});

describe('WorkspaceService: remove', () => {
  it('removes the sandbox, the record and the secrets', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman', secrets: { MY_VAR: 'gone-after-remove' } }, 'test');
    expect(readFileSync(svc.secrets.location, 'utf8')).toContain('gone-after-remove');
    expect(await svc.remove('dev', 'test')).toEqual({ id: ws.id, name: 'dev' });
    expect(podman.removed).toEqual([ws.id]);
    expect(svc.registry.find('dev')).toBeNull();
    expect(readFileSync(svc.secrets.location, 'utf8')).not.toContain('gone-after-remove');
  });
});

describe('WorkspaceService: broken workspaces', () => {
  const recordOf = (svc: WorkspaceService, id: string) => join(svc.registry.dir(id), 'workspace.json');

  it('a truncated, an empty, an invalid and a missing record each show as broken, with the reason and what was salvaged', async () => {
    const svc = service();
    const cut = await svc.create({ name: 'cut', backend: 'bwrap' }, 'test');
    const empty = await svc.create({ name: 'empty', backend: 'bwrap' }, 'test');
    const bad = await svc.create({ name: 'bad', backend: 'host', allowHost: true }, 'test');
    const gone = await svc.create({ name: 'gone', backend: 'bwrap' }, 'test');
    const fine = await svc.create({ name: 'fine', backend: 'bwrap' }, 'test');
    const text = readFileSync(recordOf(svc, cut.id), 'utf8');
    writeFileSync(recordOf(svc, cut.id), text.slice(0, 200));
    writeFileSync(recordOf(svc, empty.id), '');
    const rec = JSON.parse(readFileSync(recordOf(svc, bad.id), 'utf8'));
    rec.workspace.limits = 'lots';
    writeFileSync(recordOf(svc, bad.id), JSON.stringify(rec));
    rmSync(recordOf(svc, gone.id));
    const list = await svc.list();
    const by = (id: string) => list.find((w) => w.id === id);
    expect(list).toHaveLength(5);
    expect(by(fine.id)).toMatchObject({ state: 'running', name: 'fine' });
    expect(by(cut.id)).toMatchObject({ state: 'broken', name: 'cut', backend: 'bwrap' });
    expect(by(cut.id)?.reason).toMatch(/workspace\.json is truncated or not JSON/);
    expect(by(empty.id)).toMatchObject({ state: 'broken', name: empty.id });
    expect(by(empty.id)?.reason).toMatch(/workspace\.json is empty$/);
    // An invalid record keeps its valid fields (the name, the host backend and its "no isolation").
    expect(by(bad.id)).toMatchObject({ state: 'broken', name: 'bad', backend: 'host', isolation: 'none' });
    expect(by(bad.id)?.reason).toMatch(/workspace\.json is invalid \(limits: /);
    expect(by(gone.id)).toMatchObject({ state: 'broken', name: gone.id });
    expect(by(gone.id)?.reason).toMatch(/workspace\.json is missing$/);
    // status finds it by the salvaged name; start refuses and says how to remove it.
    expect(await svc.get('cut')).toMatchObject({ id: cut.id, state: 'broken' });
    const err = await failure(svc.start('cut', 'test'));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain(`benchtop rm ${cut.id}`);
  });

  it('rm removes a broken workspace: its sandbox, folder, locks and secrets', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'podman', secrets: { TOKEN: 'broken-secret-1' } }, 'test');
    writeFileSync(recordOf(svc, ws.id), '{"layoutVersion": 1, "workspace": {"id": "x');
    expect(existsSync(join(home, 'locks', ws.id))).toBe(true);
    expect((await svc.list())[0]).toMatchObject({ id: ws.id, name: ws.id, state: 'broken', backend: 'podman' });
    expect(await svc.remove(ws.id, 'test')).toEqual({ id: ws.id, name: ws.id });
    expect(podman.removed).toEqual([ws.id]);
    expect(existsSync(svc.registry.dir(ws.id))).toBe(false);
    expect(readdirSync(join(home, 'locks'))).toEqual([]);
    expect(readFileSync(svc.secrets.location, 'utf8')).not.toContain('broken-secret-1');
    expect(await svc.list()).toEqual([]);
    expect((await failure(svc.remove(ws.id, 'test'))).code).toBe('NOT_FOUND');
  });

  it("a container of this data folder whose folder is gone is broken; another folder's is not ours", async () => {
    const svc = service();
    podman.sandboxes.set('0123456789ab', { running: true, description: 'running', sandbox: { home, container: 'benchtop-0123456789ab', name: 'ghost', backend: 'gvisor' } });
    podman.sandboxes.set('ba9876543210', { running: true, description: 'running', sandbox: { home: '/elsewhere', container: 'benchtop-ba9876543210', name: 'theirs' } });
    podman.sandboxes.set('aaaaaaaaaaaa', { running: true, description: 'running' }); // No home label (an older container): not claimed.
    const list = await svc.list();
    expect(list.map((w) => w.id)).toEqual(['0123456789ab']);
    expect(list[0]).toMatchObject({ name: 'ghost', backend: 'gvisor', state: 'broken', runtime: { containerName: 'benchtop-0123456789ab' } });
    expect(list[0]?.reason).toMatch(/its folder .*0123456789ab is gone, but its container benchtop-0123456789ab is still there \(running\)/);
    await svc.remove('ghost', 'test');
    expect(podman.removed).toEqual(['0123456789ab']);
    expect(existsSync(svc.registry.dir('0123456789ab'))).toBe(false);
    expect((await svc.list()).map((w) => w.id)).toEqual([]);
  });

  it('rm of a workspace removes its lock file; a lock file alone is no workspace, and rm tidies it', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'bwrap' }, 'test');
    expect(existsSync(join(home, 'locks', ws.id))).toBe(true);
    await svc.remove('dev', 'test');
    expect(readdirSync(join(home, 'locks'))).toEqual([]);
    writeFileSync(join(home, 'locks', 'feedfacecafe'), '');
    expect(await svc.list()).toEqual([]);
    expect((await failure(svc.remove('feedfacecafe', 'test'))).code).toBe('NOT_FOUND');
    expect(readdirSync(join(home, 'locks'))).toEqual([]);
  });

  it('no write brings back the folder of a removed workspace: not the journal, not the record', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'dev', backend: 'bwrap' }, 'test');
    const journal = svc.journal(ws);
    await svc.remove('dev', 'test');
    const entry = svc.journal(ws).list()[0];
    expect(entry).toBeUndefined();
    const late = { workspaceId: ws.id, source: 'lifecycle' as const, command: 'late', argv: null, cwd: null, client: 'test', startedAt: ws.createdAt, durationMs: 0, exitCode: null, timedOut: false, event: 'late', detail: null };
    expect((await failure(journal.append(late))).code).toBe('NOT_FOUND');
    expect((await failure(journal.complete(1, { exitCode: 0 }))).code).toBe('NOT_FOUND');
    expect(() => svc.registry.write(ws)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(existsSync(svc.registry.dir(ws.id))).toBe(false);
    expect(readdirSync(join(home, 'workspaces'))).toEqual([]);
  });
});

describe('WorkspaceService: a TTL the sandbox enforces itself', () => {
  it('a container whose main process ran out (exit 0) just before the expiry is expired, not died', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'short', backend: 'podman', ttlSec: 60 }, 'test');
    clock += 59_500; // Its `sleep 60` started a moment before the record's start.
    podman.sandboxes.set(ws.id, { running: false, description: 'container exited (exit code 0)', exitCode: 0 });
    const after = await svc.get('short');
    expect(after).toMatchObject({ state: 'expired', reason: 'TTL of 60 s elapsed', expiresAt: null });
    expect(svc.journal(ws).list().map((e) => e.event)).toEqual(['created', 'started', 'expired']);
  });

  it('one killed before its expiry (exit 137) died, with the reason', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'short', backend: 'podman', ttlSec: 60 }, 'test');
    clock += 10_000;
    podman.sandboxes.set(ws.id, { running: false, description: 'container exited (exit code 137)', exitCode: 137 });
    expect(await svc.get('short')).toMatchObject({ state: 'stopped', reason: 'container exited (exit code 137) outside Benchtop' });
  });

  it('an exited container found after the expiry is expired', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'short', backend: 'gvisor', ttlSec: 60 }, 'test');
    clock += 70_000;
    gvisor.sandboxes.set(ws.id, { running: false, description: 'container exited (exit code 0)', exitCode: 0 });
    expect(await svc.get('short')).toMatchObject({ state: 'expired', reason: 'TTL of 60 s elapsed' });
    expect(gvisor.removed).toEqual([ws.id]);
  });
});

describe('live process counts', () => {
  it('shows the count a backend reports on the workspace, never stores it, announces changes, and journals what a stop ended', async () => {
    const svc = service();
    const ws = await svc.create({ name: 'counted', backend: 'bwrap' }, 'test');
    bwrap.sandboxes.set(ws.id, { running: true, description: 'ready', processes: 2 });
    expect((await svc.list()).find((w) => w.id === ws.id)?.processes).toBe(2);
    expect((await svc.get('counted')).processes).toBe(2);
    // A change written after the count was known keeps it out of the record.
    bwrap.stopReport = { processesEnded: 2 };
    const changed: Workspace[] = [];
    svc.on({ workspaceChanged: (w) => changed.push(w) });
    await svc.poll();
    bwrap.sandboxes.set(ws.id, { running: true, description: 'ready', processes: 3 });
    await svc.poll();
    expect(changed.map((w) => w.processes)).toEqual([3]);
    await svc.stop('counted', 'test');
    const file = readFileSync(join(home, 'workspaces', ws.id, 'workspace.json'), 'utf8');
    expect(file).not.toContain('processes');
    expect(svc.journal(ws).list().at(-1)).toMatchObject({ event: 'stopped', detail: 'ended 2 processes' });
    expect(changed.at(-1)).toMatchObject({ state: 'stopped' });
    expect(changed.at(-1)?.processes).toBeUndefined();
    // A backend that cannot count shows none.
    const other = await svc.create({ name: 'uncounted', backend: 'podman' }, 'test');
    expect((await svc.get(other.id)).processes).toBeUndefined();
  });
});

describe('WorkspaceService: disk quota', () => {
  const MiB = 1024 * 1024;

  it('warns once per crossing of 90%, again after the use drops under it; refuses above the quota from the last measurement', async () => {
    const s = service();
    const ws = await s.create({ name: 'dq', backend: 'bwrap', diskQuotaMiB: 64 }, 'test');
    const dir = join(home, 'workspaces', ws.id, 'home');
    mkdirSync(dir, { recursive: true });
    /** The home holds `mib` MiB (real blocks), measured as a host with windows would after a command. */
    const fill = async (mib: number) => {
      writeFileSync(join(dir, 'big'), Buffer.alloc(mib * MiB, 1));
      await s.disk.measure([s.registry.get(ws.id)]);
    };
    const warning = async () => (await s.exec({ workspace: 'dq', argv: ['true'] }, 'test')).warning;

    await fill(60);
    expect(await warning()).toMatch(/^workspace "dq" uses 60 MiB of its 64 MiB disk quota \(9\d%\); above the quota new commands are refused$/);
    expect(await warning()).toBeUndefined();
    await fill(59); // still near: no new crossing
    expect(await warning()).toBeUndefined();
    await fill(10);
    expect(await warning()).toBeUndefined();
    await fill(60);
    expect(await warning()).toMatch(/^workspace "dq" uses 60 MiB/);

    await fill(70);
    const before = s.journal(ws).list(0, 1000).length;
    const err = await failure(s.exec({ workspace: 'dq', argv: ['echo', 'hi'] }, 'test'));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    const entries = s.journal(ws).list(0, 1000);
    expect(entries).toHaveLength(before + 1);
    expect([entries.at(-1)?.status, entries.at(-1)?.command, entries.at(-1)?.reason]).toEqual(['not-run', 'echo hi', err.message]);
    // The file is gone, but nobody measured: the last measurement still holds.
    rmSync(join(dir, 'big'));
    expect((await failure(s.exec({ workspace: 'dq', argv: ['true'] }, 'test'))).code).toBe('QUOTA_EXCEEDED');
    await s.disk.measure([s.registry.get(ws.id)]);
    expect((await s.exec({ workspace: 'dq', argv: ['true'] }, 'test')).exitCode).toBe(0);
  });
});
