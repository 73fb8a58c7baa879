/** Where the data folder is, and where each thing lives in it (README's layout and the code must agree). */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataHome, paths } from '../../../../src-main/core/store/layout';

describe('defaultDataHome', () => {
  it('is BENCHTOP_HOME (made absolute), else $XDG_DATA_HOME/benchtop when absolute, else ~/.local/share/benchtop', () => {
    expect(defaultDataHome({ BENCHTOP_HOME: '/srv/bt', XDG_DATA_HOME: '/x' })).toBe('/srv/bt');
    expect(defaultDataHome({ BENCHTOP_HOME: 'rel/bt' })).toBe(resolve('rel/bt'));
    expect(defaultDataHome({ XDG_DATA_HOME: '/data/xdg' })).toBe('/data/xdg/benchtop');
    // The XDG spec says a relative path there is invalid and must be ignored.
    expect(defaultDataHome({ XDG_DATA_HOME: 'relative/xdg' })).toBe(join(homedir(), '.local', 'share', 'benchtop'));
    expect(defaultDataHome({})).toBe(join(homedir(), '.local', 'share', 'benchtop'));
  });
});

describe('paths', () => {
  it('puts each file where the layout says', () => {
    const home = '/h';
    const dir = paths.workspaceDir(home, 'abc123');
    expect({
      layout: paths.layoutFile(home),
      registryLock: paths.registryLock(home),
      locks: paths.locksDir(home),
      workspaceLock: paths.workspaceLock(home, 'abc123'),
      workspaces: paths.workspacesDir(home),
      dir,
      record: paths.record(dir),
      journal: paths.journal(dir),
      journalSeq: paths.journalSeq(dir),
      outputs: paths.outputs(dir),
      files: paths.files(dir),
    }).toEqual({
      layout: '/h/layout.json',
      registryLock: '/h/registry.lock',
      locks: '/h/locks',
      workspaceLock: '/h/locks/abc123',
      workspaces: '/h/workspaces',
      dir: '/h/workspaces/abc123',
      record: '/h/workspaces/abc123/workspace.json',
      journal: '/h/workspaces/abc123/journal.jsonl',
      journalSeq: '/h/workspaces/abc123/journal.seq',
      outputs: '/h/workspaces/abc123/outputs',
      files: '/h/workspaces/abc123/files',
    });
  });
});
