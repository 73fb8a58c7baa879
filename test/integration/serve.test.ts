/** The browser host for real: token and Origin checks, validation over WebSocket, and sharing one data folder with the CLI. */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { BenchtopError } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';

describe('browser host security', () => {
  let home: string;
  let serve: ServeProcess;
  beforeAll(async () => {
    home = tempDir('home');
    serve = await startServe(home);
  });
  afterAll(async () => {
    await serve.stop();
    cleanup(home);
  });

  it('prints one URL on 127.0.0.1 with a long random token', () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses a connection without the right token', async () => {
    await expect(serve.connect({ token: 'nope' })).rejects.toThrow('HTTP 401');
    await expect(serve.connect({ token: '' })).rejects.toThrow('HTTP 401');
  });

  it('refuses a foreign Origin and accepts its own', async () => {
    await expect(serve.connect({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    const { client, ws } = await serve.connect({ origin: `http://127.0.0.1:${serve.port}` });
    expect(await client.call('workspaces.list', {})).toEqual([]);
    ws.close();
  });

  it('answers an invalid payload with INVALID_INPUT naming the field, and keeps serving', async () => {
    const { client, ws } = await serve.connect();
    const err = await client.call('workspaces.create', { name: 'Not OK', backend: 'bwrap' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BenchtopError);
    expect((err as BenchtopError).code).toBe('INVALID_INPUT');
    expect((err as BenchtopError).message).toMatch(/^name: /);
    const bad = await client.call('exec.run', { workspace: 'x', argv: [], shell: 'true' } as never).catch((e: unknown) => e);
    expect((bad as BenchtopError).code).toBe('INVALID_INPUT');
    ws.send('this is not json');
    expect(await client.call('workspaces.list', {})).toEqual([]);
    ws.close();
  });
});

describeWith('bwrap', 'browser host and CLI sharing one data folder', () => {
  let home: string;
  let serve: ServeProcess;
  beforeAll(async () => {
    home = tempDir('home');
    serve = await startServe(home);
  });
  afterAll(async () => {
    await serve.stop();
    cleanup(home);
  });

  it('sees what the CLI created, and loses no journal entry when both exec at once', async () => {
    await cliJson<Workspace>(['create', 'shared', '--backend', 'bwrap'], { home });
    const { client, ws } = await serve.connect();
    const list = await client.call('workspaces.list', {});
    expect(list.map((w) => w.name)).toEqual(['shared']);
    const appended: JournalEntry[] = [];
    client.on('journal.appended', (p) => appended.push(p.entry));
    const n = 8;
    const viaCli = Array.from({ length: n }, (_, i) => cli(['exec', 'shared', '--', 'echo', `cli-${i}`], { home }));
    const viaWeb = Array.from({ length: n }, (_, i) => client.call('exec.run', { workspace: 'shared', argv: ['echo', `web-${i}`] }));
    const [cliResults, webResults] = await Promise.all([Promise.all(viaCli), Promise.all(viaWeb)]);
    expect(cliResults.every((r) => r.exitCode === 0)).toBe(true);
    expect(webResults.map((r) => r.stdout).sort()).toEqual(Array.from({ length: n }, (_, i) => `web-${i}\n`).sort());
    const journal = await client.call('journal.list', { workspace: 'shared' });
    const execs = journal.filter((e) => e.source === 'exec');
    expect(execs).toHaveLength(2 * n);
    expect(new Set(journal.map((e) => e.seq)).size).toBe(journal.length);
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_, i) => i + 1));
    expect(execs.filter((e) => e.client === 'web')).toHaveLength(n);
    expect(execs.filter((e) => e.client === 'cli')).toHaveLength(n);
    // Each exec is announced twice: when it starts (running) and when it is complete.
    const web = appended.filter((e) => e.client === 'web');
    expect(web.filter((e) => e.status === 'running')).toHaveLength(n);
    expect(web.filter((e) => e.status === 'completed')).toHaveLength(n);
    expect(new Set(web.map((e) => e.seq)).size).toBe(n);
    ws.close();
  });
});

describeWith('podman', 'browser host restart', () => {
  let home: string;
  beforeAll(() => {
    home = tempDir('home');
  });
  afterAll(async () => {
    await cli(['rm', 'survivor'], { home });
    cleanup(home);
  });

  it('adopts a workspace still running after the host was killed, without duplicating it', async () => {
    const first = await startServe(home);
    const { client, ws } = await first.connect();
    const created = await client.call('workspaces.create', { name: 'survivor', backend: 'podman', image: FIXTURE_IMAGE });
    expect(created.state).toBe('running');
    ws.close();
    await first.stop('SIGKILL');
    const second = await startServe(home);
    const { client: c2, ws: ws2 } = await second.connect();
    const list = await c2.call('workspaces.list', {});
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'survivor', state: 'running', id: created.id });
    const r = await c2.call('exec.run', { workspace: 'survivor', shell: 'echo still here' });
    expect(r.stdout).toBe('still here\n');
    const ps = await execa('podman', ['ps', '--all', '--filter', `label=benchtop.workspace=${created.id}`, '--format', '{{.Names}}']);
    expect(ps.stdout.trim().split('\n')).toHaveLength(1);
    ws2.close();
    await second.stop();
  });
});
