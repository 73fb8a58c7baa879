/** The selected journal entry: what ran, where, how it ended; its outputs in colour; copy, run again, replay. */
import { AnsiUp } from 'ansi_up';
import { useEffect, useMemo, useState, type MouseEvent } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { JournalEntryWithOutput, Workspace } from '../../../src-preload/contract';
import { copyText, exitBadge, fmtBytes, fmtDuration, fmtTime, rerunInput } from './format';
import { RecordingPlayer } from './RecordingPlayer';

/** Characters of an output shown before "Show all" (a stored stream can be 1 MiB). */
const SHOW_CHARS = 200_000;

interface Props {
  client: BenchtopClient;
  workspace: Workspace;
  seq: number;
  /** A new entry to select (after "Run again"). */
  onSelect: (seq: number) => void;
}

export function JournalDetail({ client, workspace, seq, onSelect }: Props) {
  const [entry, setEntry] = useState<JournalEntryWithOutput | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<'ok' | 'failed' | null>(null);
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setEntry(null);
    setError(null);
    setRunError(null);
    setCopied(null);
    client.call('journal.get', { workspace: workspace.id, seq }).then(
      (e) => live && setEntry(e),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [client, workspace.id, seq]);

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

  const runAgain = async () => {
    if (!('input' in rerun)) return;
    setRunning(true);
    setRunError(null);
    try {
      const r = await client.call('exec.run', rerun.input);
      onSelect(r.seq);
    } catch (err) {
      setRunError((err as Error).message);
    } finally {
      setRunning(false);
    }
  };

  return (
    <aside className="jr-detail" data-testid="journal-detail" data-seq={entry.seq}>
      <header className="jr-detail-head">
        <span className="jr-seq">#{entry.seq}</span>
        <span className={`jr-badge jr-src-${entry.source}`}>{entry.source}</span>
        <span className={`jr-badge jr-exit-${exit.tone}`} title={entry.timedOut ? 'killed after its timeout' : undefined}>
          {entry.source === 'lifecycle' && entry.exitCode === null ? exit.text : entry.timedOut ? `timed out (exit ${entry.exitCode})` : `exit ${exit.text}`}
        </span>
        <span className="jr-spacer" />
        <button type="button" onClick={async () => setCopied((await copyText(entry.command)) ? 'ok' : 'failed')} data-testid="journal-copy">
          {copied === 'ok' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy command'}
        </button>
        {entry.source === 'exec' && (
          <button type="button" className="jr-primary" onClick={runAgain} disabled={!runnable || running} title={runTitle} data-testid="journal-run-again">
            {running ? 'Running…' : 'Run again'}
          </button>
        )}
      </header>
      <pre className="jr-command" title={entry.argv ? JSON.stringify(entry.argv) : undefined}>
        {entry.command}
      </pre>
      {runError && <div className="jr-error">{runError}</div>}
      <dl className="jr-facts">
        <dt>Started</dt>
        <dd title={entry.startedAt}>{fmtTime(entry.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{fmtDuration(entry.durationMs)}</dd>
        <dt>Exit code</dt>
        <dd>
          {entry.exitCode ?? '—'}
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
      {entry.stdout && <Output label="stdout" text={entry.stdoutText} info={entry.stdout} testId="journal-stdout" />}
      {entry.stderr && <Output label="stderr" text={entry.stderrText} info={entry.stderr} testId="journal-stderr" />}
      {!entry.stdout && !entry.stderr && entry.source === 'exec' && <div className="jr-muted">No output was stored for this entry.</div>}
    </aside>
  );
}

function Output({ label, text, info, testId }: { label: string; text: string; info: { bytes: number; storedBytes: number; truncated: boolean }; testId: string }) {
  const [all, setAll] = useState(false);
  const long = text.length > SHOW_CHARS;
  const shown = all || !long ? text : text.slice(0, SHOW_CHARS);
  // ansi_up escapes HTML by default (escape_html = true): output can never inject markup. Only http(s) links survive.
  const html = useMemo(() => new AnsiUp().ansi_to_html(shown), [shown]);
  return (
    <section className="jr-output">
      <header>
        <span className="jr-output-label">{label}</span>
        <span className="jr-muted">{fmtBytes(info.bytes)}</span>
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
      <pre className="jr-pre" data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} onClick={openLinkOutside} />
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
