/** Small pure helpers of the journal browser: display formats, search params, "run again". */
import type { JournalEntry, MethodParams } from '../../../src-preload/contract';

export type JournalSource = JournalEntry['source'];
export const SOURCES: readonly JournalSource[] = ['exec', 'terminal', 'lifecycle', 'copy'];
export type ExitFilter = 'any' | 'ok' | 'failed';

export interface Filters {
  query: string;
  sources: readonly JournalSource[];
  exit: ExitFilter;
  /** `datetime-local` values (local time, minute precision), or ''. */
  from: string;
  to: string;
}

export const NO_FILTERS: Filters = { query: '', sources: SOURCES, exit: 'any', from: '', to: '' };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local time, to the second: 2025-01-31 09:12:03. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${pad(Math.floor(s % 60))} s`;
  return `${Math.floor(m / 60)} h ${pad(m % 60)} m`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

export type BadgeTone = 'ok' | 'bad' | 'none' | 'running' | 'interrupted' | 'not-run';

/**
 * The badge in the Exit column: the exit code (ok or failed), or what happened
 * instead — still running, interrupted (with why), not run (with why). Only a
 * completed entry has an exit code of its own.
 */
export function exitBadge(e: Pick<JournalEntry, 'exitCode' | 'timedOut' | 'source' | 'event' | 'status' | 'reason'>): { text: string; tone: BadgeTone; title?: string } {
  if (e.status === 'running') return { text: 'running', tone: 'running', title: 'still running: the output so far is in the detail' };
  if (e.status === 'interrupted') return { text: 'interrupted', tone: 'interrupted', title: `interrupted${e.reason ? `: ${e.reason}` : ''}` };
  if (e.status === 'not-run') return { text: 'not run', tone: 'not-run', title: `not run${e.reason ? `: ${e.reason}` : ''}` };
  if (e.timedOut) return { text: 'timeout', tone: 'bad', title: `timed out (exit ${e.exitCode ?? '—'})${e.reason ? `: ${e.reason}` : ''}` };
  if (closedByUser(e)) return { text: 'closed', tone: 'none', title: e.reason ?? 'closed' };
  if (e.exitCode === null) return { text: e.source === 'lifecycle' ? (e.event ?? '—') : '—', tone: e.event === 'failed' || e.event === 'died' ? 'bad' : 'none' };
  return { text: String(e.exitCode), tone: e.exitCode === 0 ? 'ok' : 'bad' };
}

/** A terminal session that ended because a user closed it (or the host shut down): no exit code, not a failure. */
export function closedByUser(e: Pick<JournalEntry, 'exitCode' | 'source' | 'status' | 'reason'>): boolean {
  return e.source === 'terminal' && e.status === 'completed' && e.exitCode === null && /^closed\b/.test(e.reason ?? '');
}

/** How long an entry took, or — while it runs — how long it has been running (`now` in ms; never negative). */
export function entryDurationMs(e: Pick<JournalEntry, 'status' | 'startedAt' | 'durationMs'>, now: number): number {
  if (e.status !== 'running') return e.durationMs;
  const t = Date.parse(e.startedAt);
  return Number.isNaN(t) ? 0 : Math.max(0, now - t);
}

/** Elapsed time of a running entry, to the second (it ticks once a second): 7 s, 2 m 05 s. */
export function fmtElapsed(ms: number): string {
  return ms < 60_000 ? `${Math.floor(ms / 1000)} s` : fmtDuration(ms);
}

/**
 * Keeps the more advanced of two versions of one entry: an entry only moves
 * from running to an end (completed, interrupted, not-run), never back, so a
 * late answer to an older query cannot undo an update that arrived as an event.
 */
export function newerEntry<T extends Pick<JournalEntry, 'status'>>(a: T, b: T): T {
  return a.status !== 'running' && b.status === 'running' ? a : b;
}

/** A `datetime-local` value as ISO; `end` makes it the last millisecond of that minute (an inclusive "to"). */
export function localToIso(value: string, end = false): string | undefined {
  if (!value) return undefined;
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return undefined;
  const precise = /T\d\d:\d\d:\d\d/.test(value);
  return new Date(t + (end ? (precise ? 999 : 59_999) : 0)).toISOString();
}

export function searchParams(workspace: string, f: Filters, offset: number, limit: number): MethodParams<'journal.search'> {
  const p: MethodParams<'journal.search'> = { workspace, offset, limit };
  const q = f.query.trim();
  if (q) p.query = q.slice(0, 500);
  if (f.sources.length < SOURCES.length) p.sources = [...f.sources];
  if (f.exit !== 'any') p.exit = f.exit;
  const from = localToIso(f.from);
  const to = localToIso(f.to, true);
  if (from) p.from = from;
  if (to) p.to = to;
  return p;
}

export const filtersActive = (f: Filters): boolean =>
  !!f.query.trim() || f.sources.length < SOURCES.length || f.exit !== 'any' || !!f.from || !!f.to;

/**
 * What `exec.run` needs to run an entry again: its shell line when it ran as
 * `sh -lc X`, else its argv; null (with why) when it cannot be re-run faithfully.
 */
export function rerunInput(workspace: string, e: JournalEntry): { input: MethodParams<'exec.run'> } | { why: string } {
  if (e.source !== 'exec' || !e.argv || e.argv.length === 0) return { why: 'only commands run with exec can be run again' };
  if (e.argv.some((a) => a.includes('<redacted>'))) return { why: 'the command held a secret that was redacted; run it by hand' };
  const cwd = e.cwd ?? undefined;
  if (e.argv.length === 3 && e.argv[0] === 'sh' && e.argv[1] === '-lc') return { input: { workspace, shell: e.argv[2] as string, ...(cwd ? { cwd } : {}) } };
  return { input: { workspace, argv: [...e.argv], ...(cwd ? { cwd } : {}) } };
}

/** Copies text: the async clipboard API, or a hidden textarea where that is unavailable (plain http, old engines). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Fall through to the textarea.
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.top = '-1000px';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/**
 * One line of a JSONL export: the entry, and with `outputs` its stored stdout
 * and stderr as text (beside the entry's own `stdout`/`stderr`, which say their sizes).
 */
export function exportLine(e: JournalEntry, outputs?: { stdoutText: string; stderrText: string }): string {
  return `${JSON.stringify(outputs ? { ...e, stdoutText: outputs.stdoutText, stderrText: outputs.stderrText } : e)}\n`;
}

/** Saves a Blob as a file through a temporary link. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function fileStamp(d = new Date()): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}
