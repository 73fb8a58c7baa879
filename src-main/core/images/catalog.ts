/**
 * The images a backend can use here, for the create form: the backend's own
 * store (podman's local images), plus root filesystem folders and image files
 * that earlier workspaces used and that still exist — most recently used first.
 */
import { statSync } from 'node:fs';
import { BenchtopError, type BackendId, type ImageChoice, type Workspace } from '../../../src-preload/contract';
import type { Driver } from '../drivers/types';

export interface CatalogDeps {
  driver(backend: BackendId): Driver;
  workspaces(): Workspace[];
}

/** What kind of choice an earlier workspace's image is for `backend`, or null when it cannot use it. */
function usedBeforeKind(ws: Workspace, backend: BackendId, rootfsOk: boolean): ImageChoice['kind'] | null {
  if (!ws.image) return null;
  if (ws.imageKind === 'rootfs') return rootfsOk ? 'rootfs' : null;
  // An image file (a SIF) is a path only apptainer records; podman's names are in its store.
  if (ws.imageKind === 'image' && ws.image.startsWith('/') && ws.backend === backend) return 'file';
  return null;
}

export function usedBefore(workspaces: Workspace[], backend: BackendId, rootfsOk: boolean, exists: (p: string) => boolean): ImageChoice[] {
  const seen = new Map<string, ImageChoice>();
  const newestFirst = [...workspaces].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  for (const ws of newestFirst) {
    const kind = usedBeforeKind(ws, backend, rootfsOk);
    if (!kind || seen.has(ws.image as string) || !exists(ws.image as string)) continue;
    seen.set(ws.image as string, { ref: ws.image as string, kind, source: 'used-before', sizeBytes: null, createdAt: ws.createdAt });
  }
  return [...seen.values()];
}

const pathExists = (p: string): boolean => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

export class ImageCatalog {
  constructor(private readonly deps: CatalogDeps) {}

  async list(backend: BackendId): Promise<{ images: ImageChoice[]; canPull: boolean }> {
    const driver = this.deps.driver(backend);
    const info = await driver.detect();
    const rootfsOk = driver.descriptor.image.rootfs;
    const store = info.available && driver.images ? await driver.images.list() : [];
    const newestStore = [...store].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    return { images: [...newestStore, ...usedBefore(this.deps.workspaces(), backend, rootfsOk, pathExists)], canPull: info.available && !!driver.images?.pull };
  }

  async pull(backend: BackendId, ref: string, onLine: (line: string) => void): Promise<ImageChoice> {
    const driver = this.deps.driver(backend);
    if (!driver.images?.pull) throw new BenchtopError('INVALID_INPUT', `backend: ${backend} keeps no images to pull into (use a folder or file path${driver.images ? ', or build one: benchtop image build' : ''})`, { field: 'backend' });
    const info = await driver.detect();
    if (!info.available) throw new BenchtopError('BACKEND_UNAVAILABLE', `${backend} is not available here: ${info.hint ?? 'not installed'}`, { hint: info.hint });
    return driver.images.pull(ref, onLine);
  }
}
