/**
 * Run one command in the workspace (journaled like `benchtop exec`), on every
 * tab of the workspace page. The output streams in while it runs (stdout and
 * stderr told apart, the last 200 KB kept on screen); Cancel kills the
 * command's whole tree inside the sandbox; the end says exit code, timed out,
 * cancelled or the error, with a link to its journal entry. Up/Down recall
 * earlier commands of this workspace (kept in localStorage); the timeout
 * (seconds, 1-1800) defaults to the workspace's and can be changed per run;
 * a changed timeout is kept per workspace (localStorage) across reloads.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { ExecResult, Workspace } from '../../../src-preload/contract';
import { AsUserField } from './AsUserField';
import { useDescriptor } from '../backends/descriptors';
import { base64Bytes, newRequestId } from '../ids';

/** Output kept on screen, in characters (≈ bytes for text): older output is dropped from the top. */
const OUTPUT_CAP = 200 * 1024;
const HISTORY_MAX = 200;
const TIMEOUT_MIN = 1;
const TIMEOUT_MAX = 1800;

type StreamName = 'stdout' | 'stderr';
interface Chunk {
  stream: StreamName;
  text: string;
}

interface Run {
  execId: string;
  command: string;
  timeoutSec: number;
  startedAt: number;
  endedAt: number | null;
  seq: number | null;
  outcome: 'running' | 'exit' | 'cancelled' | 'error';
  result: ExecResult | null;
  error: string | null;
  cancelling: boolean;
}

const historyKey = (wsId: string) => `benchtop.commandHistory.${wsId}`;

function loadHistory(wsId: string): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(historyKey(wsId)) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(-HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

function saveHistory(wsId: string, history: string[]): void {
  try {
    localStorage.setItem(historyKey(wsId), JSON.stringify(history.slice(-HISTORY_MAX)));
  } catch {
    // Storage full or unavailable: the history lives on for this session only.
  }
}

const timeoutKey = (wsId: string) => `benchtop.commandTimeout.${wsId}`;

/** The timeout chosen earlier for this workspace, or its default. */
function loadTimeout(wsId: string, fallback: number): string {
  try {
    const v = localStorage.getItem(timeoutKey(wsId));
    return v !== null && 'sec' in parseTimeout(v) ? v : String(fallback);
  } catch {
    return String(fallback);
  }
}

/** Keeps a valid chosen timeout; the workspace's default is not kept, so a later change of the default is followed. */
function saveTimeout(wsId: string, text: string, fallback: number): void {
  try {
    const t = parseTimeout(text);
    if (!('sec' in t)) return;
    if (t.sec === fallback) localStorage.removeItem(timeoutKey(wsId));
    else localStorage.setItem(timeoutKey(wsId), String(t.sec));
  } catch {
    // Storage unavailable: the choice lives on for this session only.
  }
}

function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function fmtKb(chars: number): string {
  return chars < 1024 * 1024 ? `${Math.round(chars / 1024)} KB` : `${(chars / 1024 / 1024).toFixed(1)} MB`;
}

/** The timeout field's value as seconds, or why it is not one. */
function parseTimeout(text: string): { sec: number } | { error: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { error: `timeout must be a whole number of seconds, ${TIMEOUT_MIN}-${TIMEOUT_MAX}` };
  const n = Number(t);
  if (n < TIMEOUT_MIN || n > TIMEOUT_MAX) return { error: `timeout must be between ${TIMEOUT_MIN} and ${TIMEOUT_MAX} s` };
  return { sec: n };
}

interface Props {
  client: BenchtopClient;
  workspace: Workspace;
  /** Opens the Journal tab on this command's entry. */
  onOpenJournal?: (seq: number) => void;
}

export function CommandBar({ client, workspace, onOpenJournal }: Props) {
  const descriptor = useDescriptor(workspace.backend);
  const wsId = workspace.id;
  const defaultTimeout = workspace.limits.execTimeoutSec;
  const [line, setLine] = useState('');
  const [timeoutText, setTimeoutText] = useState(() => loadTimeout(wsId, defaultTimeout));
  const [asUser, setAsUser] = useState('');
  const [run, setRun] = useState<Run | null>(null);
  const [showOutput, setShowOutput] = useState(true);
  const [, setVersion] = useState(0);
  const [now, setNow] = useState(() => Date.now());

  const history = useRef<string[]>(loadHistory(wsId));
  /** Where Up/Down stand in the history (history.length: the line being typed), and that line. */
  const histPos = useRef(history.current.length);
  const draft = useRef('');

  const chunks = useRef<Chunk[]>([]);
  const kept = useRef(0);
  const dropped = useRef(0);
  const decoders = useRef<Record<StreamName, TextDecoder> | null>(null);
  const current = useRef<Run | null>(null);
  current.current = run;
  const frame = useRef<number | null>(null);
  const outputEl = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  // The workspace's default timeout changed (or another workspace): follow it unless edited.
  const lastDefault = useRef(defaultTimeout);
  useEffect(() => {
    if (lastDefault.current === defaultTimeout) return;
    setTimeoutText((t) => (t === String(lastDefault.current) ? String(defaultTimeout) : t));
    lastDefault.current = defaultTimeout;
  }, [defaultTimeout]);

  const redraw = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      setVersion((v) => v + 1);
    });
  }, []);
  useEffect(
    () => () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    },
    [],
  );

  const append = useCallback(
    (stream: StreamName, text: string) => {
      if (!text) return;
      const list = chunks.current;
      const last = list[list.length - 1];
      if (last && last.stream === stream) last.text += text;
      else list.push({ stream, text });
      kept.current += text.length;
      while (kept.current > OUTPUT_CAP && list.length) {
        const first = list[0]!;
        const over = kept.current - OUTPUT_CAP;
        if (first.text.length <= over) {
          list.shift();
          kept.current -= first.text.length;
          dropped.current += first.text.length;
        } else {
          first.text = first.text.slice(over);
          kept.current -= over;
          dropped.current += over;
        }
      }
      redraw();
    },
    [redraw],
  );

  // Output of the running command, as it comes; the journal announces its seq when it starts.
  useEffect(() => {
    const offOutput = client.on('exec.output', (p) => {
      const r = current.current;
      const dec = decoders.current;
      if (!r || r.outcome !== 'running' || p.execId !== r.execId || !dec) return;
      append(p.stream, dec[p.stream].decode(base64Bytes(p.data), { stream: true }));
    });
    const offJournal = client.on('journal.appended', ({ workspaceId, entry }) => {
      const r = current.current;
      if (!r || r.seq !== null || r.outcome !== 'running' || workspaceId !== wsId) return;
      if (entry.source !== 'exec' || entry.status !== 'running' || entry.command !== r.command) return;
      setRun((x) => (x && x.execId === r.execId && x.seq === null ? { ...x, seq: entry.seq } : x));
    });
    return () => {
      offOutput();
      offJournal();
    };
  }, [client, wsId, append]);

  // The elapsed time ticks while a command runs.
  const running = run?.outcome === 'running';
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [running]);

  // Follow the end of the output unless the reader scrolled up.
  useLayoutEffect(() => {
    const el = outputEl.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });

  const timeout = parseTimeout(timeoutText);
  const canRun = workspace.state === 'running' && !running && 'sec' in timeout && line.trim().length > 0;

  const start = async (e: FormEvent) => {
    e.preventDefault();
    const command = line;
    if (!command.trim() || running || !('sec' in timeout) || workspace.state !== 'running') return;

    const h = history.current;
    if (h[h.length - 1] !== command) h.push(command);
    if (h.length > HISTORY_MAX) h.splice(0, h.length - HISTORY_MAX);
    saveHistory(wsId, h);
    histPos.current = h.length;
    draft.current = '';
    setLine('');

    const execId = newRequestId();
    chunks.current = [];
    kept.current = 0;
    dropped.current = 0;
    stick.current = true;
    decoders.current = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
    const r: Run = {
      execId,
      command,
      timeoutSec: timeout.sec,
      startedAt: Date.now(),
      endedAt: null,
      seq: null,
      outcome: 'running',
      result: null,
      error: null,
      cancelling: false,
    };
    current.current = r;
    setRun(r);
    setShowOutput(true);

    const flush = () => {
      const dec = decoders.current;
      if (dec) {
        append('stdout', dec.stdout.decode());
        append('stderr', dec.stderr.decode());
      }
      decoders.current = null;
    };
    try {
      const result = await client.call('exec.run', { workspace: wsId, shell: command, execId, stream: true, timeoutSec: timeout.sec, ...(asUser ? { user: asUser } : {}) });
      flush();
      setRun((x) => (x?.execId === execId ? { ...x, outcome: 'exit', result, seq: result.seq, endedAt: Date.now() } : x));
    } catch (err) {
      flush();
      const e = err as Error & { code?: string; details?: Record<string, unknown> };
      const seq = typeof e.details?.seq === 'number' ? e.details.seq : null;
      const cancelled = e.code === 'CANCELLED';
      setRun((x) => (x?.execId === execId ? { ...x, outcome: cancelled ? 'cancelled' : 'error', error: e.message, seq: seq ?? x.seq, endedAt: Date.now() } : x));
    }
  };

  const cancel = () => {
    const r = current.current;
    if (!r || r.outcome !== 'running') return;
    setRun((x) => (x?.execId === r.execId ? { ...x, cancelling: true } : x));
    client.call('exec.cancel', { execId: r.execId }).catch((err: Error) => {
      setRun((x) => (x?.execId === r.execId ? { ...x, cancelling: false, error: `could not cancel: ${err.message}` } : x));
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const h = history.current;
    if (e.key === 'ArrowUp') {
      if (histPos.current === 0 || !h.length) return;
      e.preventDefault();
      if (histPos.current === h.length) draft.current = line;
      histPos.current -= 1;
      setLine(h[histPos.current] ?? '');
    } else if (e.key === 'ArrowDown') {
      if (histPos.current >= h.length) return;
      e.preventDefault();
      histPos.current += 1;
      setLine(histPos.current === h.length ? draft.current : (h[histPos.current] ?? ''));
    }
  };

  const where = descriptor?.projectPath ?? 'the project folder';
  const stateHint = workspace.state === 'running' ? `run a command in ${where} (journaled; Up/Down: history)` : `workspace is ${workspace.state}`;
  const timeoutError = 'error' in timeout ? timeout.error : null;
  const elapsed = run ? (run.endedAt ?? Math.max(now, run.startedAt)) - run.startedAt : 0;

  const seqLink = (seq: number | null) =>
    seq === null ? null : onOpenJournal ? (
      <button type="button" className="link cmd-seq" onClick={() => onOpenJournal(seq)} title={`Show entry #${seq} in the journal`} data-testid="command-journal-link">
        #{seq}
      </button>
    ) : (
      <span className="cmd-seq">#{seq}</span>
    );

  let ending: ReactNode = null;
  if (run && run.outcome === 'exit' && run.result) {
    const ok = run.result.exitCode === 0;
    ending = (
      <span className={`badge ${ok ? 'state-running' : 'state-failed'}`} data-testid="command-exit" data-outcome="exit">
        {seqLink(run.result.seq)} exit {run.result.exitCode}
        {run.result.timedOut ? ` (timed out after ${run.timeoutSec} s)` : ''}
      </span>
    );
  } else if (run && run.outcome === 'cancelled') {
    ending = (
      <span className="badge state-stopping" data-testid="command-exit" data-outcome="cancelled">
        {seqLink(run.seq)} cancelled
      </span>
    );
  } else if (run && run.outcome === 'error') {
    ending = (
      <span className="badge state-failed" data-testid="command-exit" data-outcome="error">
        {seqLink(run.seq)} not run
      </span>
    );
  }

  const hasOutput = kept.current > 0 || dropped.current > 0;

  return (
    <section className="command-panel" aria-label="Command" data-testid="command-bar">
      <form className="command-bar" onSubmit={(e) => void start(e)}>
        <span className="prompt mono" aria-hidden="true">
          $
        </span>
        <input
          className="mono"
          value={line}
          onChange={(e) => {
            setLine(e.target.value);
            histPos.current = history.current.length;
          }}
          onKeyDown={onKeyDown}
          placeholder={stateHint}
          aria-label="Command to run in the workspace"
          disabled={workspace.state !== 'running'}
          autoComplete="off"
          spellCheck={false}
          data-testid="command-input"
        />
        <AsUserField workspace={workspace} value={asUser} onChange={setAsUser} label="Run the command as this user" testId="command-user" />
        <label className={`cmd-timeout${timeoutError ? ' invalid' : ''}`} title={timeoutError ?? `The command is killed after this many seconds (workspace default ${defaultTimeout} s)`}>
          <span>timeout</span>
          <input
            type="number"
            min={TIMEOUT_MIN}
            max={TIMEOUT_MAX}
            step={1}
            value={timeoutText}
            onChange={(e) => {
              setTimeoutText(e.target.value);
              saveTimeout(wsId, e.target.value, defaultTimeout);
            }}
            aria-label="Timeout in seconds"
            aria-invalid={!!timeoutError}
            aria-describedby={timeoutError ? 'cmd-timeout-error' : undefined}
            data-testid="command-timeout"
          />
          <span>s</span>
        </label>
        {running ? (
          <button type="button" className="danger" onClick={cancel} disabled={run.cancelling} data-testid="command-cancel">
            {run.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : (
          <button type="submit" disabled={!canRun} data-testid="command-run">
            Run
          </button>
        )}
        {running && (
          <span className="badge state-starting" data-testid="command-running">
            {seqLink(run.seq)} running · {fmtSeconds(elapsed)}
          </span>
        )}
        {!running && ending}
      </form>
      {timeoutError && (
        <p className="error cmd-error" id="cmd-timeout-error" role="alert" data-testid="command-timeout-error">
          {timeoutError}
        </p>
      )}
      {run && showOutput && (
        <div className={`cmd-output-box cmd-${run.outcome}`} data-testid="command-output-box" data-outcome={run.outcome}>
          <div className="cmd-output-head">
            <code className="cmd-line" title={run.command}>
              $ {run.command}
            </code>
            <span className="cmd-status" data-testid="command-status">
              {run.outcome === 'running' && `running · ${fmtSeconds(elapsed)} of ${run.timeoutSec} s`}
              {run.outcome === 'exit' && run.result && `exit ${run.result.exitCode}${run.result.timedOut ? ` · killed after the ${run.timeoutSec} s timeout` : ''} · ${fmtSeconds(run.result.durationMs)}`}
              {run.outcome === 'cancelled' && `cancelled after ${fmtSeconds(elapsed)}`}
              {run.outcome === 'error' && 'not run'}
              {run.seq !== null && (
                <>
                  {' · journal '}
                  {seqLink(run.seq)}
                </>
              )}
            </span>
            {!running && (
              <button type="button" className="link cmd-close" onClick={() => setShowOutput(false)} aria-label="Hide the output" title="Hide the output">
                ×
              </button>
            )}
          </div>
          <pre
            className="cmd-output mono"
            ref={outputEl}
            tabIndex={0}
            aria-label="Output of the command"
            aria-live="off"
            onScroll={(e) => {
              const el = e.currentTarget;
              stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
            }}
            data-testid="command-output"
          >
            {dropped.current > 0 && <span className="cmd-dropped">… {fmtKb(dropped.current)} of earlier output not shown (the journal keeps the head of it)
                {'\n'}
              </span>}
            {chunks.current.map((c, i) => (
              <span key={i} className={c.stream === 'stderr' ? 'cmd-stderr' : 'cmd-stdout'} data-stream={c.stream}>
                {c.text}
              </span>
            ))}
            {!hasOutput && <span className="cmd-empty">{running ? 'no output yet' : 'no output'}</span>}
          </pre>
          {run.error && run.outcome !== 'cancelled' && (
            <p className="error cmd-error" role="alert" data-testid="command-error">
              {run.error}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
