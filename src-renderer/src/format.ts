import type { Workspace } from '../../src-preload/contract';

export function relative(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export { humanBytes } from '../../src-preload/disk/quota';

export function resources(w: Workspace): string {
  const l = w.limits;
  const parts = [
    l.cpus !== undefined ? `${l.cpus} cpu` : null,
    l.memoryMiB !== undefined ? `${l.memoryMiB} MiB` : null,
    l.pids !== undefined ? `${l.pids} pids` : null,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'no limits';
}

export function imageLabel(w: Workspace): string {
  if (w.image) return w.imageKind === 'rootfs' ? `${w.image} (rootfs)` : w.image;
  return w.imageKind === 'system' ? 'host system (read-only)' : '—';
}
