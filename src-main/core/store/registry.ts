/**
 * The disk-backed workspace registry. Records are written atomically and
 * every read-modify-write happens under a per-workspace lock, so the app, the
 * browser host and the CLI can share one data folder.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { BACKEND_IDS, BenchtopError, WORKSPACE_NAME_RE, workspaceSchema, type BackendId, type Workspace } from '../../../src-preload/contract';
import { readJson, writeFileAtomic } from './atomic';
import { LAYOUT_VERSION, paths } from './layout';
import { LOCK_STALE_MS, tryWithLock, withLock } from './lock';

interface RecordFile {
  layoutVersion: number;
  workspace: Workspace;
}

/** A workspace folder without a valid record: what is wrong, and what could still be read of it. */
export interface DamagedRecord {
  id: string;
  /** One line: the record is missing, not JSON, or invalid (and which field). */
  reason: string;
  /** The record's fields that are valid on their own (from a truncated file: the few found in its text). */
  salvage: Partial<Workspace>;
  /** When the folder last changed (ISO), for ordering. */
  changedAt: string;
}

type Inspected = { kind: 'ok'; ws: Workspace } | { kind: 'damaged'; damaged: DamagedRecord } | { kind: 'none' };

export class Registry {
  constructor(readonly home: string) {
    mkdirSync(paths.workspacesDir(home), { recursive: true });
    const layout = readJson<{ layoutVersion: number }>(paths.layoutFile(home));
    if (!layout) writeFileAtomic(paths.layoutFile(home), JSON.stringify({ layoutVersion: LAYOUT_VERSION }));
    else if (layout.layoutVersion > LAYOUT_VERSION) {
      throw new BenchtopError('CONFLICT', `data folder ${home} has layout ${layout.layoutVersion}, newer than this Benchtop understands (${LAYOUT_VERSION})`);
    }
  }

  dir(id: string): string {
    return paths.workspaceDir(this.home, id);
  }

  private ids(): string[] {
    try {
      return readdirSync(paths.workspacesDir(this.home), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      return [];
    }
  }

  /** Every readable record; a damaged one is left out (see {@link damaged}). */
  list(): Workspace[] {
    return this.scan().records;
  }

  /** Every folder, read once: the valid records (by creation) and the damaged ones. */
  scan(): { records: Workspace[]; damaged: DamagedRecord[] } {
    const records: Workspace[] = [];
    const hurt: DamagedRecord[] = [];
    for (const id of this.ids()) {
      const r = this.inspect(id);
      if (r.kind === 'ok') records.push(r.ws);
      else if (r.kind === 'damaged') hurt.push(r.damaged);
    }
    records.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
    return { records, damaged: hurt };
  }

  read(id: string): Workspace | null {
    const r = this.inspect(id);
    return r.kind === 'ok' ? r.ws : null;
  }

  /** Workspace folders whose record is missing, unreadable or invalid. */
  damaged(): DamagedRecord[] {
    return this.scan().damaged;
  }

  /** One folder: a valid record, a damaged one, or no folder at all. */
  inspect(id: string): Inspected {
    const dir = this.dir(id);
    const file = paths.record(dir);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!existsSync(dir)) return { kind: 'none' };
      return damaged(id, dir, code === 'ENOENT' ? `its record ${file} is missing` : `its record ${file} cannot be read (${code ?? (err as Error).message})`, {});
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      const what = text.trim() === '' ? 'is empty' : `is truncated or not JSON (${(err as Error).message})`;
      return damaged(id, dir, `its record ${file} ${what}`, salvageText(text));
    }
    const body = (raw as Partial<RecordFile> | null)?.workspace;
    const parsed = workspaceSchema.safeParse(body);
    if (parsed.success) return { kind: 'ok', ws: parsed.data };
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'workspace'}: ${issue.message}` : 'not a workspace';
    return damaged(id, dir, `its record ${file} is invalid (${where})`, salvageObject(body));
  }

  /** By id or by name. */
  find(ref: string): Workspace | null {
    const byId = /^[a-z0-9]{8,32}$/.test(ref) ? this.read(ref) : null;
    if (byId) return byId;
    return this.list().find((w) => w.name === ref) ?? null;
  }

  /** The damaged folder named by `ref` (its id, or the name salvaged from it). */
  findDamaged(ref: string): DamagedRecord | null {
    const all = this.damaged();
    return all.find((d) => d.id === ref) ?? all.find((d) => d.salvage.name === ref) ?? null;
  }

  get(ref: string): Workspace {
    const ws = this.find(ref);
    if (ws) return ws;
    const hurt = this.findDamaged(ref);
    if (hurt) {
      throw new BenchtopError('CONFLICT', `workspace "${ref}" is broken: ${hurt.reason}; remove it with: benchtop rm ${hurt.id}`, { workspace: ref, state: 'broken' });
    }
    throw new BenchtopError('NOT_FOUND', `no workspace named "${ref}"`, { workspace: ref });
  }

  /**
   * Writes a record. Its folder must exist (create makes it first): a write
   * that comes after the workspace was removed never brings the folder back.
   */
  write(ws: Workspace): void {
    if (!existsSync(this.dir(ws.id))) {
      throw new BenchtopError('NOT_FOUND', `workspace "${ws.name}" was removed (its folder ${this.dir(ws.id)} is gone)`, { workspace: ws.id });
    }
    const file: RecordFile = { layoutVersion: LAYOUT_VERSION, workspace: ws };
    writeFileAtomic(paths.record(this.dir(ws.id)), `${JSON.stringify(file, null, 2)}\n`);
  }

  remove(id: string): void {
    // The record goes first, so a half-removed folder is never mistaken for a workspace.
    rmSync(paths.record(this.dir(id)), { force: true });
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /**
   * Removes the lock files of workspaces whose folder is gone: `id`'s, or
   * every such one. A lock someone holds (a fresh `.lock` folder) is left to
   * them; they remove it when they release it (see withWorkspaceLock).
   */
  removeLocks(id?: string): void {
    const dir = paths.locksDir(this.home);
    let names: string[];
    try {
      names = id ? [id] : readdirSync(dir).filter((n) => !n.endsWith('.lock'));
    } catch {
      return;
    }
    for (const name of names) {
      if (existsSync(this.dir(name))) continue;
      const lock = paths.workspaceLock(this.home, name);
      const held = `${lock}.lock`;
      try {
        if (Date.now() - statSync(held).mtimeMs < LOCK_STALE_MS) continue;
        rmSync(held, { recursive: true, force: true });
      } catch {
        // No .lock folder: nobody holds it.
      }
      rmSync(lock, { force: true });
    }
  }

  /** Like withWorkspaceLock, but gives up at once (returns undefined) when someone else holds it. */
  async tryWorkspaceLock<T>(id: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    this.ensureLocksDir();
    try {
      return await tryWithLock(paths.workspaceLock(this.home, id), fn);
    } finally {
      this.forgetLock(id);
    }
  }

  withRegistryLock<T>(fn: () => Promise<T> | T): Promise<T> {
    mkdirSync(this.home, { recursive: true });
    return withLock(paths.registryLock(this.home), fn);
  }

  async withWorkspaceLock<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    this.ensureLocksDir();
    try {
      return await withLock(paths.workspaceLock(this.home, id), fn);
    } finally {
      this.forgetLock(id);
    }
  }

  private ensureLocksDir(): void {
    mkdirSync(paths.locksDir(this.home), { recursive: true });
  }

  /** The last one out of a removed workspace's lock removes its file. */
  private forgetLock(id: string): void {
    if (!existsSync(this.dir(id))) rmSync(paths.workspaceLock(this.home, id), { force: true });
  }
}

function damaged(id: string, dir: string, reason: string, salvage: Partial<Workspace>): Inspected {
  let changedAt = new Date(0).toISOString();
  try {
    changedAt = statSync(dir).mtime.toISOString();
  } catch {
    // Gone meanwhile.
  }
  return { kind: 'damaged', damaged: { id, reason, salvage, changedAt } };
}

/** The fields of an invalid record that are valid on their own. */
function salvageObject(body: unknown): Partial<Workspace> {
  if (!body || typeof body !== 'object') return {};
  const out: Record<string, unknown> = {};
  const shape = workspaceSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === 'id' || key === 'state' || key === 'reason' || !(key in shape)) continue;
    const r = shape[key]!.safeParse(value);
    if (r.success) out[key] = r.data;
  }
  return out as Partial<Workspace>;
}

/**
 * The few fields a truncated record still shows in its text (records are
 * written with id, name and backend first). Each is checked like the real one.
 */
function salvageText(text: string): Partial<Workspace> {
  const field = (key: string): string | undefined => new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(text)?.[1];
  const out: Partial<Workspace> = {};
  const name = field('name');
  if (name && WORKSPACE_NAME_RE.test(name)) out.name = name;
  const backend = field('backend');
  if (backend && (BACKEND_IDS as readonly string[]).includes(backend)) out.backend = backend as BackendId;
  const createdAt = field('createdAt');
  if (createdAt && !Number.isNaN(Date.parse(createdAt))) out.createdAt = createdAt;
  const containerName = field('containerName');
  if (containerName && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(containerName)) out.runtime = { containerName };
  const jobId = field('jobId');
  if (jobId && /^\d+$/.test(jobId)) out.slurm = { jobId, state: 'UNKNOWN', node: null, timeLeft: null, reason: null };
  return out;
}
