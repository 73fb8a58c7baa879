/**
 * `benchtop exec --user` on the real sandboxes: the backend's own switch
 * (podman exec --user, bwrap --uid), HOME and USER to match, the user kept in
 * the journal; an unknown user is Benchtop's one-line error (exit 125, the
 * entry not run), never the command's; a backend that cannot switch says so.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';

const cases = [
  { runtime: 'bwrap', name: 'eu-bw', create: ['--backend', 'bwrap'] },
  { runtime: 'podman', name: 'eu-pm', create: ['--backend', 'podman', '--image', FIXTURE_IMAGE] },
  { runtime: 'gvisor', name: 'eu-gv', create: ['--backend', 'gvisor', '--image', FIXTURE_IMAGE] },
] as const;

for (const c of cases) {
  describeWith(c.runtime, `exec --user (${c.runtime})`, () => {
    let home: string;
    beforeAll(async () => {
      home = tempDir('home');
      await cliJson<Workspace>(['create', c.name, ...c.create], { home });
    });
    afterAll(async () => {
      await cli(['rm', c.name], { home });
      cleanup(home);
    });

    it('runs as the uid or name asked, with its HOME (and USER for a name), and journals who', async () => {
      const byUid = await cli(['exec', c.name, '--user', '65534', '--', 'id', '-u'], { home });
      expect([byUid.exitCode, byUid.stdout, byUid.stderr]).toEqual([0, '65534\n', '']);
      const byName = await cli(['exec', c.name, '-u', 'nobody', '-c', 'echo "$(id -u) $HOME $USER"'], { home });
      expect(byName.stdout).toBe('65534 /nonexistent nobody\n');
      // Without --user: the workspace's own user, as before.
      const plain = await cli(['exec', c.name, '--', 'id', '-u'], { home });
      expect(plain.stdout).toBe(c.runtime === 'bwrap' ? '1000\n' : '0\n');
      const entries = await cliJson<JournalEntry[]>(['logs', c.name], { home });
      expect(entries.filter((e) => e.source === 'exec').map((e) => e.user ?? null)).toEqual(['65534', 'nobody', null]);
      expect((await cli(['logs', c.name, '--seq', String(entries.at(-2)?.seq)], { home })).stdout).toMatch(/^user: nobody$/m);
    });

    it('refuses an unknown user in one line, exit 125, the entry not run', async () => {
      const r = await cli(['exec', c.name, '--user', 'no-such-user', '--', 'id'], { home });
      expect([r.exitCode, r.stdout, r.stderr]).toEqual([125, '', `benchtop: --user: no user "no-such-user" in the workspace's /etc/passwd [INVALID_INPUT]\n`]);
      const last = (await cliJson<JournalEntry[]>(['logs', c.name], { home })).at(-1);
      expect([last?.status, last?.exitCode, last?.user]).toEqual(['not-run', null, 'no-such-user']);
      const bad = await cli(['exec', c.name, '--user=-x', '--', 'id'], { home });
      expect(bad.exitCode).not.toBe(0);
      expect(bad.stderr).toBe('benchtop: --user: must be a user name (lower-case letters, digits, _ . -) or a numeric uid [INVALID_INPUT]\n');
    });
  });
}

describeWith('bwrap', 'exec --user where the backend cannot switch (host)', () => {
  let home: string;
  beforeAll(async () => {
    home = tempDir('home');
    await cliJson<Workspace>(['create', 'eu-host', '--backend', 'host', '--allow-host'], { home });
  });
  afterAll(async () => {
    await cli(['rm', 'eu-host'], { home });
    cleanup(home);
  });
  it('says it cannot, in one line, exit 125', async () => {
    const r = await cli(['exec', 'eu-host', '--user', 'nobody', '--', 'id', '-u'], { home });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([125, '', 'benchtop: --user: a host workspace runs commands as you; it cannot switch users [INVALID_INPUT]\n']);
  });
});
