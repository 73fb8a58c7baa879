/**
 * The disk-backed registry: records round-trip, a folder whose record is
 * missing, empty, truncated or invalid is reported as damaged (with what can
 * still be read of it) instead of being listed or silently dropped, a write
 * never brings a removed workspace back, and stale lock files are cleared
 * while a held one is left alone.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BenchtopError } from '../../../../src-preload/contract';
import { LAYOUT_VERSION, paths } from '../../../../src-main/core/store/layout';
import { LOCK_STALE_MS } from '../../../../src-main/core/store/lock';
import { Registry } from '../../../../src-main/core/store/registry';
import { sampleWorkspace } from '../sample-workspace';

const root = mkdtempSync(join(tmpdir(), 'benchtop-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh data folder for each test. */
const freshHome = (): string => mkdtempSync(join(root, `home${n++}-`));

/** Writes a valid record through the registry (its folder made first, as create does). */
function put(registry: Registry, ...args: Parameters<typeof sampleWorkspace>) {
  const ws = sampleWorkspace(...args);
  mkdirSync(registry.dir(ws.id), { recursive: true });
  registry.write(ws);
  return ws;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof BenchtopError ? err.code : `not a BenchtopError: ${String(err)}`;
  }
  return undefined;
}

describe('Registry', () => {
  it('writes the layout version on first use and refuses a data folder from a newer Benchtop', () => {
    const home = freshHome();
    new Registry(home);
    expect(JSON.parse(readFileSync(paths.layoutFile(home), 'utf8'))).toEqual({ layoutVersion: LAYOUT_VERSION });
    expect(existsSync(paths.workspacesDir(home))).toBe(true);
    writeFileSync(paths.layoutFile(home), JSON.stringify({ layoutVersion: LAYOUT_VERSION + 1 }));
    expect(() => new Registry(home)).toThrow(/newer than this Benchtop understands/);
    expect(codeOf(() => new Registry(home))).toBe('CONFLICT');
  });

  it('round-trips records, finds them by id or name, and lists them by creation time then name', () => {
    const registry = new Registry(freshHome());
    const late = put(registry, { id: 'aaaa00000001', name: 'late', createdAt: '2026-11-27T12:00:00.000Z' });
    const early = put(registry, { id: 'aaaa00000002', name: 'early', createdAt: '2026-11-27T09:00:00.000Z' });
    const tieB = put(registry, { id: 'aaaa00000003', name: 'tie-b', createdAt: '2026-11-27T10:00:00.000Z' });
    const tieA = put(registry, { id: 'aaaa00000004', name: 'tie-a', createdAt: '2026-11-27T10:00:00.000Z' });
    expect(registry.read(late.id)).toEqual(late);
    expect(registry.list().map((w) => w.name)).toEqual(['early', 'tie-a', 'tie-b', 'late']);
    expect(registry.find(early.id)?.name).toBe('early');
    expect(registry.find('tie-b')?.id).toBe(tieB.id);
    expect(registry.get(tieA.id).name).toBe('tie-a');
    expect(registry.find('nobody')).toBeNull();
    expect(codeOf(() => registry.get('nobody'))).toBe('NOT_FOUND');
    // The file on disk carries the layout version beside the record.
    expect(JSON.parse(readFileSync(paths.record(registry.dir(late.id)), 'utf8')).layoutVersion).toBe(LAYOUT_VERSION);
  });

  it('reads a record written before "system" was called "host"', () => {
    const registry = new Registry(freshHome());
    const ws = put(registry, { id: 'bbbb00000001', name: 'legacy' });
    const file = paths.record(registry.dir(ws.id));
    writeFileSync(file, readFileSync(file, 'utf8').replace('"imageKind": "system"', '"imageKind": "host"'));
    expect(readFileSync(file, 'utf8')).toContain('"imageKind": "host"');
    expect(registry.read(ws.id)?.imageKind).toBe('system');
  });

  it('reports each kind of damaged record with its reason and what could be salvaged, and lists only the good ones', () => {
    const home = freshHome();
    const registry = new Registry(home);
    const good = put(registry, { id: 'cccc00000001', name: 'good' });
    const dirOf = (id: string) => {
      mkdirSync(registry.dir(id), { recursive: true });
      return registry.dir(id);
    };
    dirOf('cccc00000002'); // no record at all
    writeFileSync(paths.record(dirOf('cccc00000003')), '  \n');
    // Cut short mid-write (as by a crash with an old, non-atomic writer): the fields before the cut survive in the text.
    const whole = JSON.stringify({ layoutVersion: 1, workspace: sampleWorkspace({ id: 'cccc00000004', name: 'cut-short', backend: 'podman', image: 'alpine', imageKind: 'image', runtime: { containerName: 'benchtop-cut' } }) }, null, 2);
    writeFileSync(paths.record(dirOf('cccc00000004')), whole.slice(0, whole.indexOf('"benchtop-cut"') + '"benchtop-cut"'.length));
    // Valid JSON, invalid record: its valid fields are salvaged, the bad one named.
    const invalid = { ...sampleWorkspace({ id: 'cccc00000005', name: 'invalid' }), network: 'sometimes' };
    writeFileSync(paths.record(dirOf('cccc00000005')), JSON.stringify({ layoutVersion: 1, workspace: invalid }));
    // A stray file beside the folders is not a workspace.
    writeFileSync(join(paths.workspacesDir(home), 'stray.txt'), 'x');

    const { records, damaged } = registry.scan();
    expect(records.map((w) => w.id)).toEqual([good.id]);
    expect(registry.list()).toEqual(records);
    const byId = Object.fromEntries(damaged.map((d) => [d.id, d]));
    expect(Object.keys(byId).sort()).toEqual(['cccc00000002', 'cccc00000003', 'cccc00000004', 'cccc00000005']);
    expect(byId.cccc00000002?.reason).toMatch(/workspace\.json is missing$/);
    expect(byId.cccc00000002?.salvage).toEqual({});
    expect(byId.cccc00000003?.reason).toMatch(/is empty$/);
    expect(byId.cccc00000004?.reason).toMatch(/is truncated or not JSON \(/);
    expect(byId.cccc00000004?.salvage).toEqual({ name: 'cut-short', backend: 'podman', createdAt: '2026-11-27T10:00:00.000Z', runtime: { containerName: 'benchtop-cut' } });
    expect(byId.cccc00000005?.reason).toMatch(/is invalid \(network: /);
    expect(byId.cccc00000005?.salvage).toMatchObject({ name: 'invalid', backend: 'host', project: '/tmp' });
    expect(byId.cccc00000005?.salvage).not.toHaveProperty('network');
    expect(byId.cccc00000005?.salvage).not.toHaveProperty('state');
    for (const d of damaged) expect(Number.isNaN(Date.parse(d.changedAt))).toBe(false);

    // Asked for by id or by salvaged name, a damaged one is "broken", with the way to remove it.
    expect(registry.read('cccc00000004')).toBeNull();
    expect(() => registry.get('cut-short')).toThrow(/workspace "cut-short" is broken: .*; remove it with: benchtop rm cccc00000004/);
    expect(codeOf(() => registry.get('cccc00000002'))).toBe('CONFLICT');
    expect(registry.findDamaged('invalid')?.id).toBe('cccc00000005');
    expect(registry.inspect('cccc00000099')).toEqual({ kind: 'none' });
  });

  it('a truncated record salvages only fields that are valid on their own', () => {
    const registry = new Registry(freshHome());
    mkdirSync(registry.dir('dddd00000001'), { recursive: true });
    writeFileSync(paths.record(registry.dir('dddd00000001')), '{"workspace": {"id": "dddd00000001", "name": "Not A Name!", "backend": "vmware", "createdAt": "yesterday", "slurm": {"jobId": "4711"');
    const d = registry.findDamaged('dddd00000001');
    expect(d?.salvage).toEqual({ slurm: { jobId: '4711', state: 'UNKNOWN', node: null, timeLeft: null, reason: null } });
  });

  it('never brings a removed workspace back: a late write fails with NOT_FOUND and makes no folder', () => {
    const registry = new Registry(freshHome());
    const ws = put(registry, { id: 'eeee00000001', name: 'gone-soon' });
    registry.remove(ws.id);
    expect(existsSync(registry.dir(ws.id))).toBe(false);
    expect(registry.find('gone-soon')).toBeNull();
    expect(codeOf(() => registry.write({ ...ws, state: 'stopped' }))).toBe('NOT_FOUND');
    expect(existsSync(registry.dir(ws.id))).toBe(false);
  });

  it('removes the lock files of removed workspaces, but not one a live holder keeps fresh, nor a present workspace\'s', async () => {
    const home = freshHome();
    const registry = new Registry(home);
    const kept = put(registry, { id: 'ffff00000001', name: 'kept' });
    await registry.withWorkspaceLock(kept.id, () => undefined);
    mkdirSync(paths.locksDir(home), { recursive: true });
    const lock = (id: string) => paths.workspaceLock(home, id);
    writeFileSync(lock('ffff00000002'), ''); // removed, nobody holds it
    writeFileSync(lock('ffff00000003'), ''); // removed, a holder died long ago
    mkdirSync(`${lock('ffff00000003')}.lock`);
    const old = (Date.now() - LOCK_STALE_MS - 5000) / 1000;
    utimesSync(`${lock('ffff00000003')}.lock`, old, old);
    writeFileSync(lock('ffff00000004'), ''); // removed, but someone holds it right now
    mkdirSync(`${lock('ffff00000004')}.lock`);

    registry.removeLocks();
    expect(existsSync(lock(kept.id))).toBe(true);
    expect(existsSync(lock('ffff00000002'))).toBe(false);
    expect(existsSync(lock('ffff00000003'))).toBe(false);
    expect(existsSync(`${lock('ffff00000003')}.lock`)).toBe(false);
    expect(existsSync(lock('ffff00000004'))).toBe(true);
    expect(existsSync(`${lock('ffff00000004')}.lock`)).toBe(true);
  });

  it('the last one out of a removed workspace\'s lock removes its lock file', async () => {
    const home = freshHome();
    const registry = new Registry(home);
    const ws = put(registry, { id: 'abab00000001', name: 'removed-under-lock' });
    await registry.withWorkspaceLock(ws.id, () => registry.remove(ws.id));
    expect(existsSync(paths.workspaceLock(home, ws.id))).toBe(false);
    expect(await registry.tryWorkspaceLock('abab00000002', () => 'ran')).toBe('ran');
    expect(existsSync(paths.workspaceLock(home, 'abab00000002'))).toBe(false);
  });
});
