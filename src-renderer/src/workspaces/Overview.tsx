/** Everything about one workspace, at a glance. */
import type { Workspace } from '../../../src-preload/contract';
import { imageLabel, relative, resources } from '../format';
import { useNow } from '../hooks';
import { projectPlace, useDescriptor } from '../backends/descriptors';
import { DiskUseDetail } from './DiskUse';
import { IsolationBadge, processesText, StateBadge } from './StateBadge';

export function Overview({ workspace: w }: { workspace: Workspace }) {
  const now = useNow();
  const descriptor = useDescriptor(w.backend);
  const rows: [string, React.ReactNode][] = [
    ['State', <><StateBadge ws={w} /> {w.reason}</>],
    ...(w.processes !== undefined ? [['Processes', `${processesText(w.processes)} live (its commands and terminals, counted on this machine)`] as [string, React.ReactNode]] : []),
    ['Backend', <>{w.backend} <IsolationBadge ws={w} /> <span className="muted">({w.isolation === 'none' ? 'no isolation' : w.isolation})</span></>],
    ['Image', <span className="mono">{imageLabel(w)}</span>],
    ['Project', <><span className="mono">{w.project}</span> <span className="muted">{projectPlace(descriptor)}</span></>],
    ['Network', <>{w.network === 'none' ? 'none (offline)' : 'full'}{w.ports.length > 0 && <span className="muted"> · published on 127.0.0.1: {w.ports.map((p) => `${p.hostPort ?? '?'} → ${p.port}`).join(', ')}</span>}</>],
    ['Limits', <>{resources(w)}{w.unenforcedLimits.length > 0 && <span className="warn"> — not enforced: {w.unenforcedLimits.join(', ')}</span>}</>],
    ['Disk', <DiskUseDetail ws={w} descriptor={descriptor} />],
    ['Exec timeout', `${w.limits.execTimeoutSec} s`],
    ['Environment', Object.keys(w.env).length ? <span className="mono">{Object.entries(w.env).map(([k, v]) => `${k}=${v}`).join('  ')}</span> : '—'],
    ['Secrets', w.secretKeys.length ? <span className="mono">{w.secretKeys.map((k) => `${k}=••••`).join('  ')}</span> : '—'],
    ['Created', `${new Date(w.createdAt).toLocaleString()} (${relative(now - Date.parse(w.createdAt))} ago)`],
    ['Started', w.startedAt ? new Date(w.startedAt).toLocaleString() : '—'],
    ['TTL', w.expiresAt ? `${relative(Date.parse(w.expiresAt) - now)} left (expires ${new Date(w.expiresAt).toLocaleString()})` : w.ttlSec ? `${w.ttlSec} s from start` : 'none'],
  ];
  if (w.placement.kind === 'slurm') {
    const p = w.placement;
    rows.push(['Placement', `SLURM${p.partition ? ` · partition ${p.partition}` : ''}${p.time ? ` · time ${p.time}` : ''}${p.cpus ? ` · ${p.cpus} cpus` : ''}${p.memMiB ? ` · ${p.memMiB} MiB` : ''}${p.gres ? ` · gres ${p.gres}` : ''}`]);
    rows.push(['SLURM job', w.slurm ? <span className="mono">{w.slurm.jobId} · {w.slurm.state}{w.slurm.node ? ` · node ${w.slurm.node}` : ''}{w.slurm.timeLeft ? ` · ${w.slurm.timeLeft} left` : ''}{w.slurm.reason ? ` · ${w.slurm.reason}` : ''}</span> : 'not submitted']);
  } else rows.push(['Placement', 'this machine']);
  if (w.runtime.containerName) rows.push(['Container', <span className="mono">{w.runtime.containerName} · {w.runtime.rootless ? 'rootless' : 'rootful'} · {w.runtime.ociRuntime}</span>]);
  return (
    <dl className="overview" data-testid="overview">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
