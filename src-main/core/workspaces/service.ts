/**
 * The workspace service: the one core that the Electron app, the browser host
 * and the CLI all drive. It owns the records (create, start, stop, remove,
 * TTL reaping) and hands the rest to one owner each: where a sandbox lives
 * and how it is reconciled to its placement (placement/), commands to the
 * executor (exec.ts), lost records to broken.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import {
  ACTIVE_STATES,
  APPTAINER_OPTIONS_FIELD,
  BACKEND_IDS,
  BenchtopError,
  formatPort,
  LIMIT_RANGES,
  type BackendId,
  type BackendInfo,
  type CreateWorkspaceInput,
  type DownloadInput,
  type ExecInput,
  type ExecResult,
  type JournalEntry,
  type LimitName,
  type PortRequest,
  type PortStatus,
  type SandboxListing,
  type TransferResult,
  type UploadInput,
  type Workspace,
} from '../../../src-preload/contract';
import { nearQuotaWarning, refuseOverQuota, type DiskGateHost } from '../disk/gate';
import { DiskMeter } from '../disk/meter';
import { FileTransfers } from '../files/transfers';
import { createDrivers } from '../drivers/registry';
import type { Carrier } from '../process/types';
import type { Driver, DriverContext, SandboxStatus, StopReport } from '../drivers/types';
import { readHostInfo, type HostInfo } from '../host/hostinfo';
import { ImageCatalog } from '../images/catalog';
import { VmImageStore } from '../vm/store';
import { Journal, type NewEntry } from '../journal/journal';
import { createExecaRunner, type Runner } from '../runner/runner';
import { createRedactor, splitSensitive, type Redactor } from '../secrets/redact';
import { readTail } from '../host/read-tail';
import { diskStanding } from '../../../src-preload/disk/quota';
import { createSecretStore, type SecretStore } from '../secrets/store';
import { readJson } from '../store/atomic';
import { paths } from '../store/layout';
import { Registry } from '../store/registry';
import { PortService } from '../ports/service';
import { SlurmPlacement } from '../slurm/placement';
import { ensureWatchdog } from '../watchdog/ensure';
import type { KillSpec } from '../watchdog/kill';
import { hasRunning, reapOrphans, registerRunning, unregisterRunning } from '../watchdog/running';
import { BrokenRecords } from './broken';
import { Executor, notRunning, type ExecIO } from './exec';
import { LocalPlacement } from './placement/local';
import { SlurmAllocations } from './placement/slurm';
import { type Placement, type PlacementHost } from './placement/types';
import { FolderTracker } from './watch';
import { LiveProcesses } from './live-processes';
import { resolveHostPath, resolveProject, validateHostLimits } from './validate';

export interface ServiceEvents {
  workspaceChanged(ws: Workspace, removed: boolean): void;
  journalAppended(workspaceId: string, entry: JournalEntry): void;
}


export interface ServiceOptions {
  home: string;
  runner?: Runner;
  host?: HostInfo;
  drivers?: Partial<Record<BackendId, Driver>>;
  maxActive?: number;
  now?: () => number;
  /** Start the data folder's watchdog with the first exec (default); tests of state logic turn it off. */
  watchdog?: boolean;
  /**
   * Measure disk use whenever workspaces are listed or looked at (the CLI: its
   * `ls` and `status` show fresh numbers, and its quota holds without an app
   * running). Hosts with windows measure in the background instead.
   */
  measureDiskOnRead?: boolean;
  /** The guest agent binary VM images get (default: $BENCHTOP_AGENT, else build/agent/benchtop-agent). */
  vmAgent?: string;
}

/** A command, terminal or lifecycle event ended this long ago with no other since: measure the workspace's disk. */
const DISK_AFTER_COMMAND_MS = 1500;
/** How often a host with windows measures the workspaces that run (commands in terminals write too). */
const DISK_EVERY_MS = 60_000;

const LIMIT_FIELDS: Record<LimitName, 'cpus' | 'memoryMiB' | 'pids'> = { cpus: 'cpus', memory: 'memoryMiB', pids: 'pids' };

export class WorkspaceService {
  readonly registry: Registry;
  readonly secrets: SecretStore;
  readonly host: HostInfo;
  readonly slurm: SlurmPlacement;
  private readonly drivers: Record<BackendId, Driver>;
  private readonly listeners = new Set<Partial<ServiceEvents>>();
  private readonly now: () => number;
  private readonly maxActiveOverride: number | undefined;
  private readonly runner: Runner;
  private readonly executor: Executor;
  private readonly transfers: FileTransfers;
  private readonly brokenRecords: BrokenRecords;
  private readonly placements: { local: Placement; slurm: Placement };
  /** Each bwrap/host workspace's live process count, from the last reconcile. */
  private readonly live = new LiveProcesses();
  /** The images each backend can use, and pulls. */
  readonly images: ImageCatalog;
  /** The VM images (kernel + initramfs + root disk versions) QEMU workspaces boot. */
  readonly vmImages: VmImageStore;
  /** Measures disk use (see measureDiskInBackground and measureDiskOnRead). */
  readonly disk: DiskMeter;
  private readonly diskGate: DiskGateHost;
  private readonly ports: PortService;

  constructor(readonly options: ServiceOptions) {
    this.registry = new Registry(options.home);
    this.secrets = createSecretStore(options.home);
    this.host = options.host ?? readHostInfo();
    this.now = options.now ?? Date.now;
    this.maxActiveOverride = options.maxActive;
    const ctx: DriverContext = {
      runner: options.runner ?? createExecaRunner(),
      host: this.host,
      workspaceDir: (ws) => this.registry.dir(ws.id),
      home: options.home,
    };
    this.drivers = createDrivers(ctx, options.drivers);
    this.slurm = new SlurmPlacement(ctx.runner, (ws) => this.registry.dir(ws.id));
    this.runner = ctx.runner;
    const placementHost: PlacementHost = {
      driver: (ws) => this.drivers[ws.backend],
      allDrivers: () => Object.values(this.drivers),
      update: (id, mutate, opts) => this.update(id, mutate, opts),
      lifecycle: (ws, event, client, detail) => this.lifecycle(ws, event, client, detail),
      expire: (ws) => this.expire(ws),
      secretsOf: (ws) => this.secrets.get(ws.id),
      redactor: () => this.redactor(),
      read: (id) => this.registry.read(id),
      now: () => this.now(),
      observed: (list, statuses) => this.live.update(list, statuses),
      reconciled: async (ws, event) => {
        if (event === 'died') await this.ports.close(ws);
        // Ports of a running workspace whose forwarder is gone (killed, or the sandbox adopted) are published again.
        else if (ws.state === 'running' && ws.ports.length) await this.ports.ensure(ws);
      },
    };
    this.placements = { local: new LocalPlacement(placementHost), slurm: new SlurmAllocations(placementHost, this.slurm) };
    this.brokenRecords = new BrokenRecords({
      home: options.home,
      registry: this.registry,
      drivers: this.drivers,
      slurm: this.slurm,
      secrets: this.secrets,
      now: () => this.now(),
      emitChanged: (ws, removed) => this.emitChanged(ws, removed),
    });
    this.disk = new DiskMeter({
      runner: ctx.runner,
      now: () => this.now(),
      dir: (ws) => this.registry.dir(ws.id),
      driver: (ws) => this.drivers[ws.backend],
      record: async (id, use) => {
        await this.update(id, (w) => {
          if (w.disk && w.disk.measuredAt > use.measuredAt) return null; // Someone measured later.
          // Under 90% again: the next crossing is warned about again.
          const level = diskStanding({ limits: w.limits, disk: { ...use, warned: false } }).level;
          const warned = level === 'near' || level === 'over' ? (w.disk?.warned ?? false) : false;
          return { ...w, disk: { ...use, warned } };
        });
      },
    });
    this.diskGate = {
      now: () => this.now(),
      defaultCwd: (ws) => this.drivers[ws.backend].defaultCwd(ws),
      appendJournal: (ws, entry) => this.appendJournal(ws, entry),
      markWarned: async (ws) => !!(await this.update(ws.id, (w) => (w.disk && !w.disk.warned ? { ...w, disk: { ...w.disk, warned: true } } : null))),
    };
    this.ports = new PortService({
      driver: (ws) => this.drivers[ws.backend],
      dir: (ws) => this.registry.dir(ws.id),
      update: (id, mutate) => this.update(id, mutate),
      now: () => this.now(),
    });
    this.images = new ImageCatalog({ driver: (id) => this.drivers[id], workspaces: () => this.registry.list() });
    this.vmImages = new VmImageStore(options.home, ctx.runner, options.vmAgent);
    this.executor = new Executor({
      home: options.home,
      runner: ctx.runner,
      now: () => this.now(),
      driver: (ws) => this.drivers[ws.backend],
      journal: (ws) => this.journal(ws),
      secretsOf: (ws) => this.secrets.get(ws.id),
      redactor: (extra) => this.redactor(extra),
      carrier: (ws) => this.carrier(ws),
      announce: (ws, entry) => this.emitAppended(ws.id, entry),
      reconcile: async (ws) => {
        await this.refresh([ws]);
        return this.registry.get(ws.id);
      },
      watchdog: options.watchdog ?? true,
    });
    this.transfers = new FileTransfers({
      now: () => this.now(),
      driver: (ws) => this.drivers[ws.backend],
      carrier: (ws) => this.carrier(ws),
      redactor: () => this.redactor(),
      appendJournal: (ws, entry) => this.appendJournal(ws, entry),
    });
  }

  on(listener: Partial<ServiceEvents>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The configured maximum of active workspaces: option, BENCHTOP_MAX_ACTIVE, config.json, or 16. */
  get maxActive(): number {
    if (this.maxActiveOverride !== undefined) return this.maxActiveOverride;
    const env = Number(process.env.BENCHTOP_MAX_ACTIVE);
    if (Number.isInteger(env) && env > 0) return env;
    const cfg = readJson<{ maxActiveWorkspaces?: number }>(`${this.options.home}/config.json`);
    return cfg?.maxActiveWorkspaces ?? 16;
  }

  /** Appends to a workspace's journal and tells listeners. Every field is redacted. */
  async appendJournal(ws: Workspace, entry: NewEntry): Promise<JournalEntry> {
    const full = await this.journal(ws).append((await this.redactor()).value(entry));
    this.emitAppended(ws.id, full);
    return full;
  }

  /**
   * Writes the entry of something that starts now (a terminal session) and
   * registers it with the watchdog, which ends it (`kill`) and completes the
   * entry as interrupted if this process dies first. Pair with {@link endRunning}.
   */
  async beginRunning(ws: Workspace, entry: NewEntry, runningId: string, kill: KillSpec): Promise<JournalEntry> {
    // A terminal's output is its recording: no stdout/stderr files.
    const begun = await this.journal(ws).begin((await this.redactor()).value(entry), { output: false });
    this.emitAppended(ws.id, begun);
    registerRunning(this.options.home, { execId: runningId, workspaceId: ws.id, seq: begun.seq, startedAt: begun.startedAt, kill });
    if (this.options.watchdog ?? true) ensureWatchdog(this.options.home);
    return begun;
  }

  /** Completes an entry begun with {@link beginRunning}. */
  async endRunning(ws: Workspace, seq: number, runningId: string, patch: Partial<JournalEntry>): Promise<JournalEntry> {
    try {
      const done = await this.journal(ws).complete(seq, (await this.redactor()).value(patch));
      this.emitAppended(ws.id, done);
      return done;
    } finally {
      unregisterRunning(this.options.home, runningId);
    }
  }

  async redactor(extra: Iterable<string> = []): Promise<Redactor> {
    return createRedactor([...(await this.secrets.allValues()), ...extra]);
  }

  private emitChanged(record: Workspace, removed = false): void {
    const ws = this.live.view(record);
    this.tracker?.sawOwnChange(ws, removed);
    for (const l of this.listeners) l.workspaceChanged?.(ws, removed);
  }

  private emitAppended(workspaceId: string, entry: JournalEntry): void {
    // A poll may have seen the line first: it is announced once.
    if (this.tracker && !this.tracker.claimEntry(workspaceId, entry)) return;
    for (const l of this.listeners) l.journalAppended?.(workspaceId, entry);
  }

  /** Created by the first poll: only a host that polls keeps track. */
  private tracker: FolderTracker | null = null;

  /**
   * Reconciles, and announces what changed in the data folder since the last
   * poll by anyone (another process included): workspaces created, changed or
   * removed, journal entries written. Hosts with windows call it every ~2 s.
   */
  async poll(opts: { reconcile: boolean } = { reconcile: true }): Promise<void> {
    const first = this.tracker === null;
    this.tracker ??= new FolderTracker((id) => this.registry.dir(id));
    // Without reconcile only the records are read (no backend call): cheap enough to do often.
    const all = opts.reconcile || first ? await this.list() : this.registry.list().map((w) => this.live.view(w));
    const changes = this.tracker.diff(all, opts.reconcile || first);
    if (first) return;
    for (const ws of changes.changed) for (const l of this.listeners) l.workspaceChanged?.(ws, false);
    for (const ws of changes.removed) for (const l of this.listeners) l.workspaceChanged?.({ ...ws, reason: 'removed' }, true);
    for (const { workspaceId, entry } of changes.appended) for (const l of this.listeners) l.journalAppended?.(workspaceId, entry);
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  journal(ws: Workspace): Journal {
    return new Journal(this.registry.dir(ws.id));
  }

  private async lifecycle(ws: Workspace, event: string, client: string, detail: string | null, exitCode: number | null = null): Promise<void> {
    const entry: NewEntry = {
      workspaceId: ws.id,
      source: 'lifecycle',
      command: event,
      argv: null,
      cwd: null,
      client,
      startedAt: this.nowIso(),
      durationMs: 0,
      exitCode,
      timedOut: false,
      event,
      detail,
    };
    try {
      await this.appendJournal(ws, entry);
    } catch (err) {
      // Removed meanwhile (by another process): its journal went with it, and is not brought back.
      if (err instanceof BenchtopError && err.code === 'NOT_FOUND' && !existsSync(this.registry.dir(ws.id))) return;
      throw err;
    }
  }

  /** Read-modify-write of one record under its lock; `mutate` returns null for "no change". */
  private async update(id: string, mutate: (ws: Workspace) => Workspace | null, opts: { try?: boolean } = {}): Promise<Workspace | null> {
    const body = () => {
      const fresh = this.registry.read(id);
      if (!fresh) return null;
      const next = mutate(fresh);
      if (!next) return null;
      const written = { ...next, updatedAt: this.nowIso() };
      this.registry.write(written);
      return written;
    };
    const ws = opts.try ? ((await this.registry.tryWorkspaceLock(id, body)) ?? null) : await this.registry.withWorkspaceLock(id, body);
    if (ws) this.emitChanged(ws);
    return ws;
  }

  driver(id: BackendId): Driver {
    return this.drivers[id];
  }

  /** Where the workspace's sandbox lives: it starts, stops, lists and carries processes there. */
  private placement(ws: Workspace): Placement {
    return this.placements[ws.placement.kind];
  }

  /** What carries a process into where the workspace is placed: srun into its SLURM allocation, or nothing. */
  carrier(ws: Workspace): Carrier | undefined {
    return this.placement(ws).carrier(ws);
  }

  async backends(): Promise<BackendInfo[]> {
    return Promise.all(BACKEND_IDS.map(async (id) => ({ ...(await this.drivers[id].detect()), descriptor: this.drivers[id].descriptor })));
  }

  async create(input: CreateWorkspaceInput, client: string): Promise<Workspace> {
    const driver = this.drivers[input.backend];
    const described = driver.descriptor;
    if (described.needsConsent && !input.allowHost) {
      throw new BenchtopError('INVALID_INPUT', `allowHost: the ${input.backend} backend has NO isolation (commands run as you, on this machine); pass --allow-host to use it`, { field: 'allowHost' });
    }
    validateHostLimits(input, this.host);
    if (input.slurm) {
      if (!described.supports.slurm) {
        const can = BACKEND_IDS.filter((id) => this.drivers[id].descriptor.supports.slurm).join(', ');
        throw new BenchtopError('INVALID_INPUT', `slurm: the ${input.backend} backend cannot be placed in SLURM (use ${can})`, { field: 'slurm' });
      }
      const ok = this.slurm.available();
      if (!ok.ok) throw new BenchtopError('BACKEND_UNAVAILABLE', `slurm: ${ok.why}`, { hint: ok.why });
    }
    if ((input.mounts?.length || input.devRepos?.length || input.apptainer) && !described.supports.apptainerOptions) {
      const field = input.mounts?.length ? 'mounts' : input.devRepos?.length ? 'devRepos' : APPTAINER_OPTIONS_FIELD;
      const can = BACKEND_IDS.filter((id) => this.drivers[id].descriptor.supports.apptainerOptions).join(', ');
      throw new BenchtopError('INVALID_INPUT', `${field}: extra mounts, dev repos and apptainer options are for the ${can} backend`, { field });
    }
    if (input.apptainer?.applyCgroups && (input.cpus !== undefined || input.memoryMiB !== undefined || input.pids !== undefined)) {
      throw new BenchtopError('INVALID_INPUT', 'apptainer.applyCgroups: give cpus/memory/pids or a cgroups file, not both', { field: 'apptainer.applyCgroups' });
    }
    const mounts = (input.mounts ?? []).map((m, i) => ({ ...m, hostPath: resolveHostPath(m.hostPath, `mounts.${i}.hostPath`, this.options.home) }));
    const devRepos = (input.devRepos ?? []).map((r, i) => ({ ...r, hostPath: resolveHostPath(r.hostPath, `devRepos.${i}.hostPath`, this.options.home) }));
    const info = await driver.detect();
    if (!info.available) throw new BenchtopError('BACKEND_UNAVAILABLE', `${input.backend}: ${info.hint ?? 'not available'}`, { hint: info.hint });
    if (input.gpu) {
      // Asked for and not possible is an error, never a workspace silently without its GPU.
      const why = driver.gpuSupport ? await driver.gpuSupport() : `${input.backend} cannot give a workspace a GPU (podman with a CDI spec, or apptainer, can)`;
      if (why) throw new BenchtopError('INVALID_INPUT', `gpu: ${why}`, { field: 'gpu' });
    }
    await this.ports.checkRequest({ backend: input.backend, placement: input.slurm ? { kind: 'slurm', ...input.slurm } : { kind: 'local' } }, driver, input.ports ?? []);
    const network = input.network ?? described.defaultNetwork;
    if (!info.capabilities.network.includes(network)) {
      throw new BenchtopError('INVALID_INPUT', `network: ${input.backend} supports only ${info.capabilities.network.join(', ')} here`, { field: 'network' });
    }
    const unenforced: LimitName[] = [];
    for (const limit of ['cpus', 'memory', 'pids'] as const) {
      if (input[LIMIT_FIELDS[limit]] === undefined || info.capabilities.enforcedLimits.includes(limit)) continue;
      if (!input.bestEffortLimits) {
        const why = info.capabilities.enforcedLimits.length === 0 ? (info.hint ?? 'no cgroup is available to it') : `only ${info.capabilities.enforcedLimits.join(', ')} can be enforced`;
        throw new BenchtopError(
          'LIMIT_UNENFORCEABLE',
          `${LIMIT_FIELDS[limit]}: ${input.backend} cannot enforce a ${limit} limit on this host (${why}); pass --best-effort-limits to record it unenforced`,
          { field: LIMIT_FIELDS[limit], limit },
        );
      }
      unenforced.push(limit);
    }
    driver.checkLimits?.({ cpus: input.cpus, memoryMiB: input.memoryMiB, pids: input.pids });
    const image = await driver.resolveImage(input.image);
    const runtime = driver.chooseRuntime ? await driver.chooseRuntime() : {};
    const id = randomBytes(6).toString('hex');
    const dir = this.registry.dir(id);
    const project = input.project ? resolveProject(input.project, this.options.home, { create: input.createProject === true }) : paths.files(dir);
    const { plain: env, secret: envSecrets } = splitSensitive(input.env ?? {});
    const secretValues = { ...envSecrets, ...(input.secrets ?? {}) };
    const at = this.nowIso();
    const ws: Workspace = {
      id,
      name: input.name,
      backend: input.backend,
      state: 'created',
      reason: null,
      image: image.image,
      imageKind: image.imageKind,
      project,
      limits: {
        ...(input.cpus !== undefined ? { cpus: input.cpus } : {}),
        ...(input.memoryMiB !== undefined ? { memoryMiB: input.memoryMiB } : {}),
        ...(input.pids !== undefined ? { pids: input.pids } : {}),
        ...(input.diskQuotaMiB !== undefined ? { diskQuotaMiB: input.diskQuotaMiB } : {}),
        execTimeoutSec: input.execTimeoutSec ?? LIMIT_RANGES.execTimeoutSec.default,
      },
      unenforcedLimits: unenforced,
      network,
      isolation: info.capabilities.isolation,
      env,
      secretKeys: Object.keys(secretValues).sort(),
      ttlSec: input.ttlSec ?? null,
      expiresAt: null,
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      stoppedAt: null,
      placement: input.slurm ? { kind: 'slurm', ...input.slurm } : { kind: 'local' },
      slurm: null,
      disk: null,
      mounts,
      devRepos,
      gpu: input.gpu ?? false,
      ports: (input.ports ?? []).map((p) => ({ port: p.port, hostPort: p.hostPort ?? null })),
      apptainer: input.apptainer?.overlay ? { ...input.apptainer, overlay: resolveHostPath(input.apptainer.overlay, 'apptainer.overlay', this.options.home) } : (input.apptainer ?? {}),
      runtime,
    };
    await this.registry.withRegistryLock(async () => {
      const taken = this.registry.list().find((w) => w.name === input.name);
      if (taken) throw new BenchtopError('CONFLICT', `a workspace named "${input.name}" already exists (${taken.backend}, ${taken.state})`, { field: 'name' });
      mkdirSync(dir, { recursive: true });
      if (!input.project) mkdirSync(project, { recursive: true });
      // Secrets first: a record never names a key whose value was lost.
      await this.secrets.set(id, secretValues);
      await driver.prepare(ws);
      this.registry.write(ws);
    });
    this.emitChanged(ws);
    const summary = [
      `backend=${ws.backend}`,
      ws.image ? `image=${ws.image}` : null,
      `project=${ws.project}`,
      `network=${ws.network}`,
      ws.isolation === 'none' ? 'isolation=NONE' : null,
      unenforced.length ? `unenforced=${unenforced.join(',')}` : null,
      ws.limits.diskQuotaMiB !== undefined ? `disk-quota=${ws.limits.diskQuotaMiB}MiB (${described.disk.quota})` : null,
      ws.ports.length ? `ports=${ws.ports.map(formatPort).join(',')}` : null,
    ].filter(Boolean).join(' ');
    await this.lifecycle(ws, 'created', client, summary);
    if (input.start === false) return ws;
    return this.start(ws.id, client);
  }

  async start(ref: string, client: string): Promise<Workspace> {
    const ws = this.registry.get(ref);
    const starting = await this.registry.withRegistryLock(() =>
      this.update(ws.id, (w) => {
        if (w.state === 'running') return null;
        if (w.state === 'starting' || w.state === 'stopping') throw new BenchtopError('CONFLICT', `workspace "${w.name}" is ${w.state}`);
        const active = this.registry.list().filter((o) => o.id !== w.id && ACTIVE_STATES.has(o.state)).length;
        if (active >= this.maxActive) {
          throw new BenchtopError('QUOTA_EXCEEDED', `${active} workspaces are active, the maximum is ${this.maxActive} (stop one, or raise maxActiveWorkspaces in config.json)`);
        }
        return { ...w, state: 'starting', reason: null };
      }),
    );
    if (!starting) return this.registry.get(ws.id);
    const started = await this.placement(starting).start(starting, client);
    return started.state === 'running' ? this.publishPorts(started, client) : started;
  }

  async stop(ref: string, client: string): Promise<Workspace> {
    const ws = this.registry.get(ref);
    const stopping = await this.update(ws.id, (w) => {
      if (w.state === 'stopping') throw new BenchtopError('CONFLICT', `workspace "${w.name}" is already stopping`);
      if (!ACTIVE_STATES.has(w.state)) return null;
      return { ...w, state: 'stopping' };
    });
    if (!stopping) return this.registry.get(ws.id);
    await this.ports.close(stopping);
    let report: StopReport | void = undefined;
    try {
      report = await this.placement(stopping).stop(stopping);
    } catch (err) {
      await this.update(ws.id, (w) => ({ ...w, state: 'failed', reason: `stop failed: ${(err as Error).message}` }));
      throw err;
    }
    const stopped = await this.update(ws.id, (w) => ({
      ...w,
      state: 'stopped',
      reason: `stopped by ${client}${w.slurm ? ` (SLURM job ${w.slurm.jobId} cancelled)` : ''}`,
      stoppedAt: this.nowIso(),
      expiresAt: null,
      ...(w.slurm ? { slurm: { ...w.slurm, state: 'CANCELLED', timeLeft: null } } : {}),
    }));
    const ended = report?.processesEnded;
    if (ended !== undefined) this.live.ended(ws.id);
    await this.lifecycle(ws, 'stopped', client, ended === undefined ? null : `ended ${ended} process${ended === 1 ? '' : 'es'}`);
    return stopped ?? this.registry.get(ws.id);
  }

  async remove(ref: string, client: string): Promise<{ id: string; name: string }> {
    const ws = this.registry.find(ref);
    if (!ws) return this.brokenRecords.remove(ref, client);
    await this.ports.close(ws);
    try {
      await this.placement(ws).remove(ws);
    } catch (err) {
      // An uninstalled backend holds no sandbox to remove; any other failure keeps the record.
      if (!(err instanceof BenchtopError && err.code === 'BACKEND_UNAVAILABLE')) throw err;
    }
    await this.registry.withRegistryLock(async () => {
      await this.registry.withWorkspaceLock(ws.id, () => this.registry.remove(ws.id));
      this.registry.removeLocks(ws.id);
      await this.secrets.delete(ws.id);
    });
    this.emitChanged({ ...ws, state: 'stopped', reason: `removed by ${client}` }, true);
    return { id: ws.id, name: ws.name };
  }

  async get(ref: string): Promise<Workspace> {
    const ws = this.registry.find(ref);
    if (!ws) {
      const broken = (await this.brokenRecords.list(await this.brokenRecords.containers())).filter((b) => b.id === ref || b.name === ref);
      if (broken[0]) return broken.find((b) => b.id === ref) ?? broken[0];
      return this.registry.get(ref); // Throws NOT_FOUND.
    }
    await this.refresh([ws]);
    if (this.options.measureDiskOnRead) await this.disk.measure([this.registry.get(ws.id)]);
    return this.live.view(this.registry.get(ws.id));
  }

  /**
   * Every workspace, reconciled, and the broken ones (state `broken`, with the reason).
   * Calls that arrive while one runs share ONE next run (a burst of clients costs two backend listings, not one each).
   */
  list(): Promise<Workspace[]> {
    return this.listing.call();
  }

  private readonly listing = coalesced(() => this.listNow());

  private async listNow(): Promise<Workspace[]> {
    const containers = await this.reconcile(undefined, true);
    if (this.options.measureDiskOnRead) await this.disk.measure(this.registry.list());
    const { records, damaged } = this.registry.scan();
    const broken = await this.brokenRecords.list(containers, damaged);
    return [...records.map((w) => this.live.view(w)), ...broken].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  /**
   * Reconciles records with what the backends report (ONE list call per
   * backend family) and reaps expired workspaces. The backend is the truth.
   */
  async refresh(only?: Workspace[]): Promise<void> {
    await this.reconcile(only, false);
  }

  /**
   * refresh(); returns what the backends that label their sandboxes listed
   * (every Benchtop container, for broken workspaces). With `everyContainer`
   * they are listed even when no record is one of theirs.
   */
  private async reconcile(only: Workspace[] | undefined, everyContainer: boolean): Promise<Map<string, SandboxStatus>> {
    // Commands whose owner died and no watchdog ended: end them and complete their entries.
    if (hasRunning(this.options.home)) await reapOrphans(this.options.home, this.runner, this.now).catch(() => 0);
    const all = only ?? this.registry.list();
    const local = all.filter((w) => this.placement(w) === this.placements.local);
    const [listed] = await Promise.all([
      this.placements.local.reconcile(local, { everyContainer }),
      ...Object.values(this.placements)
        .filter((p) => p !== this.placements.local)
        .map((p) => {
          const here = all.filter((w) => this.placement(w) === p);
          return here.length ? p.reconcile(here, { everyContainer }) : undefined;
        }),
    ]);
    return listed;
  }

  private async expire(ws: Workspace): Promise<void> {
    await this.ports.close(ws);
    try {
      await this.placement(ws).remove(ws);
    } catch {
      // Reaping continues: the record must say expired even if the backend is gone.
    }
    const detail = `TTL of ${ws.ttlSec} s elapsed`;
    const next = await this.update(ws.id, (w) => (ACTIVE_STATES.has(w.state) ? { ...w, state: 'expired', reason: detail, stoppedAt: this.nowIso(), expiresAt: null } : null));
    if (next) await this.lifecycle(next, 'expired', 'reaper', detail);
  }

  /**
   * Publishes the ports of a workspace that just started; a port that could
   * not be published is named in its reason (the workspace runs all the same).
   */
  private async publishPorts(ws: Workspace, client: string): Promise<Workspace> {
    const failed = await this.ports.ensure(this.registry.get(ws.id), { retryNow: true });
    if (failed.length === 0) return this.registry.get(ws.id);
    const reason = `ports not published: ${failed.join('; ')}`;
    await this.lifecycle(ws, 'ports-failed', client, reason);
    return (await this.update(ws.id, (w) => ({ ...w, reason }))) ?? this.registry.get(ws.id);
  }

  /** The last `tailBytes` of the workspace's machine console (see Driver.consoleLog), secrets redacted. */
  async console(ref: string, tailBytes: number): Promise<{ text: string; sizeBytes: number; truncated: boolean }> {
    const ws = this.registry.get(ref);
    const driver = this.drivers[ws.backend];
    if (!driver.consoleLog) throw new BenchtopError('CONFLICT', `workspace "${ws.name}": ${ws.backend} workspaces have no machine console`);
    const { text, sizeBytes } = readTail(driver.consoleLog(ws), tailBytes);
    return { text: (await this.redactor()).text(text), sizeBytes, truncated: sizeBytes > tailBytes };
  }

  /** A workspace's published ports, and whether each listens now. */
  async listPorts(ref: string): Promise<PortStatus[]> {
    const ws = this.registry.get(ref);
    await this.refresh([ws]);
    return this.ports.list(this.registry.get(ws.id));
  }

  /** Publishes a port (see PortService.add); journaled as a lifecycle entry. */
  async addPort(ref: string, req: PortRequest, client: string): Promise<PortStatus> {
    const ws = this.registry.get(ref);
    await this.refresh([ws]);
    const status = await this.ports.add(this.registry.get(ws.id), req);
    await this.lifecycle(ws, 'port-published', client, `127.0.0.1:${status.hostPort ?? '?'} -> ${status.port}`);
    return status;
  }

  async removePort(ref: string, req: PortRequest, client: string): Promise<PortStatus[]> {
    const ws = this.registry.get(ref);
    const left = await this.ports.remove(ws, req);
    await this.lifecycle(ws, 'port-removed', client, `${req.hostPort !== undefined ? `${req.hostPort}:` : ''}${req.port}`);
    return left;
  }

  /** Runs one command (see exec.ts); `io.onOutput` receives its output as it comes. */
  async exec(input: ExecInput, client: string, io: ExecIO = {}): Promise<ExecResult> {
    // Reserved before anything awaits: stdin sent right after the request finds it.
    const execId = this.executor.reserve(input);
    try {
      const ws = await this.running(input.workspace);
      // The last measurement decides (nothing is measured on this path).
      await refuseOverQuota(this.diskGate, ws, input, client);
      const result = await this.executor.run(ws, execId, input, client, io);
      const warning = await nearQuotaWarning(this.diskGate, ws);
      return warning ? { ...result, warning } : result;
    } finally {
      this.executor.release(execId);
    }
  }

  /**
   * For hosts with windows: measures each workspace's disk use a moment after
   * a command (or terminal, or lifecycle event) of it ends — whichever process
   * ran it — and every running one each minute. Returns the stop.
   */
  measureDiskInBackground(opts: { afterMs?: number; everyMs?: number } = {}): () => void {
    const off = this.on({
      journalAppended: (workspaceId, entry) => {
        if (entry.status === 'running') return;
        const ws = this.registry.read(workspaceId);
        if (ws) this.disk.soon(ws, opts.afterMs ?? DISK_AFTER_COMMAND_MS);
      },
    });
    const stop = this.disk.every(opts.everyMs ?? DISK_EVERY_MS, () => this.registry.list().filter((w) => w.state === 'running' || w.disk === null));
    return () => {
      off();
      stop();
    };
  }

  /** The workspace, when it is running (one whose TTL ran out is expired first); else a CONFLICT saying its state. */
  private async running(ref: string): Promise<Workspace> {
    let ws = this.registry.get(ref);
    if (ws.expiresAt && Date.parse(ws.expiresAt) <= this.now()) {
      await this.expire(ws);
      ws = this.registry.get(ws.id);
    }
    if (ws.state !== 'running') throw notRunning(ws);
    return ws;
  }

  /** The backend can copy files (its descriptor says so), or an error naming it. */
  private filesOf(ws: Workspace): Workspace {
    if (!this.drivers[ws.backend].descriptor.supports.files) {
      throw new BenchtopError('INVALID_INPUT', `workspace "${ws.name}": its backend (${this.drivers[ws.backend].descriptor.label}) cannot copy files`, { field: 'workspace' });
    }
    return ws;
  }

  /** Copies a tar stream into a running workspace (see files/transfers.ts); its bytes come through {@link uploadChunk}. */
  async upload(input: UploadInput, client: string): Promise<TransferResult> {
    // Reserved before anything awaits: chunks sent right after the request find it.
    this.transfers.reserveUpload(input.transferId);
    try {
      return await this.transfers.upload(this.filesOf(await this.running(input.workspace)), input, client);
    } finally {
      this.transfers.releaseUpload(input.transferId);
    }
  }

  /** The next chunk of an upload's tar stream; `eof` ends it, `abort` stops the copy with that reason. */
  uploadChunk(transferId: string, data: Buffer | null, eof: boolean, abort?: string): Promise<void> {
    return this.transfers.chunk(transferId, data, eof, abort);
  }

  /** A folder of a running workspace as its sandbox sees it. */
  async listFiles(ref: string, path: string | undefined): Promise<SandboxListing> {
    return this.transfers.list(this.filesOf(await this.running(ref)), path);
  }

  /** Copies a file or folder out of a running workspace as a tar stream, chunk by chunk to `onData`. */
  async download(input: DownloadInput, client: string, onData: (chunk: Buffer) => void): Promise<TransferResult> {
    return this.transfers.download(this.filesOf(await this.running(input.workspace)), input, client, onData);
  }

  /** Bytes for the stdin of a running exec (`exec.input`). */
  execInput(execId: string, data: Buffer | null, eof: boolean): Promise<void> {
    return this.executor.input(execId, data, eof);
  }

  execCancel(execId: string): void {
    this.executor.cancel(execId);
  }
}


/**
 * Runs `fn` at most once at a time: a call made while it runs waits for the
 * run after it, which every such call shares, so each sees a run that started
 * after it was made.
 */
function coalesced<T>(fn: () => Promise<T>): { call(): Promise<T> } {
  let running: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const call = (): Promise<T> => {
    if (!running) {
      running = fn().finally(() => (running = null));
      return running;
    }
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return call();
      });
    return next;
  };
  return { call };
}
