/**
 * `benchtop cp` on the real sandboxes: a folder with every kind of entry goes
 * in and comes back out identical (bytes, modes, links, the empty folder);
 * paths resolve in the sandbox's own view, so a link to the host's /etc or to
 * a host folder in the project never reads or writes the host's; each failure
 * is one line (exit 1); each copy is a journal entry.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { cleanup, cli, cliJson, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { listTree, makeTree } from '../helpers/tree';

const cases = [
  // bwrap: into the project (relative paths start there), the host folder; podman: a folder of the container's own.
  // `into` is where the tree is copied, `at` how paths inside it are written, `base` the folder they resolve in.
  { runtime: 'bwrap', name: 'cp-bw', create: ['--backend', 'bwrap'], into: '.', at: '', base: '/workspace' },
  { runtime: 'podman', name: 'cp-pm', create: ['--backend', 'podman', '--image', FIXTURE_IMAGE], into: '/root/', at: '/root/', base: '/root' },
] as const;

for (const c of cases) {
  describeWith(c.runtime, `cp (${c.runtime})`, () => {
    let home: string;
    let project: string;
    let local: string;
    beforeAll(async () => {
      home = tempDir('home');
      project = tempDir('proj');
      local = tempDir('local');
      makeTree(join(local, 'tree'));
      await cliJson<Workspace>(['create', c.name, ...c.create, '--project', project], { home });
    });
    afterAll(async () => {
      await cli(['rm', c.name], { home });
      cleanup(home, project, local);
    });

    it('copies a folder in and out, identical: bytes, modes, a link, an empty folder', async () => {
      const before = listTree(join(local, 'tree'));
      expect(before).toContain('empty dir 711');
      expect(before.find((l) => l.startsWith('shared.txt'))).toMatch(/^shared.txt file 666 /);
      expect(before.find((l) => l.startsWith('sub/run.sh'))).toMatch(/^sub\/run.sh file 750 19 /);
      const inn = await cli(['cp', join(local, 'tree'), `${c.name}:${c.into}`], { home });
      expect([inn.exitCode, inn.stdout, inn.stderr]).toEqual([0, '', '']);
      if (c.runtime === 'bwrap') expect(listTree(join(project, 'tree'))).toEqual(before);
      // Out to a name that does not exist yet: the folder is created with that name.
      const out = await cli(['cp', `${c.name}:${c.at}tree`, join(local, 'back')], { home });
      expect([out.exitCode, out.stderr]).toEqual([0, '']);
      expect(listTree(join(local, 'back'))).toEqual(before);
      // Out into a folder that exists: it lands inside, as cp does.
      mkdirSync(join(local, 'into'));
      expect((await cli(['cp', `${c.name}:${c.at}tree/sub`, join(local, 'into')], { home })).exitCode).toBe(0);
      expect(listTree(join(local, 'into', 'sub'))).toEqual(listTree(join(local, 'tree', 'sub')));
      // In under another name: the target does not exist, so it is the copy's new name.
      expect((await cli(['cp', join(local, 'tree', 'plain.txt'), `${c.name}:${c.at}renamed.txt`], { home })).exitCode).toBe(0);
      const cat = await cli(['exec', c.name, '--', 'sh', '-c', `cat ${c.at}renamed.txt; stat -c %a ${c.at}renamed.txt`], { home });
      expect(cat.stdout).toBe('hello\n640\n');
    });

    it('journals each copy: which way, the path, the other end, the bytes, the outcome', async () => {
      const entries = (await cliJson<JournalEntry[]>(['logs', c.name], { home })).filter((e) => e.source === 'copy');
      expect(entries.map((e) => [e.event, e.status, e.exitCode, e.copy?.direction, e.client])).toEqual([
        ['copy-in', 'completed', 0, 'in', 'cli'],
        ['copy-out', 'completed', 0, 'out', 'cli'],
        ['copy-out', 'completed', 0, 'out', 'cli'],
        ['copy-in', 'completed', 0, 'in', 'cli'],
      ]);
      const first = entries[0] as JournalEntry;
      expect(first.copy?.path).toBe(c.base);
      expect(first.copy?.local).toBe(join(local, 'tree'));
      // The tar stream holds the 3 MiB file, and a little more.
      expect(first.copy?.bytes).toBeGreaterThan(3 * 1024 * 1024);
      expect(first.detail).toBe(`${first.copy?.bytes} bytes`);
      expect(first.command).toBe(`cp ${join(local, 'tree')} ${c.name}:${c.into}`);
    });

    it('says in one line what is missing or refused, exit 1, and journals the refusal', async () => {
      const ws = c.name;
      const lines = async (args: string[]) => {
        const r = await cli(['cp', ...args], { home });
        return [r.exitCode, r.stderr];
      };
      expect(await lines([join(local, 'nope'), `${ws}:`])).toEqual([1, `benchtop: ${join(local, 'nope')}: no such file or folder [NOT_FOUND]\n`]);
      expect(await lines([`${ws}:${c.at}nope`, join(local, 'x')])).toEqual([1, `benchtop: ${c.base}/nope: no such file or folder [NOT_FOUND]\n`]);
      expect(await lines([join(local, 'tree'), `${ws}:/no/such/dir/x`])).toEqual([1, 'benchtop: /no/such/dir: no such folder [NOT_FOUND]\n']);
      expect(await lines([join(local, 'tree'), `${ws}:/no-such-dir/`])).toEqual([1, 'benchtop: /no-such-dir: no such folder [NOT_FOUND]\n']);
      // Read-only: the host system under bwrap, sysfs in a container.
      const ro = c.runtime === 'bwrap' ? '/usr' : '/sys';
      expect(await lines([join(local, 'tree'), `${ws}:${ro}`])).toEqual([1, `benchtop: ${ro}: the folder is not writable [INVALID_INPUT]\n`]);
      expect(await lines([join(local, 'tree'), 'ghost-ws:/x'])).toEqual([1, 'benchtop: no workspace named "ghost-ws" (a local path with a colon is written ./ghost-ws:…) [NOT_FOUND]\n']);
      expect(await lines([join(local, 'tree'), join(local, 'other')])).toEqual([2, 'benchtop: one of SRC and DEST must be NAME:PATH, a path in a workspace (see benchtop --help)\n']);
      expect(await lines([`${ws}:${c.at}tree`, join(local, 'no', 'such', 'x')])).toEqual([1, `benchtop: ${join(local, 'no', 'such')}: no such folder [NOT_FOUND]\n`]);
      const last = (await cliJson<JournalEntry[]>(['logs', ws], { home })).filter((e) => e.source === 'copy').at(-1);
      expect([last?.status, last?.exitCode, last?.reason, last?.copy?.direction]).toEqual(['not-run', null, `${ro}: the folder is not writable`, 'in']);
    });

    if (c.runtime === 'podman') {
      it('refuses a stopped workspace: it must be running', async () => {
        await cli(['stop', c.name], { home });
        const r = await cli(['cp', join(local, 'tree'), `${c.name}:/root/`], { home });
        expect([r.exitCode, r.stderr]).toEqual([1, `benchtop: workspace "${c.name}" is stopped (stopped by cli): start it first [CONFLICT]\n`]);
        await cli(['start', c.name], { home });
      });
    }
  });
}

describeWith('bwrap', 'cp resolves paths in the sandbox, never on the host (bwrap)', () => {
  let home: string;
  let project: string;
  let local: string;
  let hostDir: string;
  const marker = `benchtop-cp-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    home = tempDir('home');
    project = tempDir('proj');
    local = tempDir('local');
    // A host folder the sandbox cannot see (its /tmp is its own): writable here, so a copy done on the host would land in it.
    hostDir = tempDir('hostdir');
    writeFileSync(join(hostDir, 'secret'), 'host secret\n');
    writeFileSync(join(local, marker), 'should never reach the host /etc\n');
    await cliJson<Workspace>(['create', 'cp-link', '--backend', 'bwrap', '--project', project], { home });
    symlinkSync('/etc', join(project, 'etc-link'));
    symlinkSync(hostDir, join(project, 'host-link'));
  });
  afterAll(async () => {
    await cli(['rm', 'cp-link'], { home });
    cleanup(home, project, local, hostDir);
  });

  it('a link to /etc is the sandbox /etc: copying out reads its passwd, not the host passwd', async () => {
    const r = await cli(['cp', 'cp-link:etc-link/passwd', join(local, 'passwd')], { home });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    const got = readFileSync(join(local, 'passwd'), 'utf8');
    expect(got).not.toBe(readFileSync('/etc/passwd', 'utf8'));
    // The passwd Benchtop generated for the sandbox (the host's has root's real home and shells).
    const ws = await cliJson<Workspace>(['status', 'cp-link'], { home });
    expect(got).toBe(readFileSync(join(home, 'workspaces', ws.id, 'etc', 'passwd'), 'utf8'));
    // A host /etc file the sandbox does not have is not found, though the host has it.
    expect(existsSync('/etc/shadow')).toBe(true);
    const shadow = await cli(['cp', 'cp-link:etc-link/shadow', join(local, 'shadow')], { home });
    expect([shadow.exitCode, shadow.stderr]).toEqual([1, 'benchtop: /workspace/etc-link/shadow: no such file or folder [NOT_FOUND]\n']);
    expect(existsSync(join(local, 'shadow'))).toBe(false);
  });

  it('copying in through a link to /etc never writes the host /etc', async () => {
    const r = await cli(['cp', join(local, marker), 'cp-link:etc-link/'], { home });
    // The sandbox's /etc is its own (gone with the sandbox): whatever happened there, the host's is untouched.
    expect(r.stderr).not.toMatch(/INTERNAL/);
    expect(existsSync(join('/etc', marker))).toBe(false);
  });

  it('a link to a host folder the sandbox cannot see is neither read nor written', async () => {
    const out = await cli(['cp', 'cp-link:host-link/secret', join(local, 'secret')], { home });
    expect([out.exitCode, out.stderr]).toEqual([1, 'benchtop: /workspace/host-link/secret: no such file or folder [NOT_FOUND]\n']);
    expect(existsSync(join(local, 'secret'))).toBe(false);
    const inn = await cli(['cp', join(local, marker), 'cp-link:host-link/'], { home });
    expect([inn.exitCode, inn.stderr]).toEqual([1, 'benchtop: /workspace/host-link: no such folder [NOT_FOUND]\n']);
    const into = await cli(['cp', join(local, marker), 'cp-link:host-link/new-name'], { home });
    expect([into.exitCode, into.stderr]).toEqual([1, 'benchtop: /workspace/host-link: no such folder [NOT_FOUND]\n']);
    expect(readdirSync(hostDir)).toEqual(['secret']);
  });
});

// gVisor keeps a container's writes in its own kernel, where `podman cp` cannot see them: tar inside can.
// The host backend runs the same tar, as the user, in the project folder.
const roundTrips = [
  { runtime: 'gvisor', name: 'cp-gv', create: ['--backend', 'gvisor', '--image', FIXTURE_IMAGE], into: '/root/', at: '/root/' },
  { runtime: 'bwrap', name: 'cp-host', create: ['--backend', 'host', '--allow-host'], into: '.', at: '' },
] as const;

for (const c of roundTrips) {
  describeWith(c.runtime, `cp round trip (${c.create[1]})`, () => {
    let home: string;
    let project: string;
    let local: string;
    beforeAll(async () => {
      home = tempDir('home');
      project = tempDir('proj');
      local = tempDir('local');
      makeTree(join(local, 'tree'));
      await cliJson<Workspace>(['create', c.name, ...c.create, '--project', project], { home });
    });
    afterAll(async () => {
      await cli(['rm', c.name], { home });
      cleanup(home, project, local);
    });

    it('copies a folder in and back out identical', async () => {
      const inn = await cli(['cp', join(local, 'tree'), `${c.name}:${c.into}`], { home });
      expect([inn.exitCode, inn.stderr]).toEqual([0, '']);
      // What the sandbox itself sees (under gVisor, only its own kernel has it).
      const seen = await cli(['exec', c.name, '--', 'sh', '-c', `stat -c '%a %s' ${c.at}tree/shared.txt ${c.at}tree/sub/big.bin`], { home });
      expect(seen.stdout).toBe(`666 16\n644 ${3 * 1024 * 1024 + 17}\n`);
      const out = await cli(['cp', `${c.name}:${c.at}tree`, join(local, 'back')], { home });
      expect([out.exitCode, out.stderr]).toEqual([0, '']);
      expect(listTree(join(local, 'back'))).toEqual(listTree(join(local, 'tree')));
    });
  });
}
