/**
 * The terminal service's session state, on real PTYs running host shells:
 * open, attach (scrollback on reattach), detach, close and exit with their
 * journal entries; output redacted, coalesced and drained at exit; flow
 * control by acknowledgements; and the held resize of a SLURM (`srun --pty`)
 * terminal. Only the service's public methods and events are used.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BenchtopError, type Workspace } from '../../../../src-preload/contract';
import { FLOW_HIGH_WATERMARK, FLOW_LOW_WATERMARK, TerminalService } from '../../../../src-main/core/terminals/service';
import { sampleWorkspace } from '../sample-workspace';
import { Viewer, settle, until, untilWithinFakeTime } from './viewer';
import { WorkspacesStandIn } from './workspaces-stand-in';

const home = mkdtempSync(join(tmpdir(), 'benchtop-terminals-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const SECRET = 'hunter22-s3cret';
const CLIENT = 'unit-test';

let stand: WorkspacesStandIn;
let terminals: TerminalService;
let viewer: Viewer;

function setUp(over: Partial<Workspace> = {}): void {
  stand = new WorkspacesStandIn(home, sampleWorkspace({ id: 'term00000001', name: 'terms', ...over }), { API_TOKEN: SECRET });
  terminals = new TerminalService(stand.asService());
  viewer = new Viewer(terminals);
}

/** Opens a terminal running `sh -c script`. */
async function open(script: string, size = { cols: 80, rows: 24 }) {
  stand.argv = ['sh', '-c', script];
  return terminals.open('terms', { ...size, client: CLIENT });
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof BenchtopError ? err.code : String(err);
  }
  return undefined;
};

afterEach(async () => {
  vi.useRealTimers();
  await terminals?.closeAll();
});

describe('TerminalService sessions', () => {
  beforeEach(() => setUp());

  it('opens a session, journals it as begun, and takes input', async () => {
    const info = await open('printf "ready\\n"; read line; echo "got $line"; sleep 30');
    expect(info).toMatchObject({ workspaceId: 'term00000001', workspaceName: 'terms', title: 'shell 1', cols: 80, rows: 24, running: true, exitCode: null });
    expect(viewer.changes(info.id)).toEqual([{ info, closed: false }]);
    expect(terminals.list('terms')).toEqual([info]);
    expect(stand.begun).toHaveLength(1);
    expect(stand.begun[0]).toMatchObject({
      runningId: info.id,
      kill: { kind: 'env', marker: `BENCHTOP_TEST_TERMINAL=${info.id}` },
      entry: { workspaceId: 'term00000001', source: 'terminal', command: 'shell 1', argv: null, cwd: '/tmp', client: CLIENT, exitCode: null, recording: `terminals/${info.id}.cast` },
    });
    await until(() => viewer.text(info.id).includes('ready'), 'the shell to start');
    terminals.write(info.id, 'hello\r');
    await until(() => viewer.text(info.id).includes('got hello'), 'the reply');
    // A second session in the same workspace is numbered on.
    const second = await open('sleep 30');
    expect(second.title).toBe('shell 2');
    expect(terminals.list().map((t) => t.id).sort()).toEqual([info.id, second.id].sort());
  });

  it('keeps scrollback for a viewer that detaches and reattaches; output goes on meanwhile', async () => {
    const info = await open('echo before; read x; echo while-away; read y; echo after; sleep 30');
    await until(() => viewer.text(info.id).includes('before'), 'first output');
    viewer.detach();
    terminals.write(info.id, '\r');
    // The session runs on with nobody listening: wait for it through a second viewer.
    const other = new Viewer(terminals);
    await until(() => other.text(info.id).includes('while-away'), 'output while detached');
    expect(viewer.text(info.id)).not.toContain('while-away');
    const { terminal, scrollback } = terminals.attach(info.id);
    viewer.reattach();
    expect(terminal).toMatchObject({ id: info.id, running: true });
    expect(scrollback).toMatch(/before[\s\S]*while-away/);
    terminals.write(info.id, '\r');
    await until(() => viewer.text(info.id).includes('after'), 'output after reattaching');
    expect(terminals.attach(info.id).scrollback).toMatch(/before[\s\S]*while-away[\s\S]*after/);
    other.detach();
  });

  it('closes a session at a user\'s word: journaled as closed by them, with no exit code of its own', async () => {
    const info = await open('echo up; sleep 30');
    await until(() => viewer.text(info.id).includes('up'), 'the shell to start');
    await terminals.close(info.id);
    const last = viewer.changes(info.id).at(-1);
    expect(last).toMatchObject({ closed: true, info: { running: false } });
    expect(stand.ended).toHaveLength(1);
    expect(stand.ended[0]).toMatchObject({ seq: stand.begun[0]?.seq, runningId: info.id, patch: { status: 'completed', exitCode: null, reason: `closed by ${CLIENT}` } });
    expect(terminals.list()).toEqual([]);
    expect(codeOf(() => terminals.attach(info.id))).toBe('NOT_FOUND');
    expect(codeOf(() => terminals.write(info.id, 'x'))).toBe('NOT_FOUND');
  });

  it('a shell that exits ends the session with its exit code, after its last output (drained)', async () => {
    // Output right before the exit: node-pty may report the exit before this arrives.
    const info = await open(`printf 'last words %.0s' $(seq 1 300); exit 3`);
    await until(() => viewer.ended(info.id), 'the exit');
    const ending = viewer.seen.findIndex((s) => s.kind === 'changed' && s.info.id === info.id && !s.info.running);
    const before = viewer.seen.slice(0, ending).flatMap((s) => (s.kind === 'data' ? [s.data] : [])).join('');
    expect(before.split('last words').length - 1).toBe(300);
    expect(viewer.seen.slice(ending).some((s) => s.kind === 'data')).toBe(false);
    expect(viewer.changes(info.id).at(-1)?.info).toMatchObject({ running: false, exitCode: 3 });
    expect(stand.ended).toHaveLength(1);
    expect(stand.ended[0]?.patch).toMatchObject({ status: 'completed', exitCode: 3 });
    expect(stand.ended[0]?.patch).not.toHaveProperty('reason');
    expect(stand.ended[0]?.patch.durationMs).toEqual(expect.any(Number));
    // Ended, it is still there to read, but takes no input and ignores resizes.
    expect(() => terminals.write(info.id, 'x')).toThrow(/has ended \(exit code 3\)/);
    terminals.resize(info.id, 100, 30);
    expect(terminals.list()[0]).toMatchObject({ cols: 80, rows: 24 });
    // Closing an ended session removes it without journaling it again.
    await terminals.close(info.id);
    expect(stand.ended).toHaveLength(1);
    expect(viewer.changes(info.id).at(-1)?.closed).toBe(true);
  });

  it('closeAll ends every session as closed by the shutdown', async () => {
    const a = await open('sleep 31');
    const b = await open('sleep 32');
    await terminals.closeAll();
    expect(terminals.list()).toEqual([]);
    expect(stand.ended.map((e) => [e.runningId, e.patch.reason]).sort()).toEqual(
      [a.id, b.id].sort().map((id) => [id, 'closed: Benchtop shut down']),
    );
  });

  it('refuses a workspace that is not running, before journaling anything', async () => {
    setUp({ state: 'stopped', reason: 'stopped by test' });
    await expect(open('true')).rejects.toThrow(/workspace "terms" is stopped \(stopped by test\): start it first/);
    expect(stand.begun).toEqual([]);
  });

  it('renames a session and tells viewers', async () => {
    const info = await open('sleep 33');
    expect(terminals.rename(info.id, 'build').title).toBe('build');
    expect(viewer.changes(info.id).at(-1)?.info.title).toBe('build');
  });
});

describe('TerminalService output', () => {
  beforeEach(() => setUp());

  it('redacts secrets in what viewers get, in the scrollback and in the recording', async () => {
    const info = await open(`echo "token: $API_TOKEN"; sleep 30`);
    await until(() => viewer.text(info.id).includes('token:') && viewer.text(info.id).includes('\n'), 'the line');
    expect(viewer.text(info.id)).toContain('token: <redacted>');
    expect(viewer.text(info.id)).not.toContain(SECRET);
    expect(terminals.attach(info.id).scrollback).not.toContain(SECRET);
    await terminals.close(info.id);
    const cast = readFileSync(join(home, 'workspaces', 'term00000001', 'terminals', `${info.id}.cast`), 'utf8');
    expect(cast).toContain('<redacted>');
    expect(cast).not.toContain(SECRET);
  });

  it('releases a held-back prefix of a secret soon when nothing more comes, not only with the next output', async () => {
    // "hunter22-" could begin the secret: it is held back, then let go after a short quiet.
    const info = await open(`printf 'pw: hunter22-'; sleep 0.6; echo; echo done; sleep 30`);
    await until(() => viewer.text(info.id).includes('done'), 'the end');
    const pieces = viewer.data(info.id);
    const prefixAt = pieces.findIndex((p) => p.includes('hunter22-'));
    const doneAt = pieces.findIndex((p) => p.includes('done'));
    expect(prefixAt).toBeGreaterThanOrEqual(0);
    expect(prefixAt).toBeLessThan(doneAt);
  });

  it('coalesces a flood into few large messages, losing nothing', async () => {
    // The shell stays: a PTY whose last process exits right after a flood can lose the flood's tail in node-pty itself.
    const info = await open(`head -c 1000000 /dev/zero | tr '\\0' x; echo; echo END; sleep 30`);
    await until(() => viewer.text(info.id).includes('END'), 'the flood', 30_000);
    const pieces = viewer.data(info.id);
    expect(viewer.text(info.id).split('x').length - 1).toBe(1_000_000);
    // PTY reads are at most a few KB each (some 250 for this flood); coalesced, messages average 5.5 KB or
    // more (far more on an idle machine), the largest reaches the 64 KB at which a message goes out at once,
    // and none grows much past it.
    const largest = Math.max(...pieces.map((p) => p.length));
    expect(pieces.length).toBeLessThan(1_000_000 / 5500);
    expect(largest).toBeGreaterThan(32 * 1024);
    expect(largest).toBeLessThan(64 * 1024 + 64 * 1024);
  });
});

describe('TerminalService flow control (fake clock)', () => {
  /** Paused output resumes anyway after this long without acknowledgements (the service's UNACKED_RESUME_MS). */
  const UNACKED_RESUME_MS = 3000;
  const LINES = 150_000;
  const expected = `${Array.from({ length: LINES }, (_, i) => i + 1).join('\r\n')}\r\nEND\r\n`;

  beforeEach(() => {
    setUp();
    // Only the service's timers are faked: the PTY's I/O runs in real time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  const received = (id: string) => viewer.text(id).length;
  /** Waits until output has stopped growing (150 ms of real time without any); returns how much came. */
  async function stalled(id: string): Promise<number> {
    let last = -1;
    while (received(id) !== last) {
      last = received(id);
      await settle(150, 1);
    }
    return last;
  }

  it('pauses above the high watermark, resumes below the low one, and stops pausing after UNACKED_RESUME_MS without acks; nothing lost', async () => {
    viewer.acking = false;
    const info = await open(`seq 1 ${LINES}; echo END; sleep 30`);
    await until(() => received(info.id) > FLOW_HIGH_WATERMARK, 'output past the high watermark', 20_000, 1);
    const paused = await stalled(info.id);
    // Paused: what had been read (and coalesced) when it paused still came, then nothing.
    expect(paused).toBeLessThan(FLOW_HIGH_WATERMARK + 192 * 1024);
    expect(viewer.text(info.id)).not.toContain('END');

    // Acked down to the low watermark exactly: still paused.
    terminals.ack(info.id, paused - FLOW_LOW_WATERMARK);
    await settle(250, 1);
    expect(received(info.id)).toBe(paused);
    // One char more, below it: output flows again, up to the next high watermark.
    terminals.ack(info.id, 1);
    await until(() => received(info.id) > paused + FLOW_HIGH_WATERMARK - FLOW_LOW_WATERMARK, 'output to flow again', 20_000, 1);
    const pausedAgain = await stalled(info.id);
    expect(pausedAgain - paused).toBeLessThan(FLOW_HIGH_WATERMARK + 192 * 1024);
    expect(viewer.text(info.id)).not.toContain('END');

    // Nobody acks (the window closed): after UNACKED_RESUME_MS it resumes, and pauses no more without acks.
    // (The fake clock already moved a little while the pause was being observed: well under 500 ms.)
    await vi.advanceTimersByTimeAsync(UNACKED_RESUME_MS - 500);
    await settle(150, 0);
    expect(received(info.id)).toBe(pausedAgain);
    await vi.advanceTimersByTimeAsync(500);
    // The rest (several high watermarks' worth) comes without a single ack, and without waiting for another resume.
    await untilWithinFakeTime(() => viewer.text(info.id).includes('END'), 'the rest, without a single ack', UNACKED_RESUME_MS - 500);
    expect(received(info.id) - pausedAgain).toBeGreaterThan(3 * FLOW_HIGH_WATERMARK);
    expect(viewer.text(info.id)).toBe(expected);
  });

  it('a viewer that attaches resumes paused output and starts with nothing unacknowledged', async () => {
    viewer.acking = false;
    const info = await open(`seq 1 ${LINES}; echo END; sleep 30`);
    await until(() => received(info.id) > FLOW_HIGH_WATERMARK, 'output past the high watermark', 20_000, 1);
    const paused = await stalled(info.id);
    const { scrollback } = terminals.attach(info.id);
    expect(scrollback).toBe(viewer.text(info.id));
    // Flows again, and pauses again only after another high watermark's worth.
    await until(() => received(info.id) > paused + FLOW_HIGH_WATERMARK, 'output after attaching', 20_000, 1);
    const again = await stalled(info.id);
    expect(again - paused).toBeLessThan(FLOW_HIGH_WATERMARK + 192 * 1024);
    // A viewer that acks everything gets the rest.
    viewer.acking = true;
    terminals.ack(info.id, again - paused);
    await until(() => viewer.text(info.id).includes('END'), 'the rest', 30_000);
    expect(viewer.text(info.id)).toBe(expected);
  });

  it('after a viewer attaches to paused output, a later pause still lasts UNACKED_RESUME_MS (the earlier pause\'s timer is gone)', async () => {
    viewer.acking = false;
    const info = await open(`seq 1 ${LINES}; echo END; sleep 30`);
    await until(() => received(info.id) > FLOW_HIGH_WATERMARK, 'output past the high watermark', 20_000, 1);
    const first = await stalled(info.id);
    // Paused for a while with nobody acking, then a viewer attaches (a reload): output resumes.
    await vi.advanceTimersByTimeAsync(2000);
    terminals.attach(info.id);
    await until(() => received(info.id) > first + FLOW_HIGH_WATERMARK, 'output after attaching', 20_000, 1);
    const second = await stalled(info.id);
    // The viewer is slow to ack: the new pause holds for UNACKED_RESUME_MS from when it began, not from the first pause.
    await vi.advanceTimersByTimeAsync(UNACKED_RESUME_MS - 1000);
    await settle(200, 0);
    expect(received(info.id)).toBe(second);
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => received(info.id) > second, 'output to resume at last', 20_000, 1);
  });
});

describe('TerminalService resize', () => {
  /** Prints the size it has when given a line, and WINCH on each SIGWINCH. */
  const SIZE_REPORTER = `trap 'echo WINCH' WINCH; while :; do if read line; then echo "size $(stty size)"; fi; done`;
  const sizes = (id: string) => [...viewer.text(id).matchAll(/size (\d+ \d+)/g)].map((m) => m[1]);
  const winches = (id: string) => viewer.text(id).split('WINCH').length - 1;

  /** Asks the shell for its size; returns it and how far the fake clock moved meanwhile. */
  async function askSize(id: string): Promise<string | undefined> {
    return (await askSizeTimed(id)).size;
  }
  async function askSizeTimed(id: string): Promise<{ size: string | undefined; moved: number }> {
    const before = sizes(id).length;
    terminals.write(id, '\r');
    const moved = await until(() => sizes(id).length > before, 'the size', 10_000, 1);
    return { size: sizes(id).at(-1), moved };
  }

  it('resizes a local terminal at once, and signals even a resize to the same size (a reattaching viewer\'s redraw)', async () => {
    setUp();
    const info = await open(SIZE_REPORTER);
    expect(await askSize(info.id)).toBe('24 80');
    terminals.resize(info.id, 100, 30);
    expect(await askSize(info.id)).toBe('30 100');
    expect(terminals.list()[0]).toMatchObject({ cols: 100, rows: 30 });
    const before = winches(info.id);
    expect(before).toBeGreaterThanOrEqual(1);
    terminals.resize(info.id, 100, 30);
    await until(() => winches(info.id) > before, 'a SIGWINCH for the same size');
    expect(await askSize(info.id)).toBe('30 100');
  });

  it('holds a SLURM terminal\'s resizes until srun --pty has shown output and settled, then applies only the last', async () => {
    setUp({ placement: { kind: 'slurm' } });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const info = await open(SIZE_REPORTER);
    terminals.resize(info.id, 100, 30);
    terminals.resize(info.id, 120, 40);
    // The session says the size asked for at once; the PTY keeps its size meanwhile.
    expect(terminals.list()[0]).toMatchObject({ cols: 120, rows: 40 });
    await settle(300, 1);
    // Its first output (the echo and the reply): the step is connected; the size waits out the settling time
    // (SRUN_PTY_SETTLE_MS, 150 ms), which began with that output.
    const first = await askSizeTimed(info.id);
    expect(first.size).toBe('24 80');
    expect(first.moved, 'the fake clock moved too far to tell').toBeLessThan(150);
    expect(winches(info.id)).toBe(0);
    await vi.advanceTimersByTimeAsync(150);
    expect(await askSize(info.id)).toBe('40 120');
    expect(winches(info.id)).toBe(1);
    // From then on, resizes go through at once.
    terminals.resize(info.id, 90, 20);
    expect(await askSize(info.id)).toBe('20 90');
  });
});
