/**
 * The selected journal entry: what ran, where, how it ended; its outputs in
 * colour; copy, run again, replay. A running entry is shown live: its elapsed
 * time ticks and its output so far is read every second, until it ends.
 */
import { AnsiUp } from 'ansi_up';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { JournalEntry, JournalEntryWithOutput, Workspace } from '../../../src-preload/contract';
import { closedByUser, copyText, entryDurationMs, exitBadge, fmtBytes, fmtDuration, fmtElapsed, fmtTime, newerEntry, rerunInput } from './format';
import { RecordingPlayer } from './RecordingPlayer';

/** Characters of an output shown before "Show all" (a stored stream can be 1 MiB). */
const SHOW_CHARS = 200_000;
/** How often the output of a running entry is read. */
const OUTPUT_POLL_MS = 1000;
/** How often a running entry is read again whole, in case it ends where no event tells us (CLI, watchdog). */
const ENTRY_POLL_MS = 5000;

type Stream = 'stdout' | 'stderr';
interface LiveStream {
  text: string;
  bytes: number;
}
type LiveOutput = Record<Stream, LiveStream>;

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

function base64Bytes(data: string): Uint8Array {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The stored output of a running entry so far, read from where the last read
 * ended (as bytes, decoded as a stream, so no character is split) every
 * second while `running`; null before the first read, and once it has ended.
 */
function useLiveOutput(client: BenchtopClient, workspace: string, seq: number, running: boolean): LiveOutput | null {
  const [out, setOut] = useState<LiveOutput | null>(null);
  useEffect(() => {
    setOut(null);
    if (!running) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const state = {
      stdout: { decoder: new TextDecoder(), text: '', bytes: 0 },
      stderr: { decoder: new TextDecoder(), text: '', bytes: 0 },
    };
    let shown = -1;
    const poll = async () => {
      try {
        for (const stream of ['stdout', 'stderr'] as const) {
          const st = state[stream];
          for (;;) {
            const r = await client.call('journal.readOutput', { workspace, seq, stream, offset: st.bytes, encoding: 'base64' });
            if (!live) return;
            const bytes = base64Bytes(r.data);
            st.bytes += bytes.length;
            st.text += st.decoder.decode(bytes, { stream: true });
            if (r.eof || bytes.length === 0) break;
          }
        }
        const total = state.stdout.bytes + state.stderr.bytes;
        if (total !== shown) {
          shown = total;
          setOut({ stdout: { text: state.stdout.text, bytes: state.stdout.bytes }, stderr: { text: state.stderr.text, bytes: state.stderr.bytes } });
        }
      } catch {
        // Not there (yet), or the connection is down: the next read tries again.
      }
      if (live) timer = setTimeout(() => void poll(), OUTPUT_POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, workspace, seq, running]);
  return out;
}

interface Props {
  client: BenchtopClient;
  workspace: Workspace;
  seq: number;
  /** The entry as the list has it (updated in place by journal.appended), when it is listed. */
  listed?: JournalEntry | undefined;
  /** A new entry to select (after "Run again"). */
  onSelect: (seq: number) => void;
}

export function JournalDetail({ client, workspace, seq, listed, onSelect }: Props) {
  const [entry, setEntry] = useState<JournalEntryWithOutput | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<'ok' | 'failed' | null>(null);
  const [rerunning, setRerunning] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  /** The seq shown now: a re-read that answers after another entry was selected is dropped. */
  const current = useRef(seq);
  current.current = seq;

  const refresh = useCallback(() => {
    const want = seq;
    client.call('journal.get', { workspace: workspace.id, seq: want }).then(
      (e) => current.current === want && setEntry((prev) => (prev && prev.seq === want ? newerEntry(e, prev) : e)),
      () => undefined, // Shown already: a failed re-read keeps what is shown; the next one tries again.
    );
  }, [client, workspace.id, seq]);

  useEffect(() => {
    let live = true;
    setEntry(null);
    setError(null);
    setRunError(null);
    setCopied(null);
    client.call('journal.get', { workspace: workspace.id, seq }).then(
      (e) => live && setEntry((prev) => (prev && prev.seq === seq ? newerEntry(e, prev) : e)),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [client, workspace.id, seq]);

  const running = entry?.status === 'running';

  // The entry ended (announced under the same seq): read it again, with its whole output.
  useEffect(() => {
    if (!running) return;
    const off = client.on('journal.appended', ({ workspaceId, entry: e }) => {
      if (workspaceId === workspace.id && e.seq === seq && e.status !== 'running') refresh();
    });
    const t = setInterval(refresh, ENTRY_POLL_MS);
    return () => {
      off();
      clearInterval(t);
    };
  }, [client, workspace.id, seq, running, refresh]);

  // The list saw it end (an event that came before this pane subscribed, or a refreshed query).
  const listedEnded = listed?.seq === seq && listed.status !== 'running';
  useEffect(() => {
    if (running && listedEnded) refresh();
  }, [running, listedEnded, refresh]);

  const liveOutput = useLiveOutput(client, workspace.id, seq, running);
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
  const output = (stream: Stream) => {
    const info = entry[stream];
    if (!info) return null;
    const label = stream;
    const testId = `journal-${stream}`;
    if (running) {
      const live = liveOutput?.[stream];
      const text = live ? live.text : entry[`${stream}Text`];
      const bytes = live ? live.bytes : new TextEncoder().encode(text).length;
      return <Output label={label} text={text} info={{ bytes, storedBytes: bytes, truncated: false }} live testId={testId} />;
    }
    return <Output label={label} text={entry[`${stream}Text`]} info={info} testId={testId} />;
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

interface OutputProps {
  label: string;
  text: string;
  info: { bytes: number; storedBytes: number; truncated: boolean };
  /** Still being written: sizes are "so far", and the view follows the end while scrolled there. */
  live?: boolean;
  testId: string;
}

function Output({ label, text, info, live = false, testId }: OutputProps) {
  const [all, setAll] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  const long = text.length > SHOW_CHARS;
  const shown = all || !long ? text : text.slice(0, SHOW_CHARS);
  // ansi_up escapes HTML by default (escape_html = true): output can never inject markup. Only http(s) links survive.
  const html = useMemo(() => new AnsiUp().ansi_to_html(shown), [shown]);
  // Like `tail -f`: while it runs, new output stays in view unless the reader scrolled up.
  useLayoutEffect(() => {
    const el = pre.current;
    if (live && el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [html, live]);
  const onScroll = () => {
    const el = pre.current;
    if (el) atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
  };
  return (
    <section className="jr-output">
      <header>
        <span className="jr-output-label">{label}</span>
        <span className="jr-muted">{live ? `${fmtBytes(info.bytes)} so far` : fmtBytes(info.bytes)}</span>
        {info.truncated && (
          <span className="jr-trunc" title="Benchtop stores the head of each stream up to its cap">
            truncated: {fmtBytes(info.storedBytes)} of {fmtBytes(info.bytes)} stored
          </span>
        )}
        {long && !all && (
          <button type="button" className="jr-link" onClick={() => setAll(true)}>
            showing the first {SHOW_CHARS.toLocaleString("en-US")} characters — show all
          </button>
        )}
      </header>
      <pre
        ref={pre}
        className={`jr-pre${live ? ' jr-pre-live' : ''}`}
        data-testid={testId}
        data-live={live || undefined}
        dangerouslySetInnerHTML={{ __html: html }}
        onClick={openLinkOutside}
        onScroll={onScroll}
      />
    </section>
  );
}

/** Links in output (OSC 8, http/https only) open outside the app, never in its own window. */
function openLinkOutside(e: MouseEvent<HTMLPreElement>): void {
  const a = (e.target as HTMLElement).closest('a');
  if (!a) return;
  e.preventDefault();
  window.open(a.href, '_blank', 'noopener,noreferrer');
}
