/**
 * Broken workspaces: what Benchtop finds of a workspace whose record is
 * damaged or gone — a folder whose workspace.json is missing, truncated or
 * invalid, or a podman container of this data folder whose folder was
 * deleted. They are listed with the state `broken` and the reason (only id,
 * state and reason are guaranteed; the rest is what could be salvaged), and
 * `rm` removes them with their sandbox, folder, locks and secrets.
 */
import { BACKEND_IDS, BenchtopError, LIMIT_RANGES, type BackendId, type Workspace } from '../../../src-preload/contract';
import { FALLBACK_BACKEND } from '../drivers/registry';
import type { Driver, SandboxStatus } from '../drivers/types';
import type { SecretStore } from '../secrets/store';
import type { SlurmPlacement } from '../slurm/placement';
import type { DamagedRecord, Registry } from '../store/registry';

/** What broken records need of the workspace service. */
export interface BrokenHost {
  readonly home: string;
  readonly registry: Registry;
  readonly drivers: Record<BackendId, Driver>;
  readonly slurm: SlurmPlacement;
  readonly secrets: SecretStore;
  now(): number;
  emitChanged(ws: Workspace, removed: boolean): void;
}

/** A workspace without a valid record (state broken), and what is known of its sandbox. */
interface Broken {
  ws: Workspace;
  /** podman listed a container of it. */
  container: boolean;
  /** Its backend was read from the record or the container, not guessed. */
  backendKnown: boolean;
}

export class BrokenRecords {
  constructor(private readonly host: BrokenHost) {}

  /**
   * Removes a broken workspace (see {@link list}): its sandbox, as far as
   * anything says which (the container found by its label, the backend and
   * SLURM job salvaged from the record, else every backend that keys its
   * sandboxes by the workspace id), then its folder, locks and secrets.
   */
  async remove(ref: string, client: string): Promise<{ id: string; name: string }> {
    const all = this.find(await this.containers());
    const named = all.filter((b) => b.ws.name === ref);
    const hit = all.find((b) => b.ws.id === ref) ?? named[0];
    if (!hit) {
      this.host.registry.removeLocks(); // Locks of workspaces already gone are not workspaces: just tidy them.
      throw new BenchtopError('NOT_FOUND', `no workspace named "${ref}"`, { workspace: ref });
    }
    if (named.length > 1 && hit.ws.id !== ref) {
      throw new BenchtopError('CONFLICT', `${named.length} broken workspaces are named "${ref}" (${named.map((b) => b.ws.id).join(', ')}): remove them by id`, { workspace: ref });
    }
    const { ws } = hit;
    const everyDriver = Object.values(this.host.drivers);
    // Backends that key sandboxes by the workspace id without labels must each be asked when the backend is unknown.
    const known = hit.backendKnown ? [this.host.drivers[ws.backend]] : everyDriver.filter((d) => !d.descriptor.labelsSandboxes);
    // A labelled sandbox (a container) goes through the driver that lists it (podman knows a container's runtime).
    const labelled = hit.container ? everyDriver.filter((d) => d.descriptor.labelsSandboxes) : [];
    const drivers = new Set<Driver>([...known, ...labelled].map((d) => this.listOwner(d)));
    for (const d of drivers) {
      try {
        await d.remove(ws);
      } catch (err) {
        // An uninstalled backend holds nothing; a container that would not go keeps the folder, for another try.
        if (!(err instanceof BenchtopError && err.code === 'BACKEND_UNAVAILABLE')) throw err;
      }
    }
    if (ws.slurm?.jobId) await this.host.slurm.cancelIfOurs(ws).catch(() => undefined);
    await this.host.registry.withRegistryLock(async () => {
      await this.host.registry.withWorkspaceLock(ws.id, () => {
        if (this.host.registry.read(ws.id)) throw new BenchtopError('CONFLICT', `workspace "${ref}" has a valid record again: not removed`, { workspace: ref });
        this.host.registry.remove(ws.id);
      });
      this.host.registry.removeLocks(ws.id);
      await this.host.secrets.delete(ws.id);
    });
    this.host.registry.removeLocks();
    this.host.emitChanged({ ...ws, reason: `removed by ${client}` }, true);
    return { id: ws.id, name: ws.name };
  }

  /** What the podman driver lists (one call); empty when podman is missing or cannot list right now. */
  async containers(): Promise<Map<string, SandboxStatus>> {
    try {
      return await this.host.drivers.podman.list([]);
    } catch {
      return new Map();
    }
  }

  /**
   * Workspaces Benchtop finds something of but no valid record: a folder whose
   * workspace.json is missing, truncated or invalid, and a podman container of
   * this data folder (its `benchtop.home` label) whose folder is gone. A lock
   * file alone is not a workspace. Read without the registry lock; see
   * {@link list} for the confirmed list.
   */
  private find(containers: Map<string, SandboxStatus>, damaged = this.host.registry.damaged()): Broken[] {
    const out: Broken[] = [];
    for (const d of damaged) {
      const s = containers.get(d.id);
      const reason = s ? `${d.reason}; its ${containerOf(s)} is ${s.running ? 'running' : 'stopped'}` : d.reason;
      out.push(this.workspace(d.id, reason, d.salvage, d.changedAt, s));
    }
    for (const [id, s] of containers) {
      if (s.sandbox?.home !== this.host.home || this.host.registry.inspect(id).kind !== 'none') continue;
      out.push(this.workspace(id, `its folder ${this.host.registry.dir(id)} is gone, but its ${containerOf(s)} is still there (${s.description})`, {}, null, s));
    }
    return out;
  }

  /** The broken workspaces, confirmed under the registry lock (create and remove hold it while a folder has no record). */
  async list(containers: Map<string, SandboxStatus>, damaged?: DamagedRecord[]): Promise<Workspace[]> {
    const seen = this.find(containers, damaged);
    if (seen.length === 0) return [];
    return this.host.registry.withRegistryLock(async () => {
      // A container seen before a removal finished may be gone now: ask again only when one counted.
      const again = seen.some((b) => b.container && this.host.registry.inspect(b.ws.id).kind === 'none') ? await this.containers() : containers;
      return this.find(again).map((b) => b.ws);
    });
  }

  /** The driver whose id is this driver's list key: it lists (and removes) the sandboxes of all that share it. */
  private listOwner(d: Driver): Driver {
    return Object.values(this.host.drivers).find((o) => o.id === d.listKey) ?? d;
  }

  /** The backend a labelled sandbox says it is, else the one that lists labelled sandboxes. */
  private labelledBackend(s: SandboxStatus): BackendId | undefined {
    const said = BACKEND_IDS.find((id) => id === s.sandbox?.backend);
    if (said) return said;
    const labeller = Object.values(this.host.drivers).find((d) => d.descriptor.labelsSandboxes);
    return labeller ? this.listOwner(labeller).id : undefined;
  }

  private workspace(id: string, reason: string, salvage: Partial<Workspace>, changedAt: string | null, s: SandboxStatus | undefined): Broken {
    const backend: BackendId = salvage.backend ?? (s ? this.labelledBackend(s) : undefined) ?? FALLBACK_BACKEND;
    const at = salvage.createdAt ?? s?.sandbox?.createdAt ?? changedAt ?? new Date(this.host.now()).toISOString();
    const ws: Workspace = {
      image: s?.sandbox?.image ?? null,
      imageKind: 'image',
      project: '',
      limits: { execTimeoutSec: LIMIT_RANGES.execTimeoutSec.default },
      unenforcedLimits: [],
      network: 'none',
      env: {},
      secretKeys: [],
      ttlSec: null,
      expiresAt: null,
      updatedAt: at,
      startedAt: null,
      stoppedAt: null,
      placement: { kind: 'local' },
      slurm: null,
      disk: null,
      mounts: [],
      devRepos: [],
      gpu: false,
      apptainer: {},
      ports: [],
      ...salvage,
      runtime: { ...salvage.runtime, ...(s?.sandbox?.container ? { containerName: s.sandbox.container } : {}) },
      id,
      name: salvage.name ?? s?.sandbox?.name ?? id,
      backend,
      isolation: salvage.isolation ?? this.host.drivers[backend].descriptor.isolation,
      state: 'broken',
      reason,
      createdAt: at,
    };
    return { ws, container: s !== undefined, backendKnown: salvage.backend !== undefined || s !== undefined };
  }
}

function containerOf(s: SandboxStatus): string {
  return s.sandbox?.container ? `container ${s.sandbox.container}` : 'container';
}
