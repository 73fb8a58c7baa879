import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { FolderTracker } from '../../src-main/core/workspaces/watch';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'benchtop-watch-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const dir = (id: string) => join(root, id);
const ws = (id: string, updatedAt = '2026-01-01T00:00:00.000Z') => ({ id, name: id, state: 'running', reason: null, updatedAt }) as unknown as Workspace;
const entry = (seq: number, status: JournalEntry['status']) => ({
  seq,
  workspaceId: 'a',
  source: 'exec',
  command: `c${seq}`,
  argv: null,
  cwd: null,
  client: 'cli',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 0,
  exitCode: null,
  timedOut: false,
  event: null,
  detail: null,
  stdout: null,
  stderr: null,
  recording: null,
  status,
  reason: null,
});
const write = (id: string, e: object) => appendFileSync(join(dir(id), 'journal.jsonl'), `${JSON.stringify(e)}\n`);

describe('FolderTracker', () => {
  it('reports what appeared, changed and went since the last look, and nothing at the first', () => {
    mkdirSync(dir('a'));
    write('a', entry(1, 'completed'));
    const t = new FolderTracker(dir);
    expect(t.diff([ws('a')])).toEqual({ changed: [], removed: [], appended: [] });
    write('a', entry(2, 'running'));
    mkdirSync(dir('b'));
    const second = t.diff([ws('a'), ws('b')]);
    expect(second.changed.map((w) => w.id)).toEqual(['b']);
    expect(second.appended.map((x) => [x.entry.seq, x.entry.status])).toEqual([[2, 'running']]);
    write('a', entry(2, 'completed'));
    const third = t.diff([ws('a', '2026-01-02T00:00:00.000Z')]);
    expect(third.changed.map((w) => w.id)).toEqual(['a']);
    expect(third.removed.map((w) => w.id)).toEqual(['b']);
    expect(third.appended.map((x) => [x.entry.seq, x.entry.status])).toEqual([[2, 'completed']]);
  });

  it('announces each line once: what this process announced itself is not repeated, and the other way round', () => {
    mkdirSync(dir('a'));
    const t = new FolderTracker(dir);
    t.diff([ws('a')]);
    const own = entry(1, 'running') as JournalEntry;
    write('a', own);
    expect(t.claimEntry('a', own)).toBe(true);
    expect(t.diff([ws('a')]).appended).toEqual([]);
    write('a', entry(1, 'completed'));
    expect(t.diff([ws('a')]).appended).toHaveLength(1);
    expect(t.claimEntry('a', entry(1, 'completed') as JournalEntry)).toBe(false);
  });

  it('with only the records read, a workspace missing from them is removed only when its folder is gone', () => {
    mkdirSync(dir('a'));
    const t = new FolderTracker(dir);
    t.diff([ws('a')]);
    expect(t.diff([], false).removed).toEqual([]);
    rmSync(dir('a'), { recursive: true });
    expect(t.diff([], false).removed.map((w) => w.id)).toEqual(['a']);
  });
});
