/**
 * What changed in the data folder since the last look, whoever changed it:
 * the CLI, another window, the watchdog. A host that looks every couple of
 * seconds (the app, the browser host) turns these into the same events its
 * own changes send, so every open window sees a workspace created, removed
 * or changed elsewhere, and every journal entry written elsewhere.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { journalEntrySchema, type JournalEntry, type Workspace } from '../../../src-preload/contract';
import { paths } from '../store/layout';

export interface FolderChanges {
  changed: Workspace[];
  removed: Workspace[];
  /** Journal lines appended since the last look (an entry started, completed, or a lifecycle event). */
  appended: { workspaceId: string; entry: JournalEntry }[];
}

/** A journal line longer than this is not read back for an event (the entry is still in the journal). */
const MAX_NEW_BYTES = 8 * 1024 * 1024;

export class FolderTracker {
  private known = new Map<string, Workspace>();
  /** Bytes of each journal.jsonl already seen. */
  private offsets = new Map<string, number>();
  private first = true;
  /** Journal lines announced already, by this tracker or by the process itself: each is announced once. */
  private announced = new Set<string>();

  constructor(private readonly workspaceDir: (id: string) => string) {}

  /** This process changed a workspace and said so already. */
  sawOwnChange(ws: Workspace, removed: boolean): void {
    if (removed) {
      this.known.delete(ws.id);
      this.offsets.delete(ws.id);
    } else if (!this.first) this.known.set(ws.id, ws);
  }

  /**
   * This process wrote an entry (or its completion) and is about to announce
   * it: false when a look at the folder announced that line already.
   */
  claimEntry(workspaceId: string, entry: JournalEntry): boolean {
    return this.claim(lineKey(workspaceId, entry));
  }

  private claim(key: string): boolean {
    if (this.announced.has(key)) return false;
    this.announced.add(key);
    // Bounded: a line is announced within a poll or two of being written.
    if (this.announced.size > 10000) this.announced.delete(this.announced.values().next().value as string);
    return true;
  }

  /**
   * Compares `now` with the last look. The first look reports nothing.
   * `complete`: `now` is every workspace, broken ones included (a full
   * listing); otherwise only the valid records were read, and a workspace
   * missing from it counts as removed only when its folder is gone.
   */
  diff(now: Workspace[], complete = true): FolderChanges {
    const out: FolderChanges = { changed: [], removed: [], appended: [] };
    const seen = new Set<string>();
    for (const ws of now) {
      seen.add(ws.id);
      const before = this.known.get(ws.id);
      if (!this.first && (!before || before.updatedAt !== ws.updatedAt || before.state !== ws.state || before.reason !== ws.reason || before.processes !== ws.processes)) out.changed.push(ws);
      this.known.set(ws.id, ws);
      const file = paths.journal(this.workspaceDir(ws.id));
      const from = this.offsets.get(ws.id);
      const read = readAppended(file, this.first ? null : (from ?? 0));
      this.offsets.set(ws.id, read.end);
      for (const entry of read.entries) {
        if (this.claim(lineKey(ws.id, entry))) out.appended.push({ workspaceId: ws.id, entry });
      }
    }
    for (const [id, ws] of this.known) {
      if (seen.has(id)) continue;
      if (!complete && existsSync(this.workspaceDir(id))) continue;
      this.known.delete(id);
      this.offsets.delete(id);
      if (!this.first) out.removed.push(ws);
    }
    this.first = false;
    return out;
  }
}

function lineKey(workspaceId: string, e: JournalEntry): string {
  return `${workspaceId}:${e.seq}:${e.status}`;
}

/** The whole lines appended to a journal after `from` (null: just find the end), and where they end. */
function readAppended(file: string, from: number | null): { entries: JournalEntry[]; end: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { entries: [], end: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    if (from === null) return { entries: [], end: lastNewline(fd, size) };
    // Replaced or cut (rewritten): start over from its end rather than replay it.
    if (size < from) return { entries: [], end: lastNewline(fd, size) };
    if (size === from) return { entries: [], end: from };
    const length = Math.min(size - from, MAX_NEW_BYTES);
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, from);
    const text = buf.subarray(0, n);
    const last = text.lastIndexOf(0x0a);
    if (last < 0) return { entries: [], end: length === MAX_NEW_BYTES ? from + n : from };
    const entries: JournalEntry[] = [];
    for (const line of text.subarray(0, last).toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        const r = journalEntrySchema.safeParse(JSON.parse(line));
        if (r.success) entries.push(r.data);
      } catch {
        // A torn line (a crash) is not an entry.
      }
    }
    return { entries, end: from + last + 1 };
  } finally {
    closeSync(fd);
  }
}

function lastNewline(fd: number, size: number): number {
  if (size === 0) return 0;
  const tail = Buffer.alloc(Math.min(size, 64 * 1024));
  readSync(fd, tail, 0, tail.length, size - tail.length);
  const i = tail.lastIndexOf(0x0a);
  return i < 0 ? size - tail.length : size - tail.length + i + 1;
}
