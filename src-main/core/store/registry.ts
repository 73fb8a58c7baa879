/**
 * The disk-backed workspace registry. Records are written atomically and
 * every read-modify-write happens under a per-workspace lock, so the app, the
 * browser host and the CLI can share one data folder.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { BenchtopError, workspaceSchema, type Workspace } from '../../../src-preload/contract';
import { readJson, writeFileAtomic } from './atomic';
import { LAYOUT_VERSION, paths } from './layout';
import { tryWithLock, withLock } from './lock';

interface RecordFile {
  layoutVersion: number;
  workspace: Workspace;
}

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

  /** Every readable record; a corrupt one is skipped (and reported by `problems`). */
  list(): Workspace[] {
    const out: Workspace[] = [];
    let ids: string[] = [];
    try {
      ids = readdirSync(paths.workspacesDir(this.home));
    } catch {
      return out;
    }
    for (const id of ids) {
      const ws = this.read(id);
      if (ws) out.push(ws);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  read(id: string): Workspace | null {
    let file: RecordFile | null;
    try {
      file = readJson<RecordFile>(paths.record(this.dir(id)));
    } catch {
      return null;
    }
    if (!file) return null;
    const parsed = workspaceSchema.safeParse(file.workspace);
    return parsed.success ? parsed.data : null;
  }

  /** By id or by name. */
  find(ref: string): Workspace | null {
    const byId = /^[a-z0-9]{8,32}$/.test(ref) ? this.read(ref) : null;
    if (byId) return byId;
    return this.list().find((w) => w.name === ref) ?? null;
  }

  get(ref: string): Workspace {
    const ws = this.find(ref);
    if (!ws) throw new BenchtopError('NOT_FOUND', `no workspace named "${ref}"`, { workspace: ref });
    return ws;
  }

  write(ws: Workspace): void {
    const file: RecordFile = { layoutVersion: LAYOUT_VERSION, workspace: ws };
    writeFileAtomic(paths.record(this.dir(ws.id)), `${JSON.stringify(file, null, 2)}\n`);
  }

  exists(id: string): boolean {
    return existsSync(paths.record(this.dir(id)));
  }

  remove(id: string): void {
    // The record goes first, so a half-removed folder is never mistaken for a workspace.
    rmSync(paths.record(this.dir(id)), { force: true });
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** Like withWorkspaceLock, but gives up at once (returns undefined) when someone else holds it. */
  tryWorkspaceLock<T>(id: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    return tryWithLock(paths.workspaceLock(this.home, id), fn);
  }

  withRegistryLock<T>(fn: () => Promise<T> | T): Promise<T> {
    return withLock(paths.registryLock(this.home), fn);
  }

  withWorkspaceLock<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    return withLock(paths.workspaceLock(this.home, id), fn);
  }
}
