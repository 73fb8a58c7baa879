/**
 * Which changes deserve a notification, and what it says. Two kinds: a
 * workspace that left starting/running/stopping for an ended state (its TTL
 * ran out, it was killed or removed outside Benchtop, its SLURM job ended, it
 * failed or broke), and a command that ran for at least {@link LONG_COMMAND_MS}
 * and ended. Pure and shared: the renderer's toasts and the Electron shell's
 * OS notifications decide with this one module, fed the same events.
 *
 * A change is known by what it changed to; announced twice (the host's own
 * write and a look at the data folder, a window that reconnects, an entry
 * appended when it starts and again when it ends) it is notified once.
 */
import { ACTIVE_STATES, type JournalEntry, type Workspace, type WorkspaceState } from '../contract';

/** A command that ran at least this long is worth a notification when it ends. */
export const LONG_COMMAND_MS = 10_000;
/** Keys remembered to drop repeats; a repeat comes within seconds, so this bounds memory, not correctness. */
const KEEP_KEYS = 2000;
const COMMAND_CHARS = 60;

export interface Notice {
  /** The change: the same change announced again has the same key. */
  key: string;
  kind: 'workspace' | 'command';
  /** `error` is said at once (role=alert); `info` politely. */
  level: 'info' | 'error';
  workspaceId: string;
  /** The journal entry of a command (null for a workspace). */
  seq: number | null;
  /** One line: "ws-3 expired". */
  title: string;
  /** One line: the reason, or the command and how long it ran. */
  body: string;
}

const ENDED_VERB: Partial<Record<WorkspaceState, string>> = { stopped: 'stopped', expired: 'expired', failed: 'failed', broken: 'is broken' };

/** Whether the caller itself asked for this workspace's change (a stop clicked in this window): no news to it. */
export type AskedHere = (ws: Pick<Workspace, 'id' | 'name'>) => boolean;

export class NoticeTracker {
  private last = new Map<string, { state: WorkspaceState; name: string }>();
  private keys = new Set<string>();

  constructor(private readonly askedHere: AskedHere = () => false) {}

  /**
   * What the caller knew when it started listening: the baseline, not news.
   * An event may have arrived before the listing did; what it said is newer and stays.
   */
  seed(workspaces: readonly Workspace[]): void {
    for (const ws of workspaces) if (!this.last.has(ws.id)) this.last.set(ws.id, { state: ws.state, name: ws.name });
  }

  workspaceChanged(ws: Workspace, removed: boolean): Notice | null {
    const before = this.last.get(ws.id);
    if (removed) {
      this.last.delete(ws.id);
      return null;
    }
    this.last.set(ws.id, { state: ws.state, name: ws.name });
    const verb = ENDED_VERB[ws.state];
    if (!before || !ACTIVE_STATES.has(before.state) || !verb) return null;
    if (this.askedHere(ws)) return null;
    const key = `ws:${ws.id}:${ws.state}:${ws.updatedAt}`;
    if (!this.claim(key)) return null;
    return {
      key,
      kind: 'workspace',
      level: ws.state === 'failed' || ws.state === 'broken' ? 'error' : 'info',
      workspaceId: ws.id,
      seq: null,
      title: `${ws.name} ${verb}`,
      body: ws.reason ?? 'no reason was recorded',
    };
  }

  journalAppended(workspaceId: string, entry: JournalEntry): Notice | null {
    // Commands only: a terminal session's end is seen by whoever sits in it, lifecycle events come as workspace changes.
    if (entry.source !== 'exec' || (entry.status !== 'completed' && entry.status !== 'interrupted')) return null;
    if (entry.durationMs < LONG_COMMAND_MS) return null;
    const key = `cmd:${workspaceId}:${entry.seq}`;
    if (!this.claim(key)) return null;
    const { outcome, failed } = commandOutcome(entry);
    const name = this.last.get(workspaceId)?.name ?? workspaceId;
    return {
      key,
      kind: 'command',
      level: failed ? 'error' : 'info',
      workspaceId,
      seq: entry.seq,
      title: `${name}: command ${outcome}`,
      body: `${shortCommand(entry.command)} · ${fmtRunTime(entry.durationMs)}${entry.status === 'interrupted' && entry.reason ? ` · ${entry.reason}` : ''}`,
    };
  }

  private claim(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > KEEP_KEYS) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }
}

function commandOutcome(e: JournalEntry): { outcome: string; failed: boolean } {
  if (e.status === 'interrupted') return { outcome: 'was interrupted', failed: true };
  if (e.timedOut) return { outcome: `timed out (exit ${e.exitCode ?? '—'})`, failed: true };
  if (e.exitCode === 0) return { outcome: 'finished (exit 0)', failed: false };
  return { outcome: `failed (exit ${e.exitCode ?? '—'})`, failed: true };
}

/** The command on one line, at most {@link COMMAND_CHARS} characters. */
export function shortCommand(command: string): string {
  const line = command.replace(/\s+/g, ' ').trim();
  return line.length <= COMMAND_CHARS ? line : `${line.slice(0, COMMAND_CHARS - 1)}…`;
}

/** "10.4 s", "3 min 05 s", "2 h 07 min". */
export function fmtRunTime(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(Math.floor(s % 60))} s`;
  return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
}

/** Where a notice leads, as the window's hash route: the workspace, or the command's journal entry. */
export function noticeRoute(n: Pick<Notice, 'workspaceId' | 'seq'>): string {
  return n.seq === null ? `#/w/${n.workspaceId}/overview` : `#/w/${n.workspaceId}/journal/${n.seq}`;
}
