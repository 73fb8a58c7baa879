/**
 * The disk quota's rules without a sandbox: what the contract accepts, where
 * the 90% and over-quota lines fall, what the exec check journals and throws,
 * podman's size listing, and a folder's use without its project folder (real
 * du on a temp folder).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BenchtopError, createWorkspaceInputSchema, invalidInput, type ExecInput, type JournalEntry, type Workspace } from '../../src-preload/contract';
import { diskStanding, diskUseText, humanBytes, nearQuotaMessage, overQuotaMessage } from '../../src-preload/disk/quota';
import { folderDiskUse } from '../../src-main/core/disk/folder';
import { nearQuotaWarning, refuseOverQuota, type DiskGateHost } from '../../src-main/core/disk/gate';
import type { NewEntry } from '../../src-main/core/journal/journal';
import { buildDiskUseArgv, parseDiskUse } from '../../src-main/core/drivers/podman/disk';
import { createExecaRunner } from '../../src-main/core/runner/runner';

const MiB = 1024 * 1024;

function measured(usedBytes: number | null, quotaMiB?: number, warned = false): Pick<Workspace, 'name' | 'limits' | 'disk'> {
  return {
    name: 'paper',
    limits: { execTimeoutSec: 300, ...(quotaMiB !== undefined ? { diskQuotaMiB: quotaMiB } : {}) },
    disk: usedBytes === null ? null : { usedBytes, folderBytes: usedBytes, sandboxBytes: null, measuredAt: '2026-01-02T03:04:05.678Z', warned },
  };
}

describe('--disk-quota in the contract', () => {
  const create = (diskQuotaMiB: unknown) => createWorkspaceInputSchema.safeParse({ name: 'w', backend: 'bwrap', diskQuotaMiB });
  const error = (diskQuotaMiB: unknown) => {
    const r = create(diskQuotaMiB);
    return r.success ? null : invalidInput(r.error).message;
  };

  it('takes whole MiB from 64 up', () => {
    expect(create(64).success).toBe(true);
    expect(create(10240).success).toBe(true);
    expect(create(64 * 1024 * 1024).success).toBe(true);
  });

  it('refuses anything else in one line naming the field', () => {
    expect(error(63)).toBe('diskQuotaMiB: must be at least 64 MiB');
    expect(error(0)).toBe('diskQuotaMiB: must be at least 64 MiB');
    expect(error(-5)).toBe('diskQuotaMiB: must be at least 64 MiB');
    expect(error(64.5)).toBe('diskQuotaMiB: must be a whole number of MiB');
    expect(error(64 * 1024 * 1024 + 1)).toBe('diskQuotaMiB: must be at most 67108864 MiB (64 TiB)');
    expect(error('64')).toMatch(/^diskQuotaMiB: /);
  });
});

describe('where a workspace stands against its quota', () => {
  it('has no level without a quota, and none to go by before a measurement', () => {
    expect(diskStanding(measured(5 * MiB))).toEqual({ level: 'none', usedBytes: 5 * MiB, quotaBytes: null, percent: null });
    expect(diskStanding(measured(null, 64))).toEqual({ level: 'unmeasured', usedBytes: null, quotaBytes: 64 * MiB, percent: null });
  });

  it('is near from exactly 90% up to the quota itself, and over only above it', () => {
    const q = 100 * MiB;
    expect(diskStanding(measured(0.9 * q - 1, 100)).level).toBe('ok');
    expect(diskStanding(measured(0.9 * q, 100))).toEqual({ level: 'near', usedBytes: 0.9 * q, quotaBytes: q, percent: 90 });
    expect(diskStanding(measured(q, 100))).toMatchObject({ level: 'near', percent: 100 });
    expect(diskStanding(measured(q + 1, 100))).toMatchObject({ level: 'over', percent: 100 });
    expect(diskStanding(measured(3 * q, 100))).toMatchObject({ level: 'over', percent: 300 });
  });

  it('says it in sizes a person reads', () => {
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(2141361)).toBe('2.0 MiB');
    expect(humanBytes(10 * 1024 * MiB)).toBe('10 GiB');
    expect(diskUseText(measured(null))).toBe('not measured yet');
    expect(diskUseText(measured(null, 64))).toBe('not measured yet (quota 64 MiB)');
    expect(diskUseText(measured(12 * MiB))).toBe('12 MiB');
    expect(diskUseText(measured(58 * MiB, 64))).toBe('58 MiB of 64 MiB (90%)');
    expect(overQuotaMessage(measured(70 * MiB, 64))).toBe(
      'disk quota exceeded: workspace "paper" uses 70 MiB, its quota is 64 MiB (measured 2026-01-02 03:04:05Z); new commands are refused until files are deleted (in a terminal) and the use is measured again',
    );
    expect(nearQuotaMessage(measured(60 * MiB, 64))).toBe('workspace "paper" uses 60 MiB of its 64 MiB disk quota (93%); above the quota new commands are refused');
  });
});

/** The exec check's host, recording what it was asked to do. */
function gateHost(markWarned = true): DiskGateHost & { journaled: NewEntry[]; marks: number } {
  const host = {
    journaled: [] as NewEntry[],
    marks: 0,
    now: () => Date.parse('2026-01-02T04:00:00Z'),
    defaultCwd: () => '/workspace',
    appendJournal: async (_ws: Workspace, entry: NewEntry) => {
      host.journaled.push(entry);
      return { ...entry, seq: 42 } as JournalEntry;
    },
    markWarned: async () => {
      host.marks++;
      return markWarned;
    },
  };
  return host;
}

const ws = (usedBytes: number | null, quotaMiB?: number, warned = false) => ({ ...measured(usedBytes, quotaMiB, warned), id: 'abc123def456' }) as Workspace;
const input: ExecInput = { workspace: 'paper', shell: 'make all', cwd: 'src', user: 'nobody' };

describe('the exec check', () => {
  it('refuses over the quota: the command journaled not-run with the reason, then QUOTA_EXCEEDED naming use and quota', async () => {
    const host = gateHost();
    const err = await refuseOverQuota(host, ws(70 * MiB, 64), input, 'cli').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BenchtopError);
    expect((err as BenchtopError).code).toBe('QUOTA_EXCEEDED');
    expect((err as BenchtopError).message).toMatch(/^disk quota exceeded: workspace "paper" uses 70 MiB, its quota is 64 MiB /);
    expect((err as BenchtopError).details).toMatchObject({ seq: 42, usedBytes: 70 * MiB, quotaMiB: 64 });
    expect(host.journaled).toHaveLength(1);
    expect(host.journaled[0]).toMatchObject({
      source: 'exec',
      command: 'make all',
      argv: ['sh', '-lc', 'make all'],
      cwd: '/workspace/src',
      user: 'nobody',
      client: 'cli',
      status: 'not-run',
      exitCode: null,
      reason: (err as BenchtopError).message,
    });
  });

  it('lets a command through at or under the quota, unmeasured, or without one', async () => {
    const host = gateHost();
    for (const w of [ws(64 * MiB, 64), ws(10 * MiB, 64), ws(null, 64), ws(900 * MiB)]) await refuseOverQuota(host, w, input, 'cli');
    expect(host.journaled).toEqual([]);
  });

  it('warns at 90% once: only the caller that marks the crossing gets the line', async () => {
    const first = gateHost(true);
    expect(await nearQuotaWarning(first, ws(60 * MiB, 64))).toBe(nearQuotaMessage(measured(60 * MiB, 64)));
    // Someone else marked it meanwhile.
    const raced = gateHost(false);
    expect(await nearQuotaWarning(raced, ws(60 * MiB, 64))).toBeUndefined();
    // Marked already: not asked again.
    const after = gateHost(true);
    expect(await nearQuotaWarning(after, ws(60 * MiB, 64, true))).toBeUndefined();
    expect(await nearQuotaWarning(after, ws(50 * MiB, 64))).toBeUndefined();
    expect(await nearQuotaWarning(after, ws(70 * MiB, 64))).toBeUndefined();
    expect(after.marks).toBe(0);
  });
});

describe("podman's writable layers", () => {
  it('are listed in one call, for this data folder only', () => {
    expect(buildDiskUseArgv('/data/bt')).toEqual(['ps', '--all', '--size', '--filter', 'label=benchtop.workspace', '--filter', 'label=benchtop.home=/data/bt', '--format', 'json']);
    expect(buildDiskUseArgv()).toEqual(['ps', '--all', '--size', '--filter', 'label=benchtop.workspace', '--format', 'json']);
  });

  it('are read by workspace id from podman ps --size --format json', () => {
    const json = JSON.stringify([
      { Names: ['benchtop-a'], Labels: { 'benchtop.workspace': 'aaaaaaaaaaaa' }, Size: { rootFsSize: 1984322, rwSize: 20000000 } },
      { Names: ['benchtop-b'], Labels: { 'benchtop.workspace': 'bbbbbbbbbbbb' }, Size: { rootFsSize: 1984322, rwSize: 0 } },
      { Names: ['other'], Labels: { app: 'x' }, Size: { rwSize: 5 } },
      { Names: ['no-size'], Labels: { 'benchtop.workspace': 'cccccccccccc' } },
    ]);
    expect([...parseDiskUse(json)]).toEqual([
      ['aaaaaaaaaaaa', 20000000],
      ['bbbbbbbbbbbb', 0],
    ]);
    expect(parseDiskUse('').size).toBe(0);
  });
});

describe("a workspace folder's use", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts everything in it but the project folder, wherever that sits inside', async () => {
    dir = mkdtempSync(join(tmpdir(), 'benchtop-du-'));
    mkdirSync(join(dir, 'home'));
    mkdirSync(join(dir, 'files', 'deep', 'proj'), { recursive: true });
    writeFileSync(join(dir, 'home', 'data'), Buffer.alloc(3 * MiB, 1));
    writeFileSync(join(dir, 'files', 'deep', 'proj', 'big'), Buffer.alloc(8 * MiB, 1));
    writeFileSync(join(dir, 'files', 'beside'), Buffer.alloc(1 * MiB, 1));
    const runner = createExecaRunner();
    const all = await folderDiskUse(runner, dir, '/elsewhere');
    expect(all).toBeGreaterThanOrEqual(12 * MiB);
    const withoutFiles = await folderDiskUse(runner, dir, join(dir, 'files'));
    expect(withoutFiles).toBeGreaterThanOrEqual(3 * MiB);
    expect(withoutFiles).toBeLessThan(4 * MiB);
    const withoutDeep = await folderDiskUse(runner, dir, join(dir, 'files', 'deep', 'proj'));
    expect(withoutDeep).toBeGreaterThanOrEqual(4 * MiB);
    expect(withoutDeep).toBeLessThan(5 * MiB);
    expect(await folderDiskUse(runner, join(dir, 'gone'), '/x')).toBe(0);
  });
});
