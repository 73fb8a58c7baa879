/**
 * Journal search. Two files per journal:
 *
 *   journal.jsonl        the entries (the truth)
 *   journal.search.tsv   the sidecar: one line per entry, appended right after
 *                        the entry's own line (see searchLine): its seq; what
 *                        the filters need and where its line is in
 *                        journal.jsonl; and its search text — command, detail,
 *                        stdout, stderr (of each the first and last 2 KiB),
 *                        ANSI escapes removed, control characters turned into
 *                        spaces, lower-cased. Outputs are redacted before they
 *                        are appended, so this file never holds more than the
 *                        journal shows. A final tab tells a whole line from
 *                        one torn by a crash.
 *
 * A process keeps a small in-memory index per journal (seq, source, exit
 * class, time, byte range of each line) and catches up by reading only what
 * was appended since, by any process. Building it reads the sidecar, not the
 * (much larger) journal, except the journal lines the sidecar does not
 * describe. A search then reads the sidecar only for a text query, plus the
 * lines of the page it returns. Entries without a sidecar line (appended
 * before it existed, or cut off by a crash) are searched from their output
 * files instead. If the two files ever disagree, the journal wins: the index
 * is rebuilt from journal.jsonl alone.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { BenchtopError, journalEntrySchema, JOURNAL_SOURCES, type JournalEntry } from '../../../src-preload/contract';
import { normalizeSearch, queryTerms } from '../../../src-preload/contract/query';
import { paths } from '../store/layout';

// The query language lives in the contract: the renderer highlights exactly what this matches.
export { normalizeSearch, queryTerms };

export type JournalSource = (typeof JOURNAL_SOURCES)[number];

export interface SearchOptions {
  /** Whitespace-separated terms, all of which must occur; "double quotes" keep a phrase together. Case-insensitive. */
  query?: string;
  /** Only these sources (all when omitted). */
  sources?: readonly JournalSource[];
  /** ok: exit code 0 and not timed out; failed: non-zero exit or timed out; entries without an exit code are neither. */
  exit?: 'any' | 'ok' | 'failed';
  /** ISO 8601, inclusive bounds on startedAt. */
  from?: string;
  to?: string;
  offset?: number;
  limit?: number;
}

export interface SearchResult {
  entries: JournalEntry[];
  /** How many entries match in all (for paging). */
  total: number;
}

/** The sidecar's file name, beside journal.jsonl. */
export const SEARCH_FILE = 'journal.search.tsv';
/** Characters of each field kept for search: the first and the last half. */
export const SEARCH_FIELD_CHARS = 4096;

export const searchFile = (dir: string): string => join(dir, SEARCH_FILE);

/** Separates fields (and the head and tail of a capped field) so that no phrase matches across them. */
const SEP = '\x1f';

function capped(text: string): string {
  if (text.length <= SEARCH_FIELD_CHARS) return normalizeSearch(text);
  const half = SEARCH_FIELD_CHARS / 2;
  let head = text.slice(0, half);
  let tail = text.slice(text.length - half);
  // Never keep half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  if (/^[\udc00-\udfff]/.test(tail)) tail = tail.slice(1);
  return `${normalizeSearch(head)}${SEP}${normalizeSearch(tail)}`;
}

/** The search text of one entry (the last field of its sidecar line). */
export function searchText(entry: { command: string; detail: string | null }, stdout?: string, stderr?: string): string {
  return [entry.command, entry.detail ?? '', stdout ?? '', stderr ?? ''].map(capped).join(SEP);
}

// ---------------------------------------------------------------- reading files in blocks of whole lines

const CHUNK = 4 * 1024 * 1024;

/**
 * Reads [start, end) of a file and hands over blocks that hold whole lines
 * only (each block ends with '\n'); returns the file offset just after the
 * last whole line (a trailing line without its newline is left for later).
 */
function forEachBlock(fd: number, start: number, end: number, onBlock: (block: Buffer, fileOffset: number) => void): number {
  let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(end - start, 1)));
  let pos = start; // file offset of buf[0]
  let filled = 0;
  while (pos + filled < end) {
    if (filled === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2); // one line longer than a chunk
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
    const n = readSync(fd, buf, filled, Math.min(buf.length - filled, end - pos - filled), pos + filled);
    if (n <= 0) break;
    filled += n;
    const last = buf.subarray(0, filled).lastIndexOf(0x0a);
    if (last < 0) continue;
    onBlock(buf.subarray(0, last + 1), pos);
    buf.copy(buf, 0, last + 1, filled);
    filled -= last + 1;
    pos += last + 1;
  }
  return pos;
}

function forEachLine(fd: number, start: number, end: number, onLine: (buf: Buffer, s: number, e: number, fileOffset: number) => void): number {
  return forEachBlock(fd, start, end, (block, base) => {
    let s = 0;
    while (s < block.length) {
      const nl = block.indexOf(0x0a, s);
      if (nl > s) onLine(block, s, nl, base + s);
      s = nl + 1;
    }
  });
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n <= 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- the index

const SOURCE_CODE: Record<JournalSource, number> = { exec: 1, terminal: 2, lifecycle: 4, copy: 8 };
const SOURCE_LETTER: Record<JournalSource, string> = { exec: 'e', terminal: 't', lifecycle: 'l', copy: 'c' };
const LETTER_CODE: Record<number, number> = { 0x65: 1, 0x74: 2, 0x6c: 4, 0x63: 8 };
const EXIT_NONE = 0;
const EXIT_OK = 1;
const EXIT_FAILED = 2;
const TAB = 0x09;
const HEAD_BYTES = 64;
const EMPTY: Buffer = Buffer.alloc(0);

function exitClass(e: Pick<JournalEntry, 'exitCode' | 'timedOut'>): number {
  return e.timedOut || (e.exitCode !== null && e.exitCode !== 0) ? EXIT_FAILED : e.exitCode === 0 ? EXIT_OK : EXIT_NONE;
}

function startedMs(e: Pick<JournalEntry, 'startedAt'>): number {
  const t = Date.parse(e.startedAt);
  return Number.isNaN(t) ? 0 : t;
}

/**
 * One sidecar line: `<seq>\t<meta>\t<text>\t\n`, meta being what filters need
 * and where the entry's line is — `<source e|t|l|c><exit class 0|1|2>,<startedAt
 * ms>,<byte offset of its line in journal.jsonl>,<its length>` — so a fresh
 * process indexes a journal from this small file instead of parsing every
 * entry. The text never holds a tab or a newline.
 */
export function searchLine(entry: JournalEntry, offset: number, length: number, text: string): string {
  return `${entry.seq}\t${SOURCE_LETTER[entry.source]}${exitClass(entry)},${startedMs(entry)},${offset},${length}\t${text}\t\n`;
}

/** A decimal integer in buf[s, e), or NaN. */
function intAt(buf: Buffer, s: number, e: number): number {
  let neg = false;
  if (buf[s] === 0x2d) {
    neg = true;
    s++;
  }
  if (e <= s || e - s > 16) return NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x39) return NaN;
    v = v * 10 + (c - 0x30);
  }
  return neg ? -v : v;
}

interface Slot {
  seq: number;
  src: number;
  exit: number;
  at: number;
  off: number;
  len: number;
}

/** Parses a whole sidecar line buf[s, e) (without its newline); null for a torn or foreign line. */
function parseSidecarLine(buf: Buffer, s: number, e: number): Slot | null {
  if (buf[e - 1] !== TAB) return null; // torn by a crash
  const t1 = buf.indexOf(TAB, s);
  if (t1 < 0 || t1 >= e - 1) return null;
  const seq = intAt(buf, s, t1);
  const t2 = buf.indexOf(TAB, t1 + 1);
  if (!(seq > 0) || t2 < 0 || t2 >= e - 1) return null;
  const src = LETTER_CODE[buf[t1 + 1] as number];
  const exit = (buf[t1 + 2] as number) - 0x30;
  if (!src || exit < 0 || exit > 2 || buf[t1 + 3] !== 0x2c) return null;
  const c1 = buf.indexOf(0x2c, t1 + 4);
  const c2 = c1 < 0 ? -1 : buf.indexOf(0x2c, c1 + 1);
  if (c1 < 0 || c2 < 0 || c2 > t2) return null;
  const at = intAt(buf, t1 + 4, c1);
  const off = intAt(buf, c1 + 1, c2);
  const len = intAt(buf, c2 + 1, t2);
  if (Number.isNaN(at) || !(off >= 0) || !(len > 0)) return null;
  return { seq, src, exit, at, off, len };
}

/** The journal or its sidecar was replaced or disagrees with the other: read again from the start. */
class Stale extends Error {}

/** What one process knows about one journal; every use first catches up with the files. */
class JournalIndex {
  // journal.jsonl: one slot per valid entry, in file order.
  private jIno = -1;
  private jHead: Buffer = EMPTY;
  private jEnd = 0;
  private seq: number[] = [];
  private src: number[] = [];
  private exit: number[] = [];
  private at: number[] = [];
  private off: number[] = [];
  private len: number[] = [];
  /** seq → first slot, only when the file is not in seq order (else a binary search finds it). */
  private bySeq: Map<number, number> | null = null;
  private ordered = true;
  private order: number[] | null = null;
  // journal.search.tsv
  private sIno = -1;
  private sHead: Buffer = EMPTY;
  private sEnd = 0;
  private covered = new Set<number>();
  /** Sidecar lines whose journal line is not indexed yet (from pendingAt on). */
  private pending: Slot[] = [];
  private pendingAt = 0;
  // Entries without a sidecar line: their search text, read once from the output files.
  private uncovered: number[] = [];
  private uncoveredChecked = 0;
  private legacyText = new Map<number, string>();

  /** trust: index from the sidecar's offsets (false: parse every journal line, after the two disagreed). */
  constructor(
    readonly dir: string,
    private readonly trust = true,
  ) {}

  /** Catches up with both files; a file that was replaced (other inode, shorter, other first bytes) is read again. */
  sync(): void {
    const sFd = tryOpen(searchFile(this.dir));
    if (sFd !== null) {
      try {
        const size = fstatSync(sFd).size;
        if (!same(sFd, size, this.sIno, this.sHead, this.sEnd)) throw new Stale();
        if (size > this.sEnd) {
          if (this.sEnd === 0) [this.sIno, this.sHead] = [fstatSync(sFd).ino, readAt(sFd, 0, Math.min(HEAD_BYTES, size))];
          this.sEnd = forEachLine(sFd, this.sEnd, size, (buf, s, e) => {
            const slot = parseSidecarLine(buf, s, e);
            if (!slot) return; // A torn line does not count: that entry is searched from its files.
            this.covered.add(slot.seq);
            this.pending.push(slot);
          });
        }
      } finally {
        closeSync(sFd);
      }
    } else if (this.sEnd > 0) throw new Stale();
    const jFd = tryOpen(paths.journal(this.dir));
    if (jFd === null) {
      if (this.jEnd > 0) throw new Stale();
      return;
    }
    try {
      const size = fstatSync(jFd).size;
      if (!same(jFd, size, this.jIno, this.jHead, this.jEnd)) throw new Stale();
      if (size > this.jEnd && this.jEnd === 0) [this.jIno, this.jHead] = [fstatSync(jFd).ino, readAt(jFd, 0, Math.min(HEAD_BYTES, size))];
      this.catchUp(jFd, size);
    } finally {
      closeSync(jFd);
    }
  }

  /** Indexes journal.jsonl up to size: lines the sidecar describes from its offsets, any other line by parsing it. */
  private catchUp(fd: number, size: number): void {
    let last: Slot | null = null;
    let k = this.pendingAt;
    for (; this.trust && k < this.pending.length; k++) {
      const slot = this.pending[k] as Slot;
      if (slot.off < this.jEnd) continue; // indexed from the journal itself already
      if (slot.off + slot.len + 1 > size) break; // not there yet
      if (slot.off > this.jEnd) {
        // Lines with no sidecar line (older, or a crash between the two appends): parse them.
        if (forEachLine(fd, this.jEnd, slot.off, (buf, s, e, o) => this.addParsed(buf, s, e, o)) !== slot.off) throw new Stale();
      }
      this.add(slot);
      this.jEnd = slot.off + slot.len + 1;
      last = slot;
    }
    this.pendingAt = k;
    if (k > 4096 && k * 2 > this.pending.length) {
      this.pending = this.pending.slice(k);
      this.pendingAt = 0;
    }
    if (size > this.jEnd) this.jEnd = forEachLine(fd, this.jEnd, size, (buf, s, e, o) => this.addParsed(buf, s, e, o));
    if (last) {
      // The newest offset taken on trust must point at that very entry (and a line of its own).
      const raw = readAt(fd, last.off, last.len + 1);
      let seq: unknown;
      try {
        seq = (JSON.parse(raw.toString('utf8', 0, last.len)) as { seq?: unknown }).seq;
      } catch {
        seq = undefined;
      }
      if (seq !== last.seq || raw[last.len] !== 0x0a || (last.off > 0 && readAt(fd, last.off - 1, 1)[0] !== 0x0a)) throw new Stale();
    }
  }

  private addParsed(buf: Buffer, s: number, e: number, fileOffset: number): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(buf.toString('utf8', s, e));
    } catch {
      return; // A torn line from a crash is skipped, as list() does.
    }
    const r = journalEntrySchema.safeParse(parsed);
    if (!r.success) return;
    this.add({ seq: r.data.seq, src: SOURCE_CODE[r.data.source], exit: exitClass(r.data), at: startedMs(r.data), off: fileOffset, len: e - s });
  }

  private add(slot: Slot): void {
    // A later line of the same seq completes the entry: it takes that entry's place.
    const known = this.slotOf(slot.seq);
    if (known !== undefined) {
      this.src[known] = slot.src;
      this.exit[known] = slot.exit;
      this.at[known] = slot.at;
      this.off[known] = slot.off;
      this.len[known] = slot.len;
      return;
    }
    const i = this.seq.length;
    if (i > 0 && slot.seq <= (this.seq[i - 1] as number)) this.ordered = false;
    this.order = null;
    this.bySeq?.set(slot.seq, i);
    this.seq.push(slot.seq);
    this.src.push(slot.src);
    this.exit.push(slot.exit);
    this.at.push(slot.at);
    this.off.push(slot.off);
    this.len.push(slot.len);
  }

  private slotOf(seq: number): number | undefined {
    if (this.ordered) {
      let lo = 0;
      let hi = this.seq.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = this.seq[mid] as number;
        if (v === seq) return mid;
        if (v < seq) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
    if (!this.bySeq) {
      this.bySeq = new Map();
      for (let i = 0; i < this.seq.length; i++) if (!this.bySeq.has(this.seq[i] as number)) this.bySeq.set(this.seq[i] as number, i);
    }
    return this.bySeq.get(seq);
  }

  /** Slot indexes, newest (highest seq) first, when file order is not seq order. */
  private newestFirst(): number[] | null {
    if (this.ordered) return null;
    if (!this.order) this.order = this.seq.map((_, i) => i).sort((a, b) => (this.seq[b] as number) - (this.seq[a] as number) || b - a);
    return this.order;
  }

  /** The seqs whose text holds every term. */
  private match(terms: string[]): Set<number> {
    const hits = new Set<number>();
    const needles = terms.map((t) => Buffer.from(t, 'utf8')).sort((a, b) => b.length - a.length);
    const anchor = needles[0] as Buffer;
    const others = needles.slice(1);
    if (this.sEnd > 0) {
      const fd = tryOpen(searchFile(this.dir));
      if (fd !== null) {
        try {
          forEachBlock(fd, 0, this.sEnd, (block) => scanBlock(block, anchor, others, hits));
        } finally {
          closeSync(fd);
        }
      }
    }
    for (const i of this.uncoveredSlots()) {
      const text = this.textOfLegacy(i);
      if (text !== null && terms.every((t) => text.includes(t))) hits.add(this.seq[i] as number);
    }
    return hits;
  }

  private uncoveredSlots(): number[] {
    for (let i = this.uncoveredChecked; i < this.seq.length; i++) this.uncovered.push(i);
    this.uncoveredChecked = this.seq.length;
    this.uncovered = this.uncovered.filter((i) => !this.covered.has(this.seq[i] as number));
    return this.uncovered;
  }

  /** The search text of an entry that has no sidecar line, built from its line and its output files. */
  private textOfLegacy(i: number): string | null {
    const cached = this.legacyText.get(i);
    if (cached !== undefined) return cached;
    const entry = this.read([i])[0];
    if (!entry) return null;
    const out = (s: 'stdout' | 'stderr') => (entry[s] ? readText(join(paths.outputs(this.dir), `${entry.seq}.${s}`)) : '');
    const text = searchText(entry, out('stdout'), out('stderr'));
    this.legacyText.set(i, text);
    return text;
  }

  /** The entries in these slots, read from journal.jsonl by byte range. */
  private read(slots: number[]): JournalEntry[] {
    if (!slots.length) return [];
    const fd = tryOpen(paths.journal(this.dir));
    if (fd === null) throw new Stale();
    try {
      return slots.map((i) => {
        const raw = readAt(fd, this.off[i] as number, this.len[i] as number).toString('utf8');
        let r: ReturnType<typeof journalEntrySchema.safeParse>;
        try {
          r = journalEntrySchema.safeParse(JSON.parse(raw));
        } catch {
          throw new Stale();
        }
        if (!r.success || r.data.seq !== this.seq[i]) throw new Stale();
        return r.data;
      });
    } finally {
      closeSync(fd);
    }
  }

  entry(seq: number): JournalEntry | null {
    const i = this.slotOf(seq);
    return i === undefined ? null : (this.read([i])[0] ?? null);
  }

  search(opts: SearchOptions): SearchResult {
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? 100;
    let srcMask = 0;
    for (const s of opts.sources ?? JOURNAL_SOURCES) srcMask |= SOURCE_CODE[s];
    const exit = opts.exit === 'ok' ? EXIT_OK : opts.exit === 'failed' ? EXIT_FAILED : -1;
    const from = opts.from ? Date.parse(opts.from) : -Infinity;
    const to = opts.to ? Date.parse(opts.to) : Infinity;
    const terms = queryTerms(opts.query ?? '');
    const hits = terms.length && srcMask ? this.match(terms) : null;
    const order = this.newestFirst();
    const n = this.seq.length;
    const page: number[] = [];
    let total = 0;
    for (let k = n - 1; k >= 0; k--) {
      const i = order ? (order[n - 1 - k] as number) : k;
      if (!((this.src[i] as number) & srcMask)) continue;
      if (exit >= 0 && this.exit[i] !== exit) continue;
      const t = this.at[i] as number;
      if (t < from || t > to) continue;
      if (hits && !hits.has(this.seq[i] as number)) continue;
      if (total >= offset && page.length < limit) page.push(i);
      total++;
    }
    return { entries: this.read(page), total };
  }
}

function same(fd: number, size: number, ino: number, head: Buffer, end: number): boolean {
  if (end === 0) return true;
  if (fstatSync(fd).ino !== ino || size < end) return false;
  return readAt(fd, 0, head.length).equals(head);
}

/** Finds the sidecar lines in a block whose text (after the meta) holds the anchor and every other needle. */
function scanBlock(block: Buffer, anchor: Buffer, others: Buffer[], hits: Set<number>): void {
  let pos = 0;
  while (pos < block.length) {
    let p = block.indexOf(anchor, pos);
    if (p < 0) return;
    const lineStart = p === 0 ? 0 : block.lastIndexOf(0x0a, p - 1) + 1;
    const lineEnd = block.indexOf(0x0a, p);
    pos = lineEnd + 1;
    const t1 = block.indexOf(TAB, lineStart);
    const t2 = t1 < 0 ? -1 : block.indexOf(TAB, t1 + 1);
    if (t2 < 0 || t2 >= lineEnd - 1 || block[lineEnd - 1] !== TAB) continue; // torn: searched from its files
    if (p <= t2) {
      // The hit is in the seq or the meta: look again in the text.
      p = block.indexOf(anchor, t2 + 1);
      if (p < 0 || p + anchor.length > lineEnd - 1) continue;
    }
    const text = block.subarray(t2 + 1, lineEnd - 1);
    if (others.every((n) => text.indexOf(n) >= 0)) {
      const seq = intAt(block, lineStart, t1);
      if (seq > 0) hits.add(seq);
    }
  }
}

function tryOpen(file: string): number | null {
  try {
    return openSync(file, 'r');
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- one index per journal, per process

const MAX_INDEXES = 16;
const indexes = new Map<string, JournalIndex>();

/** The index of a journal, caught up with its files; read again from scratch when they were replaced. */
function withIndex<T>(dir: string, use: (idx: JournalIndex) => T): T {
  let idx = indexes.get(dir);
  indexes.delete(dir);
  for (let attempt = 0; ; attempt++) {
    idx ??= new JournalIndex(dir);
    try {
      idx.sync();
      const out = use(idx);
      indexes.set(dir, idx); // most recently used last
      while (indexes.size > MAX_INDEXES) indexes.delete(indexes.keys().next().value as string);
      return out;
    } catch (err) {
      if (!(err instanceof Stale)) throw err;
      if (attempt >= 2) throw new BenchtopError('CONFLICT', 'the journal changed while it was being read; try again');
      // Once from scratch; if the two files still disagree, without trusting the sidecar's offsets.
      idx = new JournalIndex(dir, attempt === 0);
    }
  }
}

/** Searches one journal (the workspace folder holding journal.jsonl), newest first. */
export function searchJournal(dir: string, opts: SearchOptions = {}): SearchResult {
  return withIndex(dir, (idx) => idx.search(opts));
}

/** One entry by seq, without reading the journal from its start; null when there is none. */
export function findEntry(dir: string, seq: number): JournalEntry | null {
  return withIndex(dir, (idx) => idx.entry(seq));
}

/** Forgets every in-memory index (tests; a journal that was rewritten in place). */
export function dropSearchIndexes(): void {
  indexes.clear();
}
