/**
 * The writable layer of each Benchtop container, from ONE `podman ps --size`
 * (about 0.1 s more than a plain listing here; more for layers of many files,
 * which podman walks). podman counts what the layer's files hold (their
 * sizes), not the blocks under them.
 */
import { HOME_LABEL, WORKSPACE_LABEL } from './argv';

/** Containers of this data folder only (label filters are ANDed), with their sizes. */
export function buildDiskUseArgv(home?: string): string[] {
  return ['ps', '--all', '--size', '--filter', `label=${WORKSPACE_LABEL}`, ...(home ? ['--filter', `label=${HOME_LABEL}=${home}`] : []), '--format', 'json'];
}

interface SizedEntry {
  Labels?: Record<string, string> | null;
  Size?: { rwSize?: number } | null;
}

/** Bytes of each container's writable layer, by workspace id. */
export function parseDiskUse(json: string): Map<string, number> {
  const out = new Map<string, number>();
  const trimmed = json.trim();
  if (!trimmed) return out;
  for (const e of JSON.parse(trimmed) as SizedEntry[]) {
    const id = e.Labels?.[WORKSPACE_LABEL];
    const rw = e.Size?.rwSize;
    if (id && typeof rw === 'number' && rw >= 0) out.set(id, rw);
  }
  return out;
}
