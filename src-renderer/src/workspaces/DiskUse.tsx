/**
 * A workspace's disk use against its quota: a line for the list and the
 * overview, and the notice a workspace's page shows from 90% of its quota on
 * (the level comes from the shared quota rules, as the exec check's does).
 */
import type { BackendDescriptor, Workspace } from '../../../src-preload/contract';
import { diskStanding, diskUseText, humanBytes } from '../../../src-preload/disk/quota';

/** "disk 12 MiB", "disk 58 MiB of 64 MiB (91%)", coloured from 90% on. */
export function DiskUseLine({ ws }: { ws: Workspace }) {
  const { level } = diskStanding(ws);
  const tone = level === 'over' ? 'disk-over' : level === 'near' ? 'warn' : '';
  return (
    <div className={`reason ${tone}`} data-testid="disk-use" data-level={level}>
      disk {diskUseText(ws)}
      {level === 'over' && ' — over quota'}
    </div>
  );
}

/** The overview's row: the use, what it is made of, what it counts and how the quota holds on this backend. */
export function DiskUseDetail({ ws, descriptor }: { ws: Workspace; descriptor: BackendDescriptor | null }) {
  const d = ws.disk;
  const parts = d ? [`folder ${humanBytes(d.folderBytes)}`, d.sandboxBytes !== null ? `writable layer ${humanBytes(d.sandboxBytes)}` : null].filter(Boolean).join(' · ') : null;
  const quota = ws.limits.diskQuotaMiB;
  return (
    <span data-testid="disk-detail">
      {diskUseText(ws)}
      {parts && <span className="muted"> — {parts}, measured {new Date(d?.measuredAt ?? 0).toLocaleTimeString()}</span>}
      {descriptor && <div className="muted small">Counts {descriptor.disk.measures}.</div>}
      {quota !== undefined && descriptor && (
        <div className="muted small">
          {descriptor.disk.quota === 'enforced' ? 'The backend enforces the quota.' : `Quota checked before each command against the last measurement (${descriptor.disk.why ?? 'not enforced by the backend'}).`}
        </div>
      )}
    </span>
  );
}

/** From 90% of the quota on: what the use is and what happens next. Nothing below it. */
export function DiskNotice({ ws }: { ws: Workspace }) {
  const s = diskStanding(ws);
  if (s.level !== 'near' && s.level !== 'over') return null;
  return (
    <p className={`disk-notice ${s.level}`} role="status" data-testid="disk-notice" data-level={s.level}>
      {s.level === 'over'
        ? `Disk quota exceeded: ${diskUseText(ws)}. New commands are refused until files are deleted (in a terminal) and the use is measured again.`
        : `Near the disk quota: ${diskUseText(ws)}. Above the quota new commands are refused.`}
    </p>
  );
}
