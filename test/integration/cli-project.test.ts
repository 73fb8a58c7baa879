/** `benchtop create --project`: a typo never conjures folders; a missing last folder is made, and the CLI says so. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Workspace } from '../../src-preload/contract';
import { cli, cleanup, tempDir } from '../helpers/cli';
import { describeWith } from '../helpers/runtime';

describeWith('bwrap', 'benchtop create --project', () => {
  let home: string;
  let root: string;
  const opts = () => ({ home });
  beforeAll(() => {
    home = tempDir('home');
    root = tempDir('projects');
  });
  afterAll(() => cleanup(home, root));

  it('refuses a folder whose parent is missing, naming --project and the parent, and creates nothing', async () => {
    const r = await cli(['create', 'typo', '--backend', 'bwrap', '--project', join(root, 'nonexistent', 'dir')], opts());
    expect(r.exitCode).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^benchtop: --project: .*does not exist.*\[INVALID_INPUT\]$/);
    expect(lines[0]).toContain(`parent folder ${join(root, 'nonexistent')}`);
    expect(existsSync(join(root, 'nonexistent'))).toBe(false);
    expect(r.stdout).toBe('');
  });

  it('creates a missing last folder and says so on stderr before the usual output', async () => {
    const project = join(root, 'p');
    const r = await cli(['create', 'made', '--json', '--backend', 'bwrap', '--project', project], opts());
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(`created ${project}\n`);
    expect(statSync(project).isDirectory()).toBe(true);
    expect((JSON.parse(r.stdout) as Workspace).project).toBe(project);

    // An existing folder is just used: no message.
    const again = await cli(['create', 'again', '--backend', 'bwrap', '--no-start', '--project', project], opts());
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('again');
    await cli(['rm', 'made'], opts());
    await cli(['rm', 'again'], opts());
  });
});
