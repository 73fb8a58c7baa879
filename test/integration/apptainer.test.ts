/**
 * Apptainer for real, where it is installed. Debian has no package for it, so
 * on our machines this suite skips with the reason; the argv builders are
 * covered line by line in test/unit/apptainer-argv.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecResult, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';

function apptainerImage(): string | null {
  if (process.env.BENCHTOP_APPTAINER_IMAGE && existsSync(process.env.BENCHTOP_APPTAINER_IMAGE)) return process.env.BENCHTOP_APPTAINER_IMAGE;
  return null;
}

function why(): string | null {
  try {
    execFileSync('apptainer', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'apptainer is not installed (Debian has no package for it)';
  }
  return apptainerImage() ? null : 'set BENCHTOP_APPTAINER_IMAGE to a .sif file or sandbox directory';
}

const reason = why();

(reason ? describe.skip : describe)(`apptainer workspaces${reason ? ` — skipped: ${reason}` : ''}`, () => {
  let home: string;
  let project: string;
  const opts = () => ({ home });
  beforeAll(() => {
    home = tempDir('home');
    project = tempDir('proj');
  });
  afterAll(async () => {
    await cli(['rm', 'appt'], opts());
    cleanup(home, project);
  });

  it('starts an instance, runs contained commands in the project, times out with 124, stops', async () => {
    const ws = await cliJson<Workspace>(['create', 'appt', '--backend', 'apptainer', '--image', apptainerImage() as string, '--project', project, '--secret', 'APPT_TOKEN=aPpT-9'], opts());
    expect(ws.state).toBe('running');
    const r = await cliJson<ExecResult>(['exec', 'appt', '-c', 'pwd; echo "[$APPT_TOKEN]"; echo x > out.txt; test -e /root/.bashrc && echo HOSTROOT'], opts());
    expect(r.stdout).toBe('/workspace\n[<redacted>]\n');
    expect(readFileSync(join(project, 'out.txt'), 'utf8')).toBe('x\n');
    const t = await cli(['exec', 'appt', '--timeout', '1', '--', 'sleep', '30'], opts());
    expect(t.exitCode).toBe(124);
    expect((await cliJson<Workspace>(['stop', 'appt'], opts())).state).toBe('stopped');
  });
});
