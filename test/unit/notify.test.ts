/**
 * The shared notification rules (src-preload/notify): which changes notify,
 * with which words, once each; and how a window's own lifecycle calls are
 * told apart from changes made elsewhere.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry, Workspace, WorkspaceState } from '../../src-preload/contract';
import { fmtRunTime, LONG_COMMAND_MS, NoticeTracker, noticeRoute, shortCommand } from '../../src-preload/notify/notices';
import { createClient } from '../../src-preload/client';
import { actionTarget, OWN_ACTION_GRACE_MS, OwnActions, watchOwnActions } from '../../src-preload/notify/own-actions';
import { createMemoryTransportPair } from '../../src-preload/transports/memory';

let tick = 0;
const ws = (state: WorkspaceState, reason: string | null = null, name = 'ws-3', id = 'w3'): Workspace =>
  ({ id, name, state, reason, updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)).toISOString() }) as unknown as Workspace;

const entry = (over: Partial<JournalEntry>): JournalEntry => ({
  seq: 7,
  workspaceId: 'w3',
  source: 'exec',
  command: 'sleep 10.37',
  argv: ['sleep', '10.37'],
  cwd: null,
  client: 'cli',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 10_412,
  exitCode: 0,
  timedOut: false,
  event: null,
  detail: null,
  stdout: null,
  stderr: null,
  recording: null,
  status: 'completed',
  reason: null,
  ...over,
});

/** A tracker that has seen `ws-3` in `state`. */
function trackerAt(state: WorkspaceState, askedHere?: (w: { id: string; name: string }) => boolean): NoticeTracker {
  const t = new NoticeTracker(askedHere);
  t.seed([ws(state)]);
  return t;
}

describe('workspace notices', () => {
  it('a running workspace that expires, is killed outside, fails or breaks is news, with its name and reason', () => {
    expect(trackerAt('running').workspaceChanged(ws('expired', 'TTL of 60 s elapsed'), false)).toMatchObject({
      kind: 'workspace',
      level: 'info',
      workspaceId: 'w3',
      seq: null,
      title: 'ws-3 expired',
      body: 'TTL of 60 s elapsed',
    });
    expect(trackerAt('running').workspaceChanged(ws('stopped', 'its sandbox is gone (removed outside Benchtop)'), false)).toMatchObject({
      level: 'info',
      title: 'ws-3 stopped',
      body: 'its sandbox is gone (removed outside Benchtop)',
    });
    expect(trackerAt('running').workspaceChanged(ws('stopped', 'SLURM job 12 ended: CANCELLED'), false)?.body).toBe('SLURM job 12 ended: CANCELLED');
    expect(trackerAt('running').workspaceChanged(ws('failed', 'stop failed: boom'), false)).toMatchObject({ level: 'error', title: 'ws-3 failed' });
    expect(trackerAt('running').workspaceChanged(ws('broken', 'workspace.json is truncated'), false)).toMatchObject({ level: 'error', title: 'ws-3 is broken' });
    expect(trackerAt('running').workspaceChanged(ws('expired'), false)?.body).toBe('no reason was recorded');
  });

  it('so is a start that fails later (a queued SLURM job) and a stop asked elsewhere', () => {
    expect(trackerAt('starting').workspaceChanged(ws('failed', 'the sandbox did not start in SLURM job 4'), false)?.title).toBe('ws-3 failed');
    expect(trackerAt('stopping').workspaceChanged(ws('stopped', 'stopped by cli'), false)?.body).toBe('stopped by cli');
  });

  it('states that were not live, getting started, and removals are not', () => {
    for (const from of ['created', 'stopped', 'failed', 'expired', 'broken'] as const) {
      expect(trackerAt(from).workspaceChanged(ws('stopped', 'x'), false)).toBeNull();
    }
    const t = trackerAt('stopped');
    expect(t.workspaceChanged(ws('starting'), false)).toBeNull();
    expect(t.workspaceChanged(ws('running'), false)).toBeNull();
    expect(t.workspaceChanged(ws('stopped', 'removed by cli'), true)).toBeNull();
  });

  it('a workspace never seen before is the baseline, and the listing never overrules a newer event', () => {
    const t = new NoticeTracker();
    expect(t.workspaceChanged(ws('expired', 'TTL of 60 s elapsed'), false)).toBeNull();
    const u = new NoticeTracker();
    u.workspaceChanged(ws('running'), false); // The event came before the listing answered…
    u.seed([ws('stopped')]); // …whose older picture is ignored.
    expect(u.workspaceChanged(ws('expired', 'TTL of 60 s elapsed'), false)?.title).toBe('ws-3 expired');
  });

  it('follows a workspace through several rounds: each end after a restart is news once', () => {
    const t = trackerAt('running');
    const killed = ws('stopped', 'container exited (137) outside Benchtop');
    expect(t.workspaceChanged(killed, false)).not.toBeNull();
    expect(t.workspaceChanged(killed, false)).toBeNull(); // announced again (own write, then a look at the folder)
    expect(t.workspaceChanged({ ...killed, reason: 'removed' }, false)).toBeNull(); // still ended: no transition
    t.workspaceChanged(ws('running'), false);
    expect(t.workspaceChanged(ws('expired', 'TTL of 60 s elapsed'), false)?.title).toBe('ws-3 expired');
  });

  it('the same change seen again after the state went back (a stale event in between) is not repeated', () => {
    const t = trackerAt('running');
    const expired = ws('expired', 'TTL of 60 s elapsed');
    expect(t.workspaceChanged(expired, false)).not.toBeNull();
    t.workspaceChanged(ws('running'), false);
    expect(t.workspaceChanged(expired, false)).toBeNull();
  });

  it('what the caller asked for itself is not news', () => {
    const asked = new Set(['w3']);
    const t = trackerAt('running', (w) => asked.has(w.id));
    expect(t.workspaceChanged(ws('stopping'), false)).toBeNull();
    expect(t.workspaceChanged(ws('stopped', 'stopped by web'), false)).toBeNull();
    // A later end of the same workspace, asked by nobody here, is.
    asked.clear();
    t.workspaceChanged(ws('running'), false);
    expect(t.workspaceChanged(ws('stopped', 'stopped by web'), false)?.body).toBe('stopped by web');
  });
});

describe('command notices', () => {
  it('a command of 10 s or more that ended is news: name, command, exit, duration; it leads to its journal entry', () => {
    const n = trackerAt('running').journalAppended('w3', entry({}));
    expect(n).toMatchObject({ kind: 'command', level: 'info', workspaceId: 'w3', seq: 7, title: 'ws-3: command finished (exit 0)', body: 'sleep 10.37 · 10.4 s' });
    expect(noticeRoute(n!)).toBe('#/w/w3/journal/7');
    expect(noticeRoute({ workspaceId: 'w3', seq: null })).toBe('#/w/w3/overview');
  });

  it('says how it ended: a failure, a timeout and an interruption are errors', () => {
    const t = trackerAt('running');
    expect(t.journalAppended('w3', entry({ seq: 1, exitCode: 3 }))).toMatchObject({ level: 'error', title: 'ws-3: command failed (exit 3)' });
    expect(t.journalAppended('w3', entry({ seq: 2, exitCode: 124, timedOut: true }))).toMatchObject({ level: 'error', title: 'ws-3: command timed out (exit 124)' });
    expect(t.journalAppended('w3', entry({ seq: 3, status: 'interrupted', exitCode: null, reason: 'its process died' }))).toMatchObject({
      level: 'error',
      title: 'ws-3: command was interrupted',
      body: 'sleep 10.37 · 10.4 s · its process died',
    });
  });

  it('a short command, one still running, one not run, a terminal session and a lifecycle event are not', () => {
    const t = trackerAt('running');
    expect(t.journalAppended('w3', entry({ seq: 1, durationMs: LONG_COMMAND_MS - 1 }))).toBeNull();
    expect(t.journalAppended('w3', entry({ seq: 2, status: 'running', exitCode: null }))).toBeNull();
    expect(t.journalAppended('w3', entry({ seq: 3, status: 'not-run', exitCode: null }))).toBeNull();
    expect(t.journalAppended('w3', entry({ seq: 4, source: 'terminal', command: 'sh' }))).toBeNull();
    expect(t.journalAppended('w3', entry({ seq: 5, source: 'lifecycle', command: 'expired', exitCode: null }))).toBeNull();
    expect(t.journalAppended('w3', entry({ seq: 6, durationMs: LONG_COMMAND_MS }))).not.toBeNull();
  });

  it('an entry announced when it starts and twice when it ends is one notice', () => {
    const t = trackerAt('running');
    expect(t.journalAppended('w3', entry({ status: 'running', exitCode: null, durationMs: 0 }))).toBeNull();
    expect(t.journalAppended('w3', entry({}))).not.toBeNull();
    expect(t.journalAppended('w3', entry({}))).toBeNull();
    // The same seq in another workspace is another command.
    expect(t.journalAppended('w4', entry({ workspaceId: 'w4' }))?.title).toBe('w4: command finished (exit 0)');
  });

  it('shortens the command to one line and formats durations', () => {
    expect(shortCommand('for i in 1 2 3;\n  do echo $i;\n done')).toBe('for i in 1 2 3; do echo $i; done');
    const long = shortCommand(`python train.py ${'--flag '.repeat(20)}`);
    expect(long).toHaveLength(60);
    expect(long.endsWith('…')).toBe(true);
    expect(fmtRunTime(10_412)).toBe('10.4 s');
    expect(fmtRunTime(185_000)).toBe('3 min 05 s');
    expect(fmtRunTime(2 * 3600_000 + 7 * 60_000)).toBe('2 h 07 min');
  });
});

describe('own actions', () => {
  it('names the workspace of a lifecycle call, and nothing for other calls', () => {
    expect(actionTarget('workspaces.stop', { workspace: 'ws-3' })).toBe('ws-3');
    expect(actionTarget('workspaces.remove', { workspace: 'w3' })).toBe('w3');
    expect(actionTarget('workspaces.start', { workspace: 'w3' })).toBe('w3');
    expect(actionTarget('workspaces.create', { name: 'ws-9', backend: 'bwrap' })).toBe('ws-9');
    expect(actionTarget('exec.run', { workspace: 'w3', argv: ['true'] })).toBeNull();
    expect(actionTarget('workspaces.stop', null)).toBeNull();
    expect(actionTarget('workspaces.stop', { workspace: 3 })).toBeNull();
  });

  it('a call counts while it runs and for a grace period after its answer, by id or by name', () => {
    let now = 1000;
    const own = new OwnActions(() => now);
    const w = { id: 'w3', name: 'ws-3' };
    expect(own.asked(w)).toBe(false);
    const end = own.begin('ws-3');
    now += 60_000; // A SLURM stop may take a minute.
    expect(own.asked(w)).toBe(true);
    end();
    end(); // An answer is counted once.
    now += OWN_ACTION_GRACE_MS - 1;
    expect(own.asked(w)).toBe(true);
    now += 1;
    expect(own.asked(w)).toBe(false);
    expect(own.asked({ id: 'w4', name: 'ws-4' })).toBe(false);
  });

  it('two calls about one workspace: it counts until the last has answered', () => {
    let now = 0;
    const own = new OwnActions(() => now, 10);
    const a = own.begin('w3');
    const b = own.begin('w3');
    a();
    now = 100;
    expect(own.asked({ id: 'w3', name: 'x' })).toBe(true);
    b();
    now = 111;
    expect(own.asked({ id: 'w3', name: 'x' })).toBe(false);
  });

  it("a host's end of a window's connection remembers the window's lifecycle requests until their answer, and other requests not", async () => {
    let now = 0;
    const own = new OwnActions(() => now, 1000);
    const [windowEnd, hostEnd] = createMemoryTransportPair();
    const watched = watchOwnActions(hostEnd, own);
    // The host answers each request when told to, as a slow stop would be answered.
    const answer = new Map<number, () => void>();
    const asked: boolean[] = [];
    watched.onMessage((m) => {
      if (m.t !== 'req') return;
      asked.push(own.asked({ id: 'w3', name: 'ws-3' }));
      answer.set(m.id, () => watched.send({ t: 'res', id: m.id, result: {} }));
    });
    const client = createClient(windowEnd);
    const settle = () => new Promise((r) => setTimeout(r, 0));

    const run = client.call('exec.run', { workspace: 'w3', argv: ['true'] });
    await settle();
    expect(asked).toEqual([false]);
    const stop = client.call('workspaces.stop', { workspace: 'w3' });
    await settle();
    expect(asked).toEqual([false, true]);
    now = 50_000;
    expect(own.asked({ id: 'w3', name: 'ws-3' })).toBe(true); // not answered yet
    for (const a of answer.values()) a();
    await Promise.all([run, stop]);
    now += 999;
    expect(own.asked({ id: 'w3', name: 'ws-3' })).toBe(true);
    now += 1;
    expect(own.asked({ id: 'w3', name: 'ws-3' })).toBe(false);
  });
});
