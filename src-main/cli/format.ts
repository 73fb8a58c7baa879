/** Human-readable tables for the CLI. JSON output never goes through here. */
import type { BackendInfo, ImageChoice, JournalEntry, JournalEntryWithOutput, Workspace } from '../../src-preload/contract';
import { diskStanding, diskUseText, humanBytes } from '../../src-preload/disk/quota';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function age(fromIso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function limitsText(ws: Workspace): string {
  const l = ws.limits;
  const parts = [
    l.cpus !== undefined ? `cpus=${l.cpus}` : null,
    l.memoryMiB !== undefined ? `mem=${l.memoryMiB}MiB` : null,
    l.pids !== undefined ? `pids=${l.pids}` : null,
  ].filter(Boolean);
  const text = parts.length ? parts.join(',') : '-';
  return ws.unenforcedLimits.length ? `${text} (NOT enforced: ${ws.unenforcedLimits.join(',')})` : text;
}

export function formatWorkspaces(list: Workspace[]): string {
  if (list.length === 0) return 'no workspaces (create one: benchtop create NAME --backend bwrap)';
  const rows = [['NAME', 'BACKEND', 'STATE', 'PROCS', 'IMAGE', 'LIMITS', 'DISK', 'AGE', 'TTL LEFT', 'REASON']];
  for (const w of list) {
    rows.push([
      w.name,
      (w.isolation === 'none' ? `${w.backend} (NO ISOLATION)` : w.backend) + (w.placement.kind === 'slurm' ? `@slurm${w.slurm ? `:${w.slurm.jobId}` : ''}` : ''),
      w.state,
      // Only where the backend can count them (bwrap, host); '-' elsewhere.
      w.processes === undefined ? '-' : String(w.processes),
      w.image ?? (w.imageKind === 'system' ? '(host system)' : '-'),
      limitsText(w),
      diskColumn(w),
      age(w.createdAt),
      w.expiresAt ? age(new Date().toISOString(), Date.parse(w.expiresAt)) : '-',
      w.reason ?? '',
    ]);
  }
  return table(rows);
}

export function formatWorkspace(w: Workspace): string {
  if (w.state === 'broken') {
    // Only id, state and reason are known for sure: show nothing that may be a filler.
    const broken: [string, string][] = [
      ['name', w.name],
      ['id', w.id],
      ['state', `broken (${w.reason ?? 'no valid record'})`],
      ...(w.runtime.containerName ? [['container', w.runtime.containerName] as [string, string]] : []),
      ['remove with', `benchtop rm ${w.id}`],
    ];
    return broken.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n');
  }
  const lines: [string, string][] = [
    ['name', w.name],
    ['id', w.id],
    ['backend', w.backend],
    ['isolation', w.isolation === 'none' ? 'NONE (host processes)' : w.isolation],
    ['state', w.state + (w.reason ? ` (${w.reason})` : '')],
    ...(w.processes !== undefined ? [['processes', `${w.processes} live`] as [string, string]] : []),
    ['image', w.image ?? (w.imageKind === 'system' ? '(host system folders, read-only)' : '-')],
    ['project', w.project],
    ['network', w.network],
    ...(w.ports.length ? [['ports', w.ports.map((p) => `127.0.0.1:${p.hostPort ?? '?'}->${p.port}`).join(' ')] as [string, string]] : []),
    ['limits', limitsText(w)],
    ['disk', diskLine(w)],
    ['exec timeout', `${w.limits.execTimeoutSec}s`],
    ['env', Object.keys(w.env).join(' ') || '-'],
    ['secrets', w.secretKeys.join(' ') || '-'],
    ['created', w.createdAt],
    ['started', w.startedAt ?? '-'],
    ['expires', w.expiresAt ?? (w.ttlSec ? `ttl ${w.ttlSec}s from start` : '-')],
  ];
  if (w.placement.kind === 'slurm') {
    const p = w.placement;
    lines.push(['placement', `slurm ${[p.partition && `partition=${p.partition}`, p.time && `time=${p.time}`, p.cpus && `cpus=${p.cpus}`, p.memMiB && `mem=${p.memMiB}MiB`, p.gres && `gres=${p.gres}`].filter(Boolean).join(' ') || '(defaults)'}`]);
    if (w.slurm) lines.push(['slurm job', `${w.slurm.jobId} ${w.slurm.state}${w.slurm.node ? ` on ${w.slurm.node}` : ''}${w.slurm.timeLeft ? `, ${w.slurm.timeLeft} left` : ''}`]);
  }
  if (w.runtime.containerName) lines.push(['container', `${w.runtime.containerName} (${w.runtime.rootless ? 'rootless' : 'rootful'}, ${w.runtime.ociRuntime ?? '?'})`]);
  return lines.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n');
}

/** "12 MiB", "58 MiB/64 MiB 91% NEAR QUOTA", "70 MiB/64 MiB OVER QUOTA", "-" (not measured). */
function diskColumn(w: Workspace): string {
  const s = diskStanding(w);
  if (s.usedBytes === null) return s.quotaBytes === null ? '-' : `?/${humanBytes(s.quotaBytes)}`;
  if (s.quotaBytes === null) return humanBytes(s.usedBytes);
  const flag = s.level === 'over' ? ' OVER QUOTA' : s.level === 'near' ? ' NEAR QUOTA' : '';
  return `${humanBytes(s.usedBytes)}/${humanBytes(s.quotaBytes)} ${s.percent}%${flag}`;
}

/** The use against the quota, what it is made of, and when it was measured. */
function diskLine(w: Workspace): string {
  const s = diskStanding(w);
  const parts = w.disk ? [`folder ${humanBytes(w.disk.folderBytes)}`, w.disk.sandboxBytes !== null ? `writable layer ${humanBytes(w.disk.sandboxBytes)}` : null].filter(Boolean).join(', ') : '';
  const flag = s.level === 'over' ? ' — OVER QUOTA: new commands are refused' : s.level === 'near' ? ' — near the quota' : '';
  return `${diskUseText(w)}${flag}${parts ? ` [${parts}; measured ${w.disk?.measuredAt}]` : ''}`;
}

export function formatBackends(list: BackendInfo[]): string {
  const rows = [['BACKEND', 'AVAILABLE', 'VERSION', 'ENFORCES', 'DISK QUOTA', 'ISOLATION', 'NOTE']];
  for (const b of list) {
    rows.push([
      b.id,
      b.available ? 'yes' : 'no',
      b.version ?? '-',
      b.capabilities.enforcedLimits.join(',') || 'no limits',
      // measured: checked before each command against the last measurement; enforced: by the backend itself.
      b.descriptor.disk.quota,
      b.capabilities.isolation,
      b.hint ?? '',
    ]);
  }
  return table(rows);
}

export function formatImages(list: ImageChoice[], canPull: boolean): string {
  if (list.length === 0) return canPull ? 'no images yet (pull one: benchtop pull REF)' : 'no folders or files used before (give one with create --image PATH)';
  const rows = [['IMAGE', 'KIND', 'SIZE', 'CREATED']];
  for (const i of list) {
    const kind = i.source === 'used-before' ? `${i.kind} (used before)` : i.kind;
    rows.push([i.ref, kind, i.sizeBytes === null ? '-' : `${(i.sizeBytes / 1024 / 1024).toFixed(1)} MiB`, i.createdAt ?? '-']);
  }
  return table(rows);
}

export function formatJournal(list: JournalEntry[]): string {
  if (list.length === 0) return 'journal is empty';
  const rows = [['SEQ', 'STARTED', 'SOURCE', 'EXIT', 'DURATION', 'COMMAND']];
  for (const e of list) {
    rows.push([
      String(e.seq),
      e.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      e.source === 'lifecycle' ? `lifecycle:${e.event}` : `${e.source}(${e.client})`,
      exitColumn(e),
      e.source === 'lifecycle' ? '-' : `${e.durationMs}ms`,
      e.source === 'lifecycle' ? (e.detail ?? '') : e.command,
    ]);
  }
  return table(rows);
}

/** The exit code, or what happened instead (running, interrupted, not run). */
function exitColumn(e: JournalEntry): string {
  if (e.status === 'running') return 'running';
  if (e.status === 'interrupted') return 'interrupted';
  if (e.status === 'not-run') return 'not run';
  return e.exitCode === null ? '-' : e.timedOut ? `${e.exitCode} (timeout)` : String(e.exitCode);
}

export function formatEntry(e: JournalEntryWithOutput): string {
  const head = [
    `seq ${e.seq}  ${e.source}  ${e.startedAt}  ${e.status === 'completed' ? `exit ${e.exitCode ?? '-'}` : e.status}${e.timedOut ? ' (timed out)' : ''}  ${e.durationMs}ms`,
    `command: ${e.command}`,
    e.reason ? `reason: ${e.reason}` : null,
    e.cwd ? `cwd: ${e.cwd}` : null,
    e.user ? `user: ${e.user}` : null,
    e.detail ? `detail: ${e.detail}` : null,
  ].filter(Boolean);
  const out = [head.join('\n')];
  const cut = (o: { bytes: number; storedBytes: number; truncated: boolean }) =>
    o.truncated ? `, only the first ${o.storedBytes} stored; the rest was streamed, not kept` : '';
  if (e.stdout) out.push(`--- stdout (${e.stdout.bytes} bytes${cut(e.stdout)}) ---\n${e.stdoutText}`);
  if (e.stderr && e.stderr.bytes > 0) out.push(`--- stderr (${e.stderr.bytes} bytes${cut(e.stderr)}) ---\n${e.stderrText}`);
  return out.join('\n');
}
