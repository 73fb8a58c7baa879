import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, type NewEntry } from '../../src-main/core/journal/journal';

let dir: string;
let journal: Journal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'benchtop-journal-'));
  // The workspace's folder exists before its journal is written (a journal never makes it).
  mkdirSync(join(dir, 'ws'));
  journal = new Journal(join(dir, 'ws'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function lifecycle(event: string): NewEntry {
  return {
    workspaceId: 'ws1',
    source: 'lifecycle',
    command: event,
    argv: null,
    cwd: null,
    client: 'test',
    startedAt: '2024-01-01T00:00:00.000Z',
    durationMs: 0,
    exitCode: null,
    timedOut: false,
    event,
    detail: null,
  };
}

function exec(command: string): NewEntry {
  return {
    workspaceId: 'ws1',
    source: 'exec',
    command,
    argv: ['sh', '-lc', command],
    cwd: '/workspace',
    client: 'cli',
    startedAt: '2024-01-01T00:00:01.000Z',
    durationMs: 12,
    exitCode: 0,
    timedOut: false,
    event: null,
    detail: null,
  };
}

const out = (text: string, totalBytes = Buffer.byteLength(text), truncated = false) => ({ text, totalBytes, truncated });

describe('Journal: an entry written when it starts, completed when it ends', () => {
  it('begin, output as it comes (capped), complete: one entry per seq everywhere, the last line winning', async () => {
    await journal.append(lifecycle('started'));
    const begun = await journal.begin({ ...exec('make'), exitCode: null });
    expect(begun).toMatchObject({ seq: 2, status: 'running', exitCode: null });
    const sink = journal.openOutput(2, 'stdout', 8);
    sink.write(Buffer.from([0xff, 0x00, 0x41]));
    // Output so far is readable while it runs, byte for byte.
    expect(Buffer.from(journal.readOutput(2, 'stdout', 0, 100, 'base64').data, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x41]));
    sink.write(Buffer.from('0123456789'));
    sink.close();
    expect(sink.info()).toEqual({ bytes: 13, storedBytes: 8, truncated: true });
    await journal.append(lifecycle('other'));
    expect(journal.search({ exit: 'failed' }).entries).toEqual([]);
    const done = await journal.complete(2, { status: 'completed', exitCode: 2, durationMs: 40, stdout: sink.info() });
    expect(done).toMatchObject({ seq: 2, status: 'completed', exitCode: 2, command: 'make' });
    const listed = journal.list();
    expect(listed.map((e) => [e.seq, e.status])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
      [3, 'completed'],
    ]);
    expect(journal.get(2).exitCode).toBe(2);
    expect(journal.search({ exit: 'failed' }).entries.map((e) => e.seq)).toEqual([2]);
    expect(journal.search({ query: '0123' }).entries.map((e) => e.seq)).toEqual([2]);
    expect(journal.search({}).total).toBe(3);
  });
});

describe('Journal', () => {
  it('an empty journal lists nothing', () => {
    expect(journal.list()).toEqual([]);
  });

  it('appends lifecycle and exec entries with outputs and sequence numbers', async () => {
    const a = await journal.append(lifecycle('created'));
    expect(a.seq).toBe(1);
    expect(a.stdout).toBeNull();
    expect(a.stderr).toBeNull();
    const b = await journal.append(exec('echo héllo'), { stdout: out('héllo\n'), stderr: out('warn\n', 10_000, true) });
    expect(b.seq).toBe(2);
    expect(b.stdout).toEqual({ bytes: 7, storedBytes: 7, truncated: false });
    expect(b.stderr).toEqual({ bytes: 10_000, storedBytes: 5, truncated: true });
    const all = journal.list();
    expect(all.map((e) => [e.seq, e.source, e.event ?? e.command])).toEqual([
      [1, 'lifecycle', 'created'],
      [2, 'exec', 'echo héllo'],
    ]);
    expect(all[1]).toEqual(b);
    expect(readFileSync(join(dir, 'ws', 'journal.seq'), 'utf8')).toBe('2');
  });

  it('list pages with afterSeq and limit', async () => {
    for (let i = 1; i <= 5; i++) await journal.append(lifecycle(`e${i}`));
    expect(journal.list(2).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(journal.list(0, 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(journal.list(3, 1).map((e) => e.seq)).toEqual([4]);
    expect(journal.list(5)).toEqual([]);
  });

  it('get returns the entry with its outputs; lifecycle entries have empty texts; a missing seq is NOT_FOUND', async () => {
    await journal.append(lifecycle('created'));
    await journal.append(exec('ls'), { stdout: out('a\nb\n'), stderr: out('') });
    const e = journal.get(2);
    expect(e.seq).toBe(2);
    expect(e.command).toBe('ls');
    expect(e.stdoutText).toBe('a\nb\n');
    expect(e.stderrText).toBe('');
    const l = journal.get(1);
    expect(l.event).toBe('created');
    expect(l.stdoutText).toBe('');
    expect(() => journal.get(3)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('get without outputs leaves their text out but keeps their sizes (a reader takes them in slices)', async () => {
    await journal.append(exec('ls'), { stdout: out('a\nb\n'), stderr: out('err\n') });
    const e = journal.get(1, false);
    expect([e.stdoutText, e.stderrText]).toEqual(['', '']);
    expect(e.stdout?.storedBytes).toBe(4);
    expect(e.stderr?.storedBytes).toBe(4);
  });

  it('readOutput slices with offset and length and reports eof', async () => {
    await journal.append(exec('x'), { stdout: out('0123456789'), stderr: out('') });
    expect(journal.readOutput(1, 'stdout')).toEqual({ data: '0123456789', offset: 0, totalBytes: 10, eof: true });
    expect(journal.readOutput(1, 'stdout', 0, 4)).toEqual({ data: '0123', offset: 0, totalBytes: 10, eof: false });
    expect(journal.readOutput(1, 'stdout', 4, 4)).toEqual({ data: '4567', offset: 4, totalBytes: 10, eof: false });
    expect(journal.readOutput(1, 'stdout', 8, 4)).toEqual({ data: '89', offset: 8, totalBytes: 10, eof: true });
    expect(journal.readOutput(1, 'stdout', 10, 4)).toEqual({ data: '', offset: 10, totalBytes: 10, eof: true });
    expect(journal.readOutput(1, 'stdout', 50, 4)).toMatchObject({ data: '', eof: true });
    expect(journal.readOutput(1, 'stderr')).toEqual({ data: '', offset: 0, totalBytes: 0, eof: true });
    expect(() => journal.readOutput(2, 'stdout')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('50 concurrent appends get unique seqs 1..50 and no line is lost', async () => {
    const entries = await Promise.all(
      Array.from({ length: 50 }, (_, i) => journal.append(exec(`cmd ${i}`), { stdout: out(`out ${i}`), stderr: out('') })),
    );
    expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const listed = journal.list(0, 10_000);
    expect(listed.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(listed.map((e) => e.command)).size).toBe(50);
    // Each entry's stored output belongs to its own command.
    for (const e of listed) expect(journal.get(e.seq).stdoutText).toBe(`out ${e.command.slice(4)}`);
    const lines = readFileSync(join(dir, 'ws', 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(50);
  });

  it('a torn (non-JSON) last line is skipped, and appending continues after it', async () => {
    await journal.append(lifecycle('created'));
    await journal.append(lifecycle('started'));
    appendFileSync(join(dir, 'ws', 'journal.jsonl'), '{"seq":3,"workspaceId":"ws1","sou');
    expect(journal.list().map((e) => e.seq)).toEqual([1, 2]);
    expect(() => journal.get(3)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    const next = await journal.append(lifecycle('stopped'));
    expect(next.seq).toBe(3);
    // append starts a fresh line after a torn (newline-less) last line, so the new entry survives.
    expect(journal.list().map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('a torn line in the middle (newline-terminated) is skipped, later entries still list', async () => {
    await journal.append(lifecycle('created'));
    appendFileSync(join(dir, 'ws', 'journal.jsonl'), 'not json at all\n');
    await journal.append(lifecycle('started'));
    expect(journal.list().map((e) => e.event)).toEqual(['created', 'started']);
  });
});
