/**
 * The selected journal entry: what ran, where, how it ended; its outputs in
 * colour, opened at their end (OutputView), with the journal search's terms
 * marked; copy, run again, replay. A running entry is shown live: its elapsed
 * time ticks and its output so far is read every second, until it ends.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { JournalEntry, JournalEntryWithOutput, Workspace } from '../../../src-preload/contract';
import { queryTerms } from '../../../src-preload/contract/query';
import { closedByUser, copyText, entryDurationMs, exitBadge, fmtDuration, fmtElapsed, fmtTime, newerEntry, rerunInput } from './format';
import { OutputView } from './OutputView';
import { useOutputWindow } from './useOutputWindow';
import { RecordingPlayer } from './RecordingPlayer';

/** How often a running entry is read again whole, in case it ends where no event tells us (CLI, watchdog). */
const ENTRY_POLL_MS = 5000;

type Stream = 'stdout' | 'stderr';

/** The current time in ms, re-rendering once a second while `active`. */
export function useTicker(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

interface Props {
  client: BenchtopClient;
  workspace: Workspace;
  seq: number;
  /** The entry as the list has it (updated in place by journal.appended), when it is listed. */
  listed?: JournalEntry | undefined;
  /** A new entry to select (after "Run again"). */
  onSelect: (seq: number) => void;
  /** The journal's search query: its terms are marked in the outputs. */
  query?: string;
}

export function JournalDetail({ client, workspace, seq, listed, onSelect, query = '' }: Props) {
  const terms = useMemo(() => queryTerms(query), [query]);
  const [matches, setMatches] = useState<Record<Stream, number>>({ stdout: 0, stderr: 0 });
  const onMatches = useCallback((stream: Stream, n: number) => setMatches((m) => (m[stream] === n ? m : { ...m, [stream]: n })), []);
  /** The entry as last read; what is shown may lag behind it (see `entry` below). */
  const [latest, setLatest] = useState<JournalEntryWithOutput | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<'ok' | 'failed' | null>(null);
  const [rerunning, setRerunning] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  /** The seq shown now: a re-read that answers after another entry was selected is dropped. */
  const current = useRef(seq);
  current.current = seq;

  const refresh = useCallback(() => {
    const want = seq;
    client.call('journal.get', { workspace: workspace.id, seq: want, outputs: false }).then(
      (e) => current.current === want && setLatest((prev) => (prev && prev.seq === want ? newerEntry(e, prev) : e)),
      () => undefined, // Shown already: a failed re-read keeps what is shown; the next one tries again.
    );
  }, [client, workspace.id, seq]);

  useEffect(() => {
    let live = true;
    setLatest(null);
    setError(null);
    setRunError(null);
    setCopied(null);
    client.call('journal.get', { workspace: workspace.id, seq, outputs: false }).then(
      (e) => live && setLatest((prev) => (prev && prev.seq === seq ? newerEntry(e, prev) : e)),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [client, workspace.id, seq]);

  const latestRunning = latest?.status === 'running';

  // The entry ended (announced under the same seq): read it again.
  useEffect(() => {
    if (!latestRunning) return;
    const off = client.on('journal.appended', ({ workspaceId, entry: e }) => {
      if (workspaceId === workspace.id && e.seq === seq && e.status !== 'running') refresh();
    });
    const t = setInterval(refresh, ENTRY_POLL_MS);
    return () => {
      off();
      clearInterval(t);
    };
  }, [client, workspace.id, seq, latestRunning, refresh]);

  // The list saw it end (an event that came before this pane subscribed, or a refreshed query).
  const listedEnded = listed?.seq === seq && listed.status !== 'running';
  useEffect(() => {
    if (latestRunning && listedEnded) refresh();
  }, [latestRunning, listedEnded, refresh]);

  const stream = (name: Stream) => ({
    client,
    workspace: workspace.id,
    seq,
    stream: name,
    enabled: !!latest?.[name],
    running: latestRunning,
    storedBytes: latest?.[name] && !latestRunning ? (latest[name]?.storedBytes ?? null) : null,
  });
  const outputs = { stdout: useOutputWindow(stream('stdout')), stderr: useOutputWindow(stream('stderr')) };
  // An entry that ended is shown as still running until its outputs hold all it stored:
  // "exit 0" never sits above an output that is still missing its end.
  const lastRunning = useRef<JournalEntryWithOutput | null>(null);
  if (latest?.status === 'running') lastRunning.current = latest;
  const settled = (!latest?.stdout || outputs.stdout.win.settled) && (!latest?.stderr || outputs.stderr.win.settled);
  const entry = latest && !latestRunning && !settled && lastRunning.current?.seq === latest.seq ? lastRunning.current : latest;
  const running = entry?.status === 'running';
  const now = useTicker(running);

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(null), 1500);
    return () => clearTimeout(t);
  }, [copied]);

  if (error) {
    return (
      <aside className="jr-detail" data-testid="journal-detail">
        <div className="jr-error">{error}</div>
      </aside>
    );
  }
  if (!entry) {
    return (
      <aside className="jr-detail" data-testid="journal-detail" aria-busy="true">
        <div className="jr-muted">Loading #{seq}…</div>
      </aside>
    );
  }

  const exit = exitBadge(entry);
  const rerun = rerunInput(workspace.id, entry);
  const runnable = 'input' in rerun && workspace.state === 'running';
  const runTitle = 'why' in rerun ? rerun.why : workspace.state !== 'running' ? `the workspace is ${workspace.state}` : 'run this command again in this workspace (journaled as a new entry)';
  const elapsed = entryDurationMs(entry, now);

  const runAgain = async () => {
    if (!('input' in rerun)) return;
    const { input } = rerun;
    setRerunning(true);
    setRunError(null);
    // Its entry is announced when it starts: select it then, to watch it run.
    let picked = false;
    const off = client.on('journal.appended', ({ workspaceId, entry: e }) => {
      if (picked || workspaceId !== workspace.id || e.source !== 'exec' || e.status !== 'running' || e.seq <= entry.seq) return;
      if (e.command !== (input.shell ?? entry.command)) return;
      picked = true;
      off();
      onSelect(e.seq);
    });
    try {
      const r = await client.call('exec.run', input);
      if (!picked) onSelect(r.seq);
    } catch (err) {
      // Once its entry is shown, that entry says what went wrong (not run, interrupted).
      if (!picked) setRunError((err as Error).message);
    } finally {
      off();
      setRerunning(false);
    }
  };

  const statusText =
    entry.status === 'running'
      ? `running · ${fmtElapsed(elapsed)}`
      : entry.status === 'interrupted'
        ? 'interrupted'
        : entry.status === 'not-run'
          ? 'not run'
          : (entry.source === 'lifecycle' || closedByUser(entry)) && entry.exitCode === null
            ? exit.text
            : entry.timedOut
              ? `timed out (exit ${entry.exitCode})`
              : `exit ${exit.text}`;
  // The stream brought into the page's view: the one with a match, else stdout (when there is one).
  const primary: Stream = matches.stdout > 0 || (matches.stderr === 0 && entry.stdout) ? 'stdout' : 'stderr';
  const output = (stream: Stream) => {
    const info = entry[stream];
    if (!info) return null;
    return (
      <OutputView
        key={`${entry.seq}-${stream}`}
        output={outputs[stream]}
        client={client}
        workspace={workspace.id}
        seq={entry.seq}
        stream={stream}
        info={info}
        running={running}
        terms={terms}
        primary={primary === stream}
        onMatches={onMatches}
      />
    );
  };

  return (
    <aside className="jr-detail" data-testid="journal-detail" data-seq={entry.seq}>
      <header className="jr-detail-head">
        <span className="jr-seq">#{entry.seq}</span>
        <span className={`jr-badge jr-src-${entry.source}`}>{entry.source}</span>
        <span className={`jr-badge jr-exit-${exit.tone}`} title={entry.timedOut ? 'killed after its timeout' : exit.title} data-testid="journal-detail-status" data-status={entry.status}>
          {statusText}
        </span>
        <span className="jr-spacer" />
        {/* A terminal session's "command" is only its tab's name: there is nothing to copy and run. */}
        {entry.source !== 'terminal' && (
          <button type="button" onClick={async () => setCopied((await copyText(entry.command)) ? 'ok' : 'failed')} data-testid="journal-copy">
            {copied === 'ok' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy command'}
          </button>
        )}
        {entry.source === 'exec' && (
          <button type="button" className="jr-primary" onClick={runAgain} disabled={!runnable || rerunning} title={runTitle} data-testid="journal-run-again">
            {rerunning ? 'Running…' : 'Run again'}
          </button>
        )}
      </header>
      <pre className="jr-command" title={entry.argv ? JSON.stringify(entry.argv) : undefined}>
        {entry.command}
      </pre>
      {runError && <div className="jr-error">{runError}</div>}
      {(entry.status === 'interrupted' || entry.status === 'not-run') && (
        <div className={`jr-notice jr-notice-${entry.status}`} role="status" data-testid="journal-reason">
          <strong>{entry.status === 'interrupted' ? 'Interrupted' : 'Not run'}</strong>
          {entry.status === 'interrupted' ? ' before it ended: no exit code of its own' : ': the sandbox could not start it, so there is no exit code'}
          {entry.reason && <div className="jr-notice-reason">{entry.reason}</div>}
        </div>
      )}
      {entry.status === 'completed' && entry.reason && (
        <div className="jr-notice" data-testid="journal-reason">
          {entry.reason}
        </div>
      )}
      <dl className="jr-facts">
        <dt>Started</dt>
        <dd title={entry.startedAt}>{fmtTime(entry.startedAt)}</dd>
        <dt>Duration</dt>
        <dd data-testid="journal-detail-duration">{running ? `${fmtElapsed(elapsed)} so far` : fmtDuration(entry.durationMs)}</dd>
        <dt>Exit code</dt>
        <dd data-testid="journal-detail-exit">
          {entry.exitCode ?? (running ? '— (still running)' : entry.status === 'interrupted' ? 'none (interrupted)' : entry.status === 'not-run' ? 'none (not run)' : closedByUser(entry) ? 'none (closed)' : '—')}
          {entry.timedOut && <span className="jr-bad"> (timed out)</span>}
        </dd>
        {entry.cwd && (
          <>
            <dt>Directory</dt>
            <dd className="jr-mono">{entry.cwd}</dd>
          </>
        )}
        {entry.user && (
          <>
            <dt>User</dt>
            <dd className="jr-mono">{entry.user}</dd>
          </>
        )}
        <dt>Client</dt>
        <dd>{entry.client}</dd>
        {entry.event && (
          <>
            <dt>Event</dt>
            <dd>{entry.event}</dd>
          </>
        )}
        {entry.detail && (
          <>
            <dt>Detail</dt>
            <dd className="jr-mono jr-wrap">{entry.detail}</dd>
          </>
        )}
      </dl>
      {entry.source === 'terminal' && entry.recording && <RecordingPlayer client={client} workspace={workspace.id} seq={entry.seq} />}
      {output('stdout')}
      {output('stderr')}
      {!entry.stdout && !entry.stderr && entry.source === 'exec' && <div className="jr-muted">No output was stored for this entry.</div>}
    </aside>
  );
}
