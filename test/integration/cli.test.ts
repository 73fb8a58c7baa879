/** The CLI's contract with its user: one clear line on bad input, the documented exit codes, nothing half-written. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecResult, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';

describe('benchtop CLI', () => {
  let home: string;
  let project: string;
  const opts = () => ({ home });
  beforeAll(() => {
    home = tempDir('home');
    project = tempDir('proj');
  });
  afterAll(() => cleanup(home, project));

  const cases: [string, string[], RegExp][] = [
    ['a bad name', ['create', 'Bad_Name', '--backend', 'bwrap'], /^benchtop: NAME: must match .*\[INVALID_INPUT\]$/],
    ['an unknown backend', ['create', 'x', '--backend', 'docker'], /^benchtop: --backend: .*\[INVALID_INPUT\]$/],
    ['a non-number', ['create', 'x', '--backend', 'bwrap', '--cpus', 'lots'], /^benchtop: --cpus: expected a number, got "lots"/],
    ['too many pids', ['create', 'x', '--backend', 'bwrap', '--pids', '70000'], /^benchtop: --pids: must be between 16 and 65536 \[INVALID_INPUT\]$/],
    ['too few cpus', ['create', 'x', '--backend', 'bwrap', '--cpus', '0.05'], /^benchtop: --cpus: must be at least 0.1 \[INVALID_INPUT\]$/],
    ['more cpus than the host', ['create', 'x', '--backend', 'bwrap', '--cpus', '999'], /^benchtop: --cpus: must be between 0.1 and \d+ \(this host's cores\), got 999 \[INVALID_INPUT\]$/],
    ['more memory than the host', ['create', 'x', '--backend', 'bwrap', '--memory', '99999999'], /^benchtop: --memory: must be between 64 and \d+ MiB/],
    ['a short TTL', ['create', 'x', '--backend', 'bwrap', '--ttl', '5'], /^benchtop: --ttl: must be between 60 s and 30 days \[INVALID_INPUT\]$/],
    ['a bad env pair', ['create', 'x', '--backend', 'bwrap', '--env', 'NOVALUE'], /^benchtop: --env: expected KEY=VALUE/],
    ['host without --allow-host', ['create', 'x', '--backend', 'host'], /^benchtop: --allow-host: the host backend has NO isolation.*pass --allow-host to use it \[INVALID_INPUT\]$/],
    ['an unknown flag', ['ls', '--bogus'], /^benchtop: Unknown option '--bogus'/],
    ['an unknown workspace', ['status', 'nosuch'], /^benchtop: no workspace named "nosuch" \[NOT_FOUND\]$/],
    ['a bad SLURM time', ['create', 'x', '--backend', 'bwrap', '--slurm', '--time', 'soon'], /^benchtop: --time: must be HH:MM:SS \(or D-HH:MM:SS\) \[INVALID_INPUT\]$/],
    ['a SLURM flag without --slurm', ['create', 'x', '--backend', 'bwrap', '--partition', 'debug'], /^benchtop: --partition needs --slurm/],
    ['host in SLURM', ['create', 'x', '--backend', 'host', '--allow-host', '--slurm'], /^benchtop: --slurm: the host backend cannot be placed in SLURM/],
    ['limits and a cgroups file together', ['create', 'x', '--backend', 'apptainer', '--cpus', '1', '--apply-cgroups', '/tmp/limits.toml'], /^benchtop: --apply-cgroups: give cpus\/memory\/pids or a cgroups file, not both \[INVALID_INPUT\]$/],
    ['a bad mount', ['create', 'x', '--backend', 'apptainer', '--mount', '/data'], /^benchtop: --mount: expected HOST:CONTAINER\[:ro\|rw\]/],
    ['the data folder as project', ['create', 'x', '--backend', 'bwrap', '--project', '$HOME/workspaces'], /^benchtop: --project: .* overlaps Benchtop's data folder/],
    ['a parent of the data folder as project', ['create', 'x', '--backend', 'bwrap', '--project', '$HOME/..'], /^benchtop: --project: .* overlaps Benchtop's data folder/],
  ];
  for (const [what, args, re] of cases) {
    it(`rejects ${what} with one line and a non-zero exit`, async () => {
      const r = await cli(args.map((a) => a.replace('$HOME', home)), opts());
      expect(r.exitCode).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    });
  }

  it('leaves no workspace behind after a rejected create', () => {
    const dir = join(home, 'workspaces');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('exits 125 for its own exec failures, and with the command\'s code otherwise', async () => {
    const missing = await cli(['exec', 'nosuch', '--', 'true'], opts());
    expect(missing.exitCode).toBe(125);
    const both = await cli(['exec', 'nosuch', '-c', 'true', '--', 'true'], opts());
    expect(both.exitCode).toBe(125);
    expect(both.stderr).toMatch(/^benchtop: give the command after --/);
  });

  describe('host backend (no isolation, opt-in)', () => {
    it('runs in the project folder, is labelled as unisolated, and passes exit codes through', async () => {
      const ws = await cliJson<Workspace>(['create', 'h', '--backend', 'host', '--allow-host', '--project', project], opts());
      expect(ws).toMatchObject({ isolation: 'none', state: 'running', project });
      const r = await cli(['exec', 'h', '-c', 'pwd; exit 3'], opts());
      expect(r).toMatchObject({ exitCode: 3, stdout: `${project}\n` });
      const ls = await cli(['ls'], opts());
      expect(ls.stdout).toContain('host (NO ISOLATION)');
      const t = await cliJson<ExecResult>(['exec', 'h', '--timeout', '1', '--', 'sleep', '20'], opts()).catch(() => null);
      expect(t).toBeNull(); // exit 124 is not 0: cliJson throws
      const raw = await cli(['exec', 'h', '--timeout', '1', '--', 'sleep', '20'], opts());
      expect(raw.exitCode).toBe(124);
      await cli(['rm', 'h'], opts());
    });
  });
});
