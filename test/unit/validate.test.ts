import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BenchtopError } from '../../src-preload/contract';
import { resolveProject, resolveProjectFolder } from '../../src-main/core/workspaces/validate';

let root: string;
let home: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'benchtop-validate-')));
  home = join(root, 'home');
  mkdirSync(home);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function thrown(fn: () => unknown): BenchtopError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BenchtopError) return err;
    throw err;
  }
  throw new Error('expected a BenchtopError');
}

describe('resolveProject', () => {
  it('refuses a missing folder whose parent is missing too, naming the parent, and creates nothing', () => {
    const project = join(root, 'nonexistent', 'dir');
    const err = thrown(() => resolveProject(project, home));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toEqual({ field: 'project' });
    expect(err.message).toMatch(/^project: /);
    expect(err.message).toContain(`parent folder ${join(root, 'nonexistent')}`);
    expect(existsSync(join(root, 'nonexistent'))).toBe(false);
  });

  it('refuses /nonexistent/dir without touching /', () => {
    const top = '/nonexistent-benchtop-test';
    if (existsSync(top)) return; // not ours to judge, nor to remove
    try {
      const err = thrown(() => resolveProjectFolder(`${top}/dir`, home));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toContain(`parent folder ${top}`);
      expect(existsSync(top)).toBe(false);
    } finally {
      // A regression, run as root, would have made it: leave / as it was.
      rmSync(top, { recursive: true, force: true });
    }
  });

  it('creates a missing last folder when its parent exists, and says so', () => {
    const project = join(root, 'p');
    expect(resolveProjectFolder(project, home)).toEqual({ path: project, created: true });
    expect(statSync(project).isDirectory()).toBe(true);
    // The old signature still answers with the path; an existing folder is not "created".
    expect(resolveProject(project, home)).toBe(project);
    expect(resolveProjectFolder(`${project}/`, home)).toEqual({ path: project, created: false });
  });

  it('without create, a missing folder is an error naming it (so a UI can ask), and nothing is made', () => {
    const project = join(root, 'p');
    const err = thrown(() => resolveProjectFolder(project, home, { create: false }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toMatchObject({ field: 'project', missing: project });
    expect(existsSync(project)).toBe(false);
  });

  it('canonicalises through a symlinked parent', () => {
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'link'));
    expect(resolveProjectFolder(join(root, 'link', 'p'), home)).toEqual({ path: join(root, 'real', 'p'), created: true });
  });

  it('refuses a file, a file as parent and a broken symlink, creating nothing', () => {
    writeFileSync(join(root, 'f'), '');
    expect(thrown(() => resolveProject(join(root, 'f'), home)).message).toMatch(/is not a directory/);
    expect(thrown(() => resolveProject(join(root, 'f', 'p'), home)).message).toMatch(/parent .* is not a directory/);
    symlinkSync(join(root, 'gone'), join(root, 'dangling'));
    expect(thrown(() => resolveProject(join(root, 'dangling'), home)).code).toBe('INVALID_INPUT');
    expect(existsSync(join(root, 'gone'))).toBe(false);
  });

  it('refuses the data folder and folders inside it before creating anything', () => {
    expect(thrown(() => resolveProject(join(home, 'workspaces'), home)).message).toMatch(/overlaps Benchtop's data folder/);
    expect(existsSync(join(home, 'workspaces'))).toBe(false);
    expect(thrown(() => resolveProject(root, home)).message).toMatch(/overlaps/);
    expect(thrown(() => resolveProject('/', home)).message).toMatch(/whole filesystem/);
  });
});
