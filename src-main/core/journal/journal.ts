/**
 * A workspace's journal: append-only JSONL, one line per entry, with the
 * entry's stdout/stderr in files beside it, and a search sidecar (see
 * search.ts). Sequence numbers are allocated under a lock so concurrent
 * writers (app + CLI) never collide.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError, journalEntrySchema, type EntryStatus, type JournalEntry, type JournalEntryWithOutput } from '../../../src-preload/contract';
import { paths } from '../store/layout';
import { withLock } from '../store/lock';
import { findEntry, searchFile, searchJournal, searchLine, searchText, type SearchOptions, type SearchResult } from './search';

export type NewEntry = Omit<JournalEntry, 'seq' | 'stdout' | 'stderr' | 'recording' | 'status' | 'reason'> & {
  recording?: string | null;
  /** `completed` unless given: most entries are written once, when what they record has ended. */
  status?: EntryStatus;
  reason?: string | null;
};

export interface NewEntryWithOutput {
  entry: NewEntry;
  output?: { stdout: StoredOutput; stderr: StoredOutput };
}

export interface StoredOutput {
  /** What is stored: bytes exactly as produced (after redaction), or text. */
  text: string | Uint8Array;
  /** Bytes the command produced (may exceed what is stored). */
  totalBytes: number;
  truncated: boolean;
}

export class Journal {
  constructor(readonly dir: string) {}

  private outputFile(seq: number, stream: 'stdout' | 'stderr'): string {
    return join(paths.outputs(this.dir), `${seq}.${stream}`);
  }

  async append(entry: NewEntry, output?: { stdout: StoredOutput; stderr: StoredOutput }): Promise<JournalEntry> {
    return (await this.appendMany([{ entry, output }]))[0] as JournalEntry;
  }

  /** Appends several entries under one lock, with consecutive seqs; the files are exactly what one append each would write. */
  async appendMany(items: readonly NewEntryWithOutput[]): Promise<JournalEntry[]> {
    if (!items.length) return [];
    if (!existsSync(this.dir)) throw new BenchtopError('NOT_FOUND', `the workspace's folder ${this.dir} is gone (it was removed): nothing is written there`, { dir: this.dir });
    return withLock(paths.journal(this.dir), () => {
      const seqFile = paths.journalSeq(this.dir);
      const first = (existsSync(seqFile) ? Number(readFileSync(seqFile, 'utf8')) || 0 : 0) + 1;
      const info = (o: StoredOutput) => ({ bytes: o.totalBytes, storedBytes: typeof o.text === 'string' ? Buffer.byteLength(o.text) : o.text.length, truncated: o.truncated });
      const journalFile = paths.journal(this.dir);
      // A crash can leave a torn last line without its newline: start on a fresh line.
      const sep = endsWithNewline(journalFile) ? '' : '\n';
      let offset = sizeOf(journalFile) + sep.length;
      const written: JournalEntry[] = [];
      let lines = '';
      let search = '';
      let outputsDir = false;
      items.forEach(({ entry, output }, k) => {
        const seq = first + k;
        if (output) {
          if (!outputsDir) mkdirSync(paths.outputs(this.dir), { recursive: true });
          outputsDir = true;
          writeFileSync(this.outputFile(seq, 'stdout'), output.stdout.text);
          writeFileSync(this.outputFile(seq, 'stderr'), output.stderr.text);
        }
        const full: JournalEntry = {
          ...entry,
          recording: entry.recording ?? null,
          status: entry.status ?? 'completed',
          reason: entry.reason ?? null,
          seq,
          stdout: output ? info(output.stdout) : null,
          stderr: output ? info(output.stderr) : null,
        };
        written.push(full);
        const line = JSON.stringify(full);
        const length = Buffer.byteLength(line);
        lines += `${line}\n`;
        search += searchLine(full, offset, length, searchText(full, textOf(output?.stdout.text), textOf(output?.stderr.text)));
        offset += length + 1;
      });
      // Outputs first, then the counter, then the lines: a reader never sees an entry without its output,
      // and a crash between them leaves a gap in the seqs, never a seq used twice.
      writeFileSync(seqFile, String(first + items.length - 1));
      appendFileSync(journalFile, `${sep}${lines}`);
      // The search sidecar last: an entry without its line there is still found (from its output files).
      appendFileSync(searchFile(this.dir), `${endsWithNewline(searchFile(this.dir)) ? '' : '\n'}${search}`);
      return written;
    });
  }

  /**
   * Writes the entry of a command that is starting (status running) with empty
   * output files that {@link openOutput} fills while it runs, so a command whose
   * process is killed still leaves its entry and its output so far.
   */
  async begin(entry: NewEntry, opts: { output: boolean } = { output: true }): Promise<JournalEntry> {
    const empty: StoredOutput = { text: '', totalBytes: 0, truncated: false };
    return this.append({ ...entry, status: 'running', reason: null }, opts.output ? { stdout: empty, stderr: empty } : undefined);
  }

  /** Appends to a running entry's stored output, keeping the first `cap` bytes and counting the rest. */
  openOutput(seq: number, stream: 'stdout' | 'stderr', cap: number): OutputSink {
    const fd = openSync(this.outputFile(seq, stream), 'a');
    let stored = 0;
    let total = 0;
    let open = true;
    return {
      write(chunk) {
        total += chunk.length;
        const room = cap - stored;
        if (!open || room <= 0) return;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        writeSync(fd, part);
        stored += part.length;
      },
      info: () => ({ bytes: total, storedBytes: stored, truncated: total > stored }),
      close() {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }

  /**
   * Completes an entry: a new line with the same seq and the final fields is
   * appended (the last line of a seq wins for every reader), with its search
   * text taken from the stored output.
   */
  async complete(seq: number, patch: Partial<Omit<JournalEntry, 'seq' | 'workspaceId'>>): Promise<JournalEntry> {
    return withLock(paths.journal(this.dir), () => {
      const current = findEntry(this.dir, seq);
      if (!current) throw new BenchtopError('NOT_FOUND', `no journal entry ${seq}`, { seq });
      const full: JournalEntry = { ...current, ...patch, seq, workspaceId: current.workspaceId };
      const journalFile = paths.journal(this.dir);
      const sep = endsWithNewline(journalFile) ? '' : '\n';
      const offset = sizeOf(journalFile) + sep.length;
      const line = JSON.stringify(full);
      const read = (s: 'stdout' | 'stderr') => (full[s] ? safeRead(this.outputFile(seq, s)) : '');
      appendFileSync(journalFile, `${sep}${line}\n`);
      const search = searchLine(full, offset, Buffer.byteLength(line), searchText(full, read('stdout'), read('stderr')));
      appendFileSync(searchFile(this.dir), `${endsWithNewline(searchFile(this.dir)) ? '' : '\n'}${search}`);
      return full;
    });
  }

  /** Entries matching a text query and filters, newest first, with the number of all matches. */
  search(options: SearchOptions = {}): SearchResult {
    return searchJournal(this.dir, options);
  }

  list(afterSeq = 0, limit = 1000): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(paths.journal(this.dir), 'utf8');
    } catch {
      return [];
    }
    // A completed entry is a later line with the same seq: it replaces the earlier one, in its place.
    const out: JournalEntry[] = [];
    const at = new Map<number, number>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue; // A torn last line from a crash is skipped, not fatal.
      }
      const r = journalEntrySchema.safeParse(parsed);
      if (!r.success || r.data.seq <= afterSeq) continue;
      const i = at.get(r.data.seq);
      if (i !== undefined) out[i] = r.data;
      else if (out.length < limit) {
        at.set(r.data.seq, out.length);
        out.push(r.data);
      }
    }
    return out;
  }

  /** An entry with its stored outputs as text; without them (empty strings) when `outputs` is false. */
  get(seq: number, outputs = true): JournalEntryWithOutput {
    const entry = findEntry(this.dir, seq);
    if (!entry) throw new BenchtopError('NOT_FOUND', `no journal entry ${seq}`, { seq });
    const read = (s: 'stdout' | 'stderr') => (outputs && entry[s] ? safeRead(this.outputFile(seq, s)) : '');
    return { ...entry, stdoutText: read('stdout'), stderrText: read('stderr') };
  }

  readOutput(seq: number, stream: 'stdout' | 'stderr', offset = 0, length = 1024 * 1024, encoding: 'utf8' | 'base64' = 'utf8') {
    const file = this.outputFile(seq, stream);
    if (!existsSync(file)) throw new BenchtopError('NOT_FOUND', `no ${stream} stored for journal entry ${seq}`, { seq });
    const total = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, total - offset)));
      const n = buf.length ? readSync(fd, buf, 0, buf.length, offset) : 0;
      return { data: buf.subarray(0, n).toString(encoding), offset, totalBytes: total, eof: offset + n >= total };
    } finally {
      closeSync(fd);
    }
  }
}

export interface OutputSink {
  write(chunk: Buffer): void;
  info(): { bytes: number; storedBytes: number; truncated: boolean };
  close(): void;
}

function textOf(data: string | Uint8Array | undefined): string | undefined {
  return data === undefined || typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function endsWithNewline(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return true; // No file yet.
  }
  try {
    const size = statSync(file).size;
    if (size === 0) return true;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}
