/**
 * A workspace's journal: append-only JSONL, one line per entry, with the
 * entry's stdout/stderr in files beside it, and a search sidecar (see
 * search.ts). Sequence numbers are allocated under a lock so concurrent
 * writers (app + CLI) never collide.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError, journalEntrySchema, type JournalEntry, type JournalEntryWithOutput } from '../../../src-preload/contract';
import { paths } from '../store/layout';
import { withLock } from '../store/lock';
import { findEntry, searchFile, searchJournal, searchLine, searchText, type SearchOptions, type SearchResult } from './search';

export type NewEntry = Omit<JournalEntry, 'seq' | 'stdout' | 'stderr' | 'recording'> & { recording?: string | null };

export interface NewEntryWithOutput {
  entry: NewEntry;
  output?: { stdout: StoredOutput; stderr: StoredOutput };
}

export interface StoredOutput {
  text: string;
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
    mkdirSync(this.dir, { recursive: true });
    return withLock(paths.journal(this.dir), () => {
      const seqFile = paths.journalSeq(this.dir);
      const first = (existsSync(seqFile) ? Number(readFileSync(seqFile, 'utf8')) || 0 : 0) + 1;
      const info = (o: StoredOutput) => ({ bytes: o.totalBytes, storedBytes: Buffer.byteLength(o.text), truncated: o.truncated });
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
        const full: JournalEntry = { ...entry, recording: entry.recording ?? null, seq, stdout: output ? info(output.stdout) : null, stderr: output ? info(output.stderr) : null };
        written.push(full);
        const line = JSON.stringify(full);
        const length = Buffer.byteLength(line);
        lines += `${line}\n`;
        search += searchLine(full, offset, length, searchText(full, output?.stdout.text, output?.stderr.text));
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
    const out: JournalEntry[] = [];
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
      out.push(r.data);
      if (out.length >= limit) break;
    }
    return out;
  }

  get(seq: number): JournalEntryWithOutput {
    const entry = findEntry(this.dir, seq);
    if (!entry) throw new BenchtopError('NOT_FOUND', `no journal entry ${seq}`, { seq });
    const read = (s: 'stdout' | 'stderr') => (entry[s] ? safeRead(this.outputFile(seq, s)) : '');
    return { ...entry, stdoutText: read('stdout'), stderrText: read('stderr') };
  }

  readOutput(seq: number, stream: 'stdout' | 'stderr', offset = 0, length = 1024 * 1024) {
    const file = this.outputFile(seq, stream);
    if (!existsSync(file)) throw new BenchtopError('NOT_FOUND', `no ${stream} stored for journal entry ${seq}`, { seq });
    const total = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, total - offset)));
      const n = buf.length ? readSync(fd, buf, 0, buf.length, offset) : 0;
      return { data: buf.subarray(0, n).toString('utf8'), offset, totalBytes: total, eof: offset + n >= total };
    } finally {
      closeSync(fd);
    }
  }
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
