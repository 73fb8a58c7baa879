/** Terminals for real: PTYs into bwrap and podman workspaces over the browser host's WebSocket. */
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JournalEntry, Workspace } from '../../src-preload/contract';
import { cli, cliJson, cleanup, tempDir } from '../helpers/cli';
import { FIXTURE_IMAGE } from '../helpers/fixtures';
import { describeWith } from '../helpers/runtime';
import { startServe, type ServeProcess } from '../helpers/serve';
import { TerminalViewer } from '../helpers/terminal';

const SECRET = 'tErMiNaL-secret-2718';

describeWith('bwrap', 'terminals into a bwrap workspace', () => {
  let home: string;
  let serve: ServeProcess;
  beforeAll(async () => {
    home = tempDir('home');
    await cliJson<Workspace>(['create', 'term', '--backend', 'bwrap', '--secret', `API_TOKEN=${SECRET}`], { home });
    serve = await startServe(home);
  });
  afterAll(async () => {
    await serve.stop();
    cleanup(home);
  });

  it('runs a shell: typed commands echo, secrets show redacted, resize reaches the PTY, and the session is journaled with its recording', async () => {
    const { client, ws } = await serve.connect();
    const t = await client.call('terminals.open', { workspace: 'term', cols: 80, rows: 24 });
    expect(t).toMatchObject({ workspaceName: 'term', title: 'shell 1', running: true, exitCode: null });
    const view = new TerminalViewer(client, t.id);
    await view.type('echo hello; id -u\r');
    await view.waitFor(/[\r\n]hello\r\n1000\r\n/);
    await view.type('echo "[$API_TOKEN]"\r');
    await view.waitFor('[<redacted>]');
    expect(view.output).not.toContain(SECRET);
    await client.call('terminals.resize', { id: t.id, cols: 100, rows: 30 });
    await view.type('stty size\r');
    await view.waitFor(/[\r\n]30 100\r\n/);
    await view.type('exit 3\r');
    expect(await view.waitForExit()).toBe(3);
    const journal = await client.call('journal.list', { workspace: 'term' });
    const entry = journal.find((e) => e.source === 'terminal')!;
    expect(entry).toMatchObject({ exitCode: 3, command: 'shell 1', client: 'web', recording: `terminals/${t.id}.cast` });
    const { cast } = await client.call('journal.readRecording', { workspace: 'term', seq: entry.seq });
    const [header, ...events] = cast.trim().split('\n').map((l) => JSON.parse(l));
    expect(header).toMatchObject({ version: 2, width: 80, height: 24 });
    expect(events.some((e: [number, string, string]) => e[1] === 'o' && e[2].includes('hello'))).toBe(true);
    expect(events.some((e: [number, string, string]) => e[1] === 'r' && e[2] === '100x30')).toBe(true);
    expect(cast).not.toContain(SECRET);
    expect(cast).toContain('<redacted>');
    await client.call('terminals.close', { id: t.id });
    view.dispose();
    ws.close();
  });

  it('survives the window going away: a new connection reattaches with the screen restored', async () => {
    const first = await serve.connect();
    const t = await first.client.call('terminals.open', { workspace: 'term', cols: 80, rows: 24, title: 'long job' });
    const v1 = new TerminalViewer(first.client, t.id);
    await v1.type('echo before-reload\r');
    await v1.waitFor(/[\r\n]before-reload\r\n/);
    first.ws.close(); // the "window" reloads
    const second = await serve.connect();
    const list = await second.client.call('terminals.list', { workspace: 'term' });
    expect(list.map((x) => [x.id, x.title, x.running])).toContainEqual([t.id, 'long job', true]);
    const { scrollback } = await second.client.call('terminals.attach', { id: t.id });
    expect(scrollback).toContain('before-reload');
    const v2 = new TerminalViewer(second.client, t.id);
    await v2.type('echo after-reload\r');
    await v2.waitFor(/[\r\n]after-reload\r\n/);
    await second.client.call('terminals.close', { id: t.id });
    expect(await second.client.call('terminals.list', { workspace: 'term' })).toEqual([]);
    second.ws.close();
  });

  it('floods without freezing: 3 MB of output arrive whole with acks, and without any viewer acking', async () => {
    const { client, ws } = await serve.connect();
    for (const ack of [true, false]) {
      const t = await client.call('terminals.open', { workspace: 'term', cols: 200, rows: 50 });
      const view = new TerminalViewer(client, t.id, { ack });
      await view.type("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo FLOOD-DONE\r");
      await view.waitFor(/[\r\n]FLOOD-DONE\r\n/, 60_000);
      expect(view.output.split('x').length - 1).toBeGreaterThanOrEqual(3_000_000);
      await client.call('terminals.close', { id: t.id });
      view.dispose();
    }
    ws.close();
  });

  it('holds a flood back for a slow viewer: what is sent but not yet acked stays near the high-water mark', async () => {
    const { client, ws } = await serve.connect();
    const t = await client.call('terminals.open', { workspace: 'term', cols: 200, rows: 50 });
    let received = 0;
    let acked = 0;
    let maxOutstanding = 0;
    let text = '';
    const off = client.on('terminal.data', (p) => {
      if (p.id !== t.id) return;
      received += p.data.length;
      text = (text + p.data).slice(-200);
      maxOutstanding = Math.max(maxOutstanding, received - acked);
      // A renderer that takes its time: each chunk is acked 400 ms after it arrived.
      setTimeout(() => {
        acked += p.data.length;
        void client.call('terminals.ack', { id: t.id, chars: p.data.length }).catch(() => undefined);
      }, 400);
    });
    await client.call('terminals.write', { id: t.id, data: "head -c 3000000 /dev/zero | tr '\\0' y; echo; echo SLOW-FLOOD-DONE\r" });
    const end = Date.now() + 90_000;
    while (!/[\r\n]SLOW-FLOOD-DONE\r\n/.test(text)) {
      if (Date.now() > end) throw new Error(`the flood never finished: ${JSON.stringify(text)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    off();
    expect(received).toBeGreaterThan(3_000_000);
    // The PTY is paused past the high-water mark (100 000 chars): without flow control all 3 MB would be in flight.
    expect(maxOutstanding).toBeLessThan(600_000);
    await client.call('terminals.close', { id: t.id });
    ws.close();
  });

  it('a terminal the user closed is journaled as closed, not failed: no exit code, reason "closed by web", not under exit "failed"', async () => {
    const { client, ws } = await serve.connect();
    const t = await client.call('terminals.open', { workspace: 'term', cols: 80, rows: 24, title: 'to close' });
    const view = new TerminalViewer(client, t.id);
    await view.type('echo open-then-close\r');
    await view.waitFor(/[\r\n]open-then-close\r\n/);
    await client.call('terminals.close', { id: t.id });
    const entry = (await client.call('journal.list', { workspace: 'term' })).find((e) => e.recording === `terminals/${t.id}.cast`);
    expect(entry).toMatchObject({ source: 'terminal', status: 'completed', exitCode: null, timedOut: false, reason: expect.stringMatching(/^closed by web/) });
    const failed = await client.call('journal.search', { workspace: 'term', exit: 'failed' });
    expect(failed.entries.map((e) => e.seq)).not.toContain(entry!.seq);
    view.dispose();
    ws.close();
  });

  it('refuses bad input with INVALID_INPUT naming the field', async () => {
    const { client, ws } = await serve.connect();
    const err = await client.call('terminals.open', { workspace: 'term', cols: 0, rows: 24 }).catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^cols: /) });
    const gone = await client.call('terminals.write', { id: '0123456789abcdef', data: 'x' }).catch((e: Error & { code: string }) => e);
    expect(gone).toMatchObject({ code: 'NOT_FOUND' });
    ws.close();
  });
});

describeWith('podman', 'terminals into a podman workspace', () => {
  let home: string;
  let serve: ServeProcess;
  beforeAll(async () => {
    home = tempDir('home');
    await cliJson<Workspace>(['create', 'pterm', '--backend', 'podman', '--image', FIXTURE_IMAGE], { home });
    serve = await startServe(home);
  });
  afterAll(async () => {
    await serve.stop();
    await cli(['rm', 'pterm'], { home });
    cleanup(home);
  });

  it('opens podman exec -it, and closing it leaves no shell behind in the container', async () => {
    const { client, ws } = await serve.connect();
    const t = await client.call('terminals.open', { workspace: 'pterm', cols: 80, rows: 24 });
    const view = new TerminalViewer(client, t.id);
    await view.type('echo hello from $(hostname)\r');
    await view.waitFor(/[\r\n]hello from pterm\r\n/);
    await view.type('sleep 300\r');
    await new Promise((r) => setTimeout(r, 300));
    await client.call('terminals.close', { id: t.id });
    const wsInfo = await cliJson<Workspace>(['status', 'pterm'], { home });
    const ps = await execa('podman', ['exec', wsInfo.runtime.containerName!, 'ps', '-o', 'args']);
    expect(ps.stdout).not.toContain('sleep 300');
    expect(ps.stdout).not.toMatch(/^sh -l|^-sh/m);
    view.dispose();
    ws.close();
  });

  it('when the host process is killed (-9), its shells die inside the container within 10 s and their entries say interrupted', async () => {
    const { client, ws } = await serve.connect();
    const t = await client.call('terminals.open', { workspace: 'pterm', cols: 80, rows: 24 });
    const view = new TerminalViewer(client, t.id);
    await view.type('sleep 301\r');
    const wsInfo = await cliJson<Workspace>(['status', 'pterm'], { home });
    const inside = async () => (await execa('podman', ['exec', wsInfo.runtime.containerName!, 'ps', '-o', 'args'])).stdout.includes('sleep 301');
    for (let i = 0; i < 50 && !(await inside()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await inside()).toBe(true);
    // A terminal's entry is written when it opens.
    const open = (await cliJson<JournalEntry[]>(['logs', 'pterm'], { home })).find((e) => e.source === 'terminal' && e.status === 'running');
    expect(open?.recording).toBe(`terminals/${t.id}.cast`);
    view.dispose();
    ws.close();
    await serve.stop('SIGKILL');
    const killedAt = Date.now();
    while ((await inside()) && Date.now() - killedAt < 10_000) await new Promise((r) => setTimeout(r, 250));
    expect(await inside()).toBe(false);
    let entry: JournalEntry | undefined;
    for (let i = 0; i < 40 && entry?.status !== 'interrupted'; i++) {
      entry = (await cliJson<JournalEntry[]>(['logs', 'pterm'], { home })).find((e) => e.seq === open?.seq);
      if (entry?.status !== 'interrupted') await new Promise((r) => setTimeout(r, 250));
    }
    expect(entry).toMatchObject({ status: 'interrupted', exitCode: null });
    serve = await startServe(home);
  });
});

describeWith('slurm', 'terminals into a SLURM allocation', () => {
  let home: string;
  let serve: ServeProcess;
  beforeAll(async () => {
    home = tempDir('home');
    await cliJson<Workspace>(['create', 'sterm', '--backend', 'bwrap', '--slurm', '--time', '00:10:00'], { home });
    serve = await startServe(home);
  });
  afterAll(async () => {
    await serve.stop();
    await cli(['rm', 'sterm'], { home });
    cleanup(home);
  });

  it('opens through srun --pty without "accept failure", even when the window is resized at once, and later resizes reach the shell', async () => {
    const { client, ws } = await serve.connect();
    const t = await client.call('terminals.open', { workspace: 'sterm', cols: 100, rows: 30 });
    const view = new TerminalViewer(client, t.id);
    // As the UI does: the pane is fitted (and the PTY resized) right after it opens — here again and again
    // over its first 400 ms, which covers the moment srun waits for its pty connection (a SIGWINCH then
    // made it print "accept failure" and stop forwarding window sizes).
    for (let i = 0; i < 40; i++) {
      await client.call('terminals.resize', { id: t.id, cols: 110 + (i % 2) * 10, rows: 40 });
      await new Promise((r) => setTimeout(r, 10));
    }
    await view.waitFor(/\$ $/, 60_000); // the prompt: the shell in the allocation is up
    await new Promise((r) => setTimeout(r, 500));
    await view.type('echo slurm-up; stty size\r');
    await view.waitFor(/[\r\n]slurm-up\r\n40 120\r\n/, 60_000);
    await client.call('terminals.resize', { id: t.id, cols: 90, rows: 33 });
    await new Promise((r) => setTimeout(r, 500));
    await view.type('stty size\r');
    await view.waitFor(/[\r\n]33 90\r\n/);
    expect(view.output).not.toMatch(/accept failure|srun: error/);
    await client.call('terminals.close', { id: t.id });
    view.dispose();
    ws.close();
  });

  it('once its job is cancelled outside Benchtop, the workspace no longer says how much time it has left', async () => {
    const { client, ws } = await serve.connect();
    const before = await client.call('workspaces.get', { workspace: 'sterm' });
    expect(before.slurm?.timeLeft).toMatch(/\d+:\d\d/);
    await execa('scancel', [before.slurm!.jobId]);
    let after = before;
    for (let i = 0; i < 120 && after.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = await client.call('workspaces.get', { workspace: 'sterm' });
    }
    expect(after.state).toBe('stopped');
    expect(after.slurm?.timeLeft ?? null).toBeNull();
    // And it stays so while squeue still lists the ended job.
    await new Promise((r) => setTimeout(r, 2500));
    after = await client.call('workspaces.get', { workspace: 'sterm' });
    expect(after.slurm).toMatchObject({ jobId: before.slurm!.jobId, timeLeft: null });
    ws.close();
  });
});
