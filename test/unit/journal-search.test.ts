import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src-preload/client';
import { methods, type BenchtopError, type Workspace } from '../../src-preload/contract';
import { createMemoryTransportPair } from '../../src-preload/transports/memory';
import { TerminalService } from '../../src-main/core/terminals/service';
import { WorkspaceService } from '../../src-main/core/workspaces/service';
import { createServiceRpc } from '../../src-main/rpc/handlers';
import { Journal, type NewEntry, type StoredOutput } from '../../src-main/core/journal/journal';
import { dropSearchIndexes, normalizeSearch, queryTerms, SEARCH_FILE, searchText } from '../../src-main/core/journal/search';
import { createRedactor } from '../../src-main/core/secrets/redact';

let dir: string;
let ws: string;
let journal: Journal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'benchtop-jsearch-'));
  ws = join(dir, 'ws');
  // The workspace's folder exists before its journal is written (a journal never makes it).
  mkdirSync(ws);
  journal = new Journal(ws);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const out = (text: string): StoredOutput => ({ text, totalBytes: Buffer.byteLength(text), truncated: false });

function exec(command: string, opts: Partial<NewEntry> = {}): NewEntry {
  return {
    workspaceId: 'ws1',
    source: 'exec',
    command,
    argv: ['sh', '-lc', command],
    cwd: '/workspace',
    client: 'cli',
    startedAt: '2024-01-01T00:00:00.000Z',
    durationMs: 5,
    exitCode: 0,
    timedOut: false,
    event: null,
    detail: null,
    ...opts,
  };
}

function lifecycle(event: string, startedAt: string, detail: string | null = null): NewEntry {
  return { ...exec(event), source: 'lifecycle', argv: null, cwd: null, exitCode: null, event, detail, startedAt };
}

async function run(command: string, stdout = '', stderr = '', opts: Partial<NewEntry> = {}) {
  return journal.append(exec(command, opts), { stdout: out(stdout), stderr: out(stderr) });
}

const seqs = (r: { entries: { seq: number }[] }) => r.entries.map((e) => e.seq);

describe('journal search', () => {
  it('an empty or missing journal finds nothing', () => {
    expect(journal.search()).toEqual({ entries: [], total: 0 });
    expect(journal.search({ query: 'x' })).toEqual({ entries: [], total: 0 });
  });

  it('matches the command, stdout and stderr, each on its own', async () => {
    await run('make alpha', 'nothing here', '');
    await run('ls', 'the BETA build is done\n', '');
    await run('python train.py', '', 'Traceback: GammaError\n');
    expect(seqs(journal.search({ query: 'alpha' }))).toEqual([1]);
    expect(seqs(journal.search({ query: 'beta' }))).toEqual([2]);
    expect(seqs(journal.search({ query: 'gammaerror' }))).toEqual([3]);
    expect(seqs(journal.search({ query: 'delta' }))).toEqual([]);
    expect(journal.search({ query: 'delta' }).total).toBe(0);
  });

  it('is case-insensitive both ways, and returns entries exactly as listed', async () => {
    await run('echo Hello', 'HeLLo WoRLD\n');
    expect(seqs(journal.search({ query: 'hello world' }))).toEqual([1]);
    expect(seqs(journal.search({ query: 'HELLO' }))).toEqual([1]);
    expect(seqs(journal.search({ query: 'ÉCOLE' }))).toEqual([]);
    await run('echo', 'école\n');
    expect(seqs(journal.search({ query: 'ÉCOLE' }))).toEqual([2]);
    expect(journal.search({ query: 'hello' }).entries[0]).toEqual(journal.list()[0]);
  });

  it('all terms must occur (in any field); quotes keep a phrase; the detail is searched too', async () => {
    await run('train --epochs 3', 'loss 0.12\n');
    await run('train --epochs 5', 'accuracy 0.9\n');
    await journal.append(lifecycle('failed', '2024-01-01T00:00:00.000Z', 'podman: image not found'));
    expect(seqs(journal.search({ query: 'train loss' }))).toEqual([1]);
    expect(seqs(journal.search({ query: 'train' }))).toEqual([2, 1]);
    expect(seqs(journal.search({ query: '"epochs 5"' }))).toEqual([2]);
    expect(seqs(journal.search({ query: '"5 epochs"' }))).toEqual([]);
    expect(seqs(journal.search({ query: 'image not found' }))).toEqual([3]);
    expect(seqs(journal.search({ query: '   ' }))).toEqual([3, 2, 1]);
  });

  it('ANSI colours and line breaks do not get in the way; a seq is not text', async () => {
    await run('x', '\x1b[31mERROR\x1b[0m: disk\nfull\n');
    expect(seqs(journal.search({ query: 'error: disk full' }))).toEqual([1]);
    expect(seqs(journal.search({ query: '"error: disk full"' }))).toEqual([1]);
    expect(seqs(journal.search({ query: '31m' }))).toEqual([]);
    expect(seqs(journal.search({ query: '1' }))).toEqual([]);
  });

  it('filters by source, exit status (timed out counts as failed) and time range', async () => {
    await journal.append(lifecycle('created', '2024-01-01T10:00:00.000Z')); // 1
    await run('true', '', '', { startedAt: '2024-01-01T11:00:00.000Z' }); // 2 ok
    await run('false', '', '', { exitCode: 1, startedAt: '2024-01-01T12:00:00.000Z' }); // 3 failed
    await run('sleep 999', '', 'timed out', { exitCode: 124, timedOut: true, startedAt: '2024-01-01T13:00:00.000Z' }); // 4 failed
    await journal.append({ ...exec('bash'), source: 'terminal', argv: null, exitCode: 0, startedAt: '2024-01-01T14:00:00.000Z', recording: 'terminals/a.cast' }); // 5
    expect(seqs(journal.search({ sources: ['exec'] }))).toEqual([4, 3, 2]);
    expect(seqs(journal.search({ sources: ['terminal', 'lifecycle'] }))).toEqual([5, 1]);
    expect(seqs(journal.search({ sources: [] }))).toEqual([]);
    expect(seqs(journal.search({ exit: 'ok' }))).toEqual([5, 2]);
    expect(seqs(journal.search({ exit: 'failed' }))).toEqual([4, 3]);
    expect(seqs(journal.search({ exit: 'any' }))).toEqual([5, 4, 3, 2, 1]);
    expect(seqs(journal.search({ from: '2024-01-01T12:00:00Z' }))).toEqual([5, 4, 3]);
    expect(seqs(journal.search({ to: '2024-01-01T12:00:00Z' }))).toEqual([3, 2, 1]);
    expect(seqs(journal.search({ from: '2024-01-01T11:30:00Z', to: '2024-01-01T13:00:00+00:00' }))).toEqual([4, 3]);
    expect(seqs(journal.search({ from: '2024-01-01T13:30:00+02:00', to: '2024-01-01T12:00:00Z' }))).toEqual([3]);
    expect(seqs(journal.search({ sources: ['exec'], exit: 'failed', query: 'timed' }))).toEqual([4]);
  });

  it('pages newest first with offset and limit; total counts every match', async () => {
    for (let i = 1; i <= 25; i++) await run(`step ${i}`, i % 5 === 0 ? 'checkpoint\n' : 'ok\n');
    const first = journal.search({ limit: 10 });
    expect(first.total).toBe(25);
    expect(seqs(first)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    expect(seqs(journal.search({ offset: 10, limit: 10 }))).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
    expect(seqs(journal.search({ offset: 20, limit: 10 }))).toEqual([5, 4, 3, 2, 1]);
    expect(journal.search({ offset: 30, limit: 10 })).toEqual({ entries: [], total: 25 });
    expect(journal.search({ query: 'checkpoint', limit: 2 })).toMatchObject({ total: 5 });
    expect(seqs(journal.search({ query: 'checkpoint', limit: 2, offset: 2 }))).toEqual([15, 10]);
    expect(journal.search().entries).toHaveLength(25); // default limit 100
  });

  it('sees entries appended after the index was built, also by another process (the files only)', async () => {
    await run('one', 'first\n');
    expect(journal.search().total).toBe(1);
    await run('two', 'second\n');
    expect(seqs(journal.search({ query: 'second' }))).toEqual([2]);
    dropSearchIndexes(); // as a fresh process would
    await new Journal(ws).append(exec('three'), { stdout: out('third\n'), stderr: out('') });
    expect(seqs(journal.search({ query: 'third' }))).toEqual([3]);
    expect(journal.search().total).toBe(3);
  });

  it('finds entries appended before the sidecar existed, from their output files', async () => {
    await run('legacy-cmd', 'old OUTPUT with needle\n', 'old warning\n');
    await journal.append(lifecycle('started', '2024-01-01T00:00:00.000Z', 'legacy detail'));
    unlinkSync(join(ws, SEARCH_FILE)); // a journal written before search existed
    dropSearchIndexes();
    await run('new-cmd', 'fresh needle\n');
    expect(readFileSync(join(ws, SEARCH_FILE), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    expect(seqs(journal.search({ query: 'needle' }))).toEqual([3, 1]);
    expect(seqs(journal.search({ query: 'old warning' }))).toEqual([1]);
    expect(seqs(journal.search({ query: 'legacy detail' }))).toEqual([2]);
    expect(seqs(journal.search({ query: 'LEGACY-CMD' }))).toEqual([1]);
  });

  it('an entry whose sidecar line was lost (crash) is still found, and later lines still count', async () => {
    await run('a', 'apple\n');
    await run('b', 'banana\n');
    const side = join(ws, SEARCH_FILE);
    const lines = readFileSync(side, 'utf8').split('\n');
    rmSync(side);
    appendFileSync(side, `${lines[0]}\n2\tban`); // seq 2's line torn
    dropSearchIndexes();
    await run('c', 'cherry banana\n');
    expect(seqs(journal.search({ query: 'banana' }))).toEqual([3, 2]);
    expect(seqs(journal.search({ query: 'apple' }))).toEqual([1]);
  });

  it('a fresh process indexes from the sidecar; offsets that disagree with the journal are not trusted', async () => {
    await run('one', 'x\n');
    await run('two', 'y\n', '', { exitCode: 3 });
    await run('three', 'z\n');
    dropSearchIndexes();
    expect(journal.search({ exit: 'failed' }).entries.map((e) => e.command)).toEqual(['two']);
    expect(journal.get(3).stdoutText).toBe('z\n');
    // Shift every offset by one: the index must notice and parse the journal itself.
    const side = join(ws, SEARCH_FILE);
    const text = readFileSync(side, 'utf8').replace(/^(\d+\t\w\d,-?\d+,)(\d+)/gm, (_, a: string, off: string) => `${a}${Number(off) + 1}`);
    rmSync(side);
    appendFileSync(side, text);
    dropSearchIndexes();
    expect(journal.search().entries.map((e) => e.command)).toEqual(['three', 'two', 'one']);
    expect(journal.search({ exit: 'failed' }).entries.map((e) => e.command)).toEqual(['two']);
    expect(seqs(journal.search({ query: 'y' }))).toEqual([2]);
    expect(journal.get(2).command).toBe('two');
  });

  it('a torn journal line between sidecar-described lines is skipped by a fresh process', async () => {
    await run('a', 'A');
    appendFileSync(join(ws, 'journal.jsonl'), '{"seq":2,"torn');
    await run('b', 'B');
    dropSearchIndexes();
    expect(seqs(journal.search())).toEqual([2, 1]);
    expect(journal.get(2).command).toBe('b');
    expect(journal.list().map((e) => e.seq)).toEqual([1, 2]);
  });

  it('a journal out of seq order (lines written by hand) still pages newest first and finds by seq', async () => {
    const line = (seq: number, command: string) => `${JSON.stringify({ ...exec(command), seq, stdout: null, stderr: null, recording: null })}\n`;
    mkdirSync(ws, { recursive: true });
    appendFileSync(join(ws, 'journal.jsonl'), line(5, 'five') + line(3, 'three') + line(9, 'nine'));
    expect(seqs(journal.search())).toEqual([9, 5, 3]);
    expect(seqs(journal.search({ query: 'three' }))).toEqual([3]);
    expect(journal.get(3).command).toBe('three');
    expect(() => journal.get(4)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('stores and searches what was appended: redacted outputs, never the secret', async () => {
    const redact = createRedactor(['hunter2-secret-value']);
    await run(redact.text('curl -H "Authorization: hunter2-secret-value" api'), redact.text('token=hunter2-secret-value\n'), '');
    const side = readFileSync(join(ws, SEARCH_FILE), 'utf8');
    expect(side).not.toContain('hunter2');
    expect(side).toContain('<redacted>');
    expect(seqs(journal.search({ query: 'hunter2' }))).toEqual([]);
    expect(seqs(journal.search({ query: 'token=<redacted>' }))).toEqual([1]);
  });

  it('keeps the head and the tail of a long output for search, capped', async () => {
    const big = `START ${'x'.repeat(100_000)} FINISH-MARK`;
    await run('big', big, '');
    const line = readFileSync(join(ws, SEARCH_FILE), 'utf8');
    expect(line.length).toBeLessThan(10_000);
    expect(seqs(journal.search({ query: 'start' }))).toEqual([1]);
    expect(seqs(journal.search({ query: 'finish-mark' }))).toEqual([1]);
  });

  it('get finds an entry by seq through the index, and a torn line stays invisible', async () => {
    await run('a', 'A');
    await run('b', 'B');
    appendFileSync(join(ws, 'journal.jsonl'), '{"seq":3,"torn');
    expect(journal.get(2).stdoutText).toBe('B');
    expect(() => journal.get(3)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(journal.search().total).toBe(2);
    await run('c', 'C');
    expect(journal.get(3).command).toBe('c');
    expect(seqs(journal.search())).toEqual([3, 2, 1]);
  });

  it('a journal that is removed and written again is read again', async () => {
    await run('old', 'x');
    expect(journal.search().total).toBe(1);
    rmSync(ws, { recursive: true, force: true });
    expect(journal.search()).toEqual({ entries: [], total: 0 });
    await expect(run('refused', 'z')).rejects.toMatchObject({ code: 'NOT_FOUND' }); // Never brings the folder back.
    expect(existsSync(ws)).toBe(false);
    mkdirSync(ws);
    await run('brand-new-command', 'y');
    expect(journal.search().entries.map((e) => e.command)).toEqual(['brand-new-command']);
  });

  it('appendMany writes exactly what one append per entry writes', async () => {
    const items = [
      { entry: exec('a\tb', { startedAt: '2024-01-01T00:00:01.000Z' }), output: { stdout: out('\x1b[1mbold\x1b[0m\n'), stderr: out('é\n') } },
      { entry: lifecycle('stopped', '2024-01-01T00:00:02.000Z', 'by cli') },
      { entry: exec('c', { exitCode: 2 }), output: { stdout: out(''), stderr: { text: 'cut', totalBytes: 10, truncated: true } } },
    ];
    for (const it of items) await journal.append(it.entry, it.output);
    mkdirSync(join(dir, 'bulk'));
    const other = new Journal(join(dir, 'bulk'));
    await other.appendMany(items);
    for (const f of ['journal.jsonl', 'journal.seq', SEARCH_FILE, 'outputs/1.stdout', 'outputs/1.stderr', 'outputs/3.stderr']) {
      expect(readFileSync(join(dir, 'bulk', f), 'utf8'), f).toBe(readFileSync(join(ws, f), 'utf8'));
    }
    expect(existsSync(join(dir, 'bulk', 'outputs', '2.stdout'))).toBe(false);
  });

  it('normalises text and queries the same way', () => {
    expect(normalizeSearch('A\tB\r\n\x1b[32mC\x1b[0m')).toBe('a b c');
    expect(queryTerms('  Foo "Bar  baz" foo "open')).toEqual(['foo', 'bar  baz', 'open']);
    expect(queryTerms('""')).toEqual([]);
    expect(searchText({ command: 'X', detail: null }, 'Y', 'Z').split('\x1f')).toEqual(['x', '', 'y', 'z']);
  });
});

describe('journal.search contract', () => {
  const params = methods['journal.search'].params;
  const field = (p: unknown) => {
    const r = params.safeParse(p);
    return r.success ? null : r.error.issues[0]?.path.join('.');
  };
  it('accepts a full query and rejects bad fields by name', () => {
    expect(
      field({ workspace: 'w', query: 'x', sources: ['exec', 'terminal'], exit: 'failed', from: '2024-01-01T00:00:00Z', to: '2024-01-02T00:00:00+02:00', offset: 0, limit: 1000 }),
    ).toBeNull();
    expect(field({ workspace: 'w', query: 'x'.repeat(501) })).toBe('query');
    expect(field({ workspace: 'w', sources: ['shell'] })).toBe('sources.0');
    expect(field({ workspace: 'w', exit: 'maybe' })).toBe('exit');
    expect(field({ workspace: 'w', from: 'yesterday' })).toBe('from');
    expect(field({ workspace: 'w', to: '2024-13-01T00:00:00Z' })).toBe('to');
    expect(field({ workspace: 'w', from: '2024-01-02T00:00:00Z', to: '2024-01-01T00:00:00Z' })).toBe('to');
    expect(field({ workspace: 'w', offset: -1 })).toBe('offset');
    expect(field({ workspace: 'w', limit: 0 })).toBe('limit');
    expect(field({ workspace: 'w', limit: 1001 })).toBe('limit');
    expect(field({ workspace: 'w', limit: 1.5 })).toBe('limit');
    expect(field({ workspace: 'w', nope: 1 })).toBe('');
    expect(field({})).toBe('workspace');
  });
});

describe('journal.search over RPC', () => {
  it('goes through the real handler stack, and bad params are INVALID_INPUT naming the field', async () => {
    const service = new WorkspaceService({ home: dir });
    const at = '2024-01-01T00:00:00.000Z';
    const rec: Workspace = {
      id: 'aabbccddeeff', name: 'w1', backend: 'host', state: 'stopped', reason: null, image: null, imageKind: 'system', project: dir,
      limits: { execTimeoutSec: 300 }, unenforcedLimits: [], network: 'full', isolation: 'none', env: {}, secretKeys: [], ttlSec: null,
      expiresAt: null, createdAt: at, updatedAt: at, startedAt: null, stoppedAt: null, placement: { kind: 'local' }, slurm: null, disk: null, mounts: [], devRepos: [], gpu: false, apptainer: {}, ports: [], runtime: {},
    };
    mkdirSync(service.registry.dir(rec.id)); // As create does: the folder first, then the record.
    service.registry.write(rec);
    const j = new Journal(service.registry.dir(rec.id));
    await j.append(exec('make test'), { stdout: out('ALL PASSED\n'), stderr: out('') });
    await j.append(exec('make lint', { exitCode: 2 }), { stdout: out(''), stderr: out('lint failed\n') });
    const { server, dispose } = createServiceRpc(service, new TerminalService(service));
    const [a, b] = createMemoryTransportPair();
    const detach = server.attach(a, { client: 'test' });
    const client = createClient(b);
    try {
      const r = await client.call('journal.search', { workspace: 'w1', query: 'passed' });
      expect(r.total).toBe(1);
      expect(r.entries[0]?.command).toBe('make test');
      expect((await client.call('journal.search', { workspace: rec.id, exit: 'failed' })).entries.map((e) => e.seq)).toEqual([2]);
      const err = (await client.call('journal.search', { workspace: 'w1', limit: 5000 }).catch((e: unknown) => e)) as BenchtopError;
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.details).toEqual({ field: 'limit' });
      expect(err.message).toMatch(/^limit: /);
      const bad = (await client.call('journal.search', { workspace: 'w1', from: 'last tuesday' }).catch((e: unknown) => e)) as BenchtopError;
      expect(bad.details).toEqual({ field: 'from' });
      const missing = (await client.call('journal.search', { workspace: 'nope' }).catch((e: unknown) => e)) as BenchtopError;
      expect(missing.code).toBe('NOT_FOUND');
    } finally {
      detach();
      client.dispose();
      dispose();
    }
  });
});
