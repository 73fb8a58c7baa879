/**
 * One stored output stream of a journal entry, in colour, opened at its end:
 * only its last slice is read ("last 64 KiB of 3.2 MiB"), "Load earlier"
 * prepends the slice before it and keeps in view what the reader was reading.
 * While the entry runs the view follows new output like `tail -f`, unless the
 * reader scrolled up. With a search query, every occurrence of its terms is
 * marked and the last one (nearest the end, where errors are) is scrolled to;
 * previous/next step between them. A match only in the stream's head (which
 * the search also looks at) loads the stream from its start.
 */
import { AnsiUp } from 'ansi_up';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import { normalizeSearch } from '../../../src-preload/contract/query';
import { fmtBytes } from './format';
import { markMatches, MAX_MARKS } from './highlight';
import { shownLabel } from './outputSlice';
import type { useOutputWindow } from './useOutputWindow';

/** How far into a stream the search looks at its head: 2 KiB characters are at most this many bytes. */
const SEARCHED_HEAD_BYTES = 8 * 1024;

interface Props {
  /** The stream's loaded window (read by the detail, which also needs to know when it is complete). */
  output: ReturnType<typeof useOutputWindow>;
  client: BenchtopClient;
  workspace: string;
  seq: number;
  stream: 'stdout' | 'stderr';
  info: { bytes: number; storedBytes: number; truncated: boolean };
  /** Still being written: sizes are "so far", and the view follows the end while scrolled there. */
  running: boolean;
  /** The journal search's terms (contract/query.ts), to mark. */
  terms: readonly string[];
  /** This stream is the one to bring into view in the page (its end, or its current match). */
  primary: boolean;
  /** How many matches are marked here (the detail picks which stream to bring into view). */
  onMatches?: (stream: 'stdout' | 'stderr', count: number) => void;
}

export function OutputView({ output, client, workspace, seq, stream, info, running, terms, primary, onMatches }: Props) {
  const { win, loadEarlier, loadAll } = output;
  const pre = useRef<HTMLPreElement>(null);
  const section = useRef<HTMLElement>(null);
  /** Scrolled to the end (so new output keeps it there). */
  const atEnd = useRef(true);
  /** The pre's height after the last render: what a prepend adds is the difference. */
  const lastHeight = useRef(0);
  const lastStart = useRef<number | null>(null);
  const marks = useRef<HTMLElement[]>([]);
  const [count, setCount] = useState(0);
  const countRef = useRef(0);
  const [current, setCurrent] = useState(-1);
  /** Bumped when the view should move to the current match (opened with matches, or stepped). */
  const [seek, setSeek] = useState(0);
  /** Bumped by every render of the content (marks are new elements each time). */
  const [rendered, setRendered] = useState(0);
  /** The terms the view last moved to a match for: new terms move it again. */
  const seekedFor = useRef<readonly string[] | null>(null);
  const lastSeek = useRef(0);
  const wasPrimary = useRef(false);
  const endShown = useRef(false);

  // ansi_up escapes HTML (escape_html = true): output can never inject markup. Only http(s) links survive.
  const html = useMemo(() => new AnsiUp().ansi_to_html(win.text), [win.text]);

  // Render, mark the matches, and place the view: at the end when it opens (or follows a running
  // entry), on the same lines after a prepend.
  useLayoutEffect(() => {
    const el = pre.current;
    if (!el) return;
    const prevTop = el.scrollTop;
    el.innerHTML = html;
    marks.current = markMatches(el, terms);
    const opened = lastStart.current === null && !win.loading;
    const prepended = lastStart.current !== null && win.start < lastStart.current;
    if (prepended) el.scrollTop = prevTop + (el.scrollHeight - lastHeight.current);
    else if (opened || (running && atEnd.current)) el.scrollTop = el.scrollHeight;
    else el.scrollTop = prevTop;
    if (!win.loading) lastStart.current = win.start;
    lastHeight.current = el.scrollHeight;
    const n = marks.current.length;
    const before = countRef.current;
    countRef.current = n;
    setCount(n);
    if (n > 0 && seekedFor.current !== terms) {
      // First matches for these terms: go to the last one, nearest the end where the view opened.
      seekedFor.current = terms;
      setCurrent(n - 1);
      setSeek((k) => k + 1);
    } else setCurrent((c) => (n === 0 ? -1 : Math.min(n - 1, Math.max(0, prepended ? c + n - before : c))));
    setRendered((r) => r + 1);
  }, [html, terms, win.loading, win.start, running]);

  useEffect(() => onMatches?.(stream, count), [onMatches, stream, count]);

  // The current match is outlined; on a seek (or once this stream becomes the one to show) it is scrolled to.
  useLayoutEffect(() => {
    const el = pre.current;
    if (!el) return;
    el.querySelectorAll('mark.jr-mark-current').forEach((m) => m.classList.remove('jr-mark-current'));
    const first = marks.current[current];
    const becamePrimary = primary && !wasPrimary.current;
    wasPrimary.current = primary;
    if (!first) return;
    el.querySelectorAll(`mark[data-match="${current}"]`).forEach((m) => m.classList.add('jr-mark-current'));
    if (seek === lastSeek.current && !becamePrimary) return;
    lastSeek.current = seek;
    // The pre is positioned, so a mark's offsetTop is measured from the pre's content top.
    el.scrollTop = Math.max(0, first.offsetTop - el.clientHeight / 2);
    atEnd.current = false;
    if (primary) first.scrollIntoView({ block: 'nearest' });
  }, [current, rendered, seek, primary]);

  // Opened with no match to show: bring the end of this stream into the page's view, once.
  useLayoutEffect(() => {
    if (!primary || win.loading || endShown.current || count > 0) return;
    endShown.current = true;
    // The whole section, so its header (how much is shown, "Load earlier") is in view too.
    section.current?.scrollIntoView({ block: 'nearest' });
  }, [primary, win.loading, count]);

  // No match in what is loaded, but the search also looks at the stream's head: if a term is there, load it all.
  const headCheckedFor = useRef<readonly string[] | null>(null);
  useEffect(() => {
    // countRef, not count: the marks of this very render (the layout effect ran first).
    if (win.loading || countRef.current > 0 || !terms.length || win.start <= 0 || headCheckedFor.current === terms) return;
    headCheckedFor.current = terms;
    client.call('journal.readOutput', { workspace, seq, stream, offset: 0, length: Math.min(SEARCHED_HEAD_BYTES, win.start) }).then(
      (r) => {
        // Raw output: compared exactly as the search index compares it (ANSI escapes out).
        const head = normalizeSearch(r.data);
        if (terms.some((t) => head.includes(t))) void loadAll();
      },
      () => undefined, // Only a hint: without it, "Load earlier" still gets there.
    );
  }, [client, workspace, seq, stream, terms, win.loading, win.start, count, loadAll]);

  const onScroll = () => {
    const el = pre.current;
    if (el) atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
  };
  const step = (by: number) => count > 0 && setCurrent((c) => (c + by + count) % count);
  const testId = `journal-${stream}`;

  return (
    <section className="jr-output" ref={section}>
      <header>
        <span className="jr-output-label">{stream}</span>
        {!win.loading && win.start > 0 ? (
          <>
            <span className="jr-muted" data-testid={`${testId}-shown`}>
              {shownLabel(win.start, win.end, Math.max(win.stored, win.end))}
              {running ? ' so far' : info.truncated ? ' stored' : ''}
            </span>
            <button type="button" className="jr-link" onClick={() => void loadEarlier()} disabled={win.loadingEarlier} data-testid={`${testId}-earlier`}>
              {win.loadingEarlier ? 'Loading…' : 'Load earlier'}
            </button>
          </>
        ) : (
          <span className="jr-muted">{running ? `${fmtBytes(win.stored)} so far` : fmtBytes(info.bytes)}</span>
        )}
        {info.truncated && (
          <span className="jr-trunc" title="Benchtop stores the head of each stream up to its cap">
            truncated: {fmtBytes(info.storedBytes)} of {fmtBytes(info.bytes)} stored
          </span>
        )}
        {count > 0 && (
          <span className="jr-matches" role="group" aria-label={`matches of the search in ${stream}`}>
            <span aria-live="polite" data-testid={`${testId}-match-count`}>
              {current + 1} of {count}
              {count >= MAX_MARKS ? '+' : ''}
            </span>
            <button type="button" onClick={() => step(-1)} aria-label="Previous match" title="Previous match" data-testid={`${testId}-match-prev`}>
              ↑
            </button>
            <button type="button" onClick={() => step(1)} aria-label="Next match" title="Next match" data-testid={`${testId}-match-next`}>
              ↓
            </button>
          </span>
        )}
      </header>
      <pre
        ref={pre}
        className={`jr-pre${running ? ' jr-pre-live' : ''}`}
        // Focusable so it scrolls from the keyboard; a named region, so a screen reader says what it is.
        tabIndex={0}
        role="region"
        aria-label={`${stream} of entry ${seq}`}
        aria-busy={win.loading || undefined}
        data-testid={testId}
        data-live={running || undefined}
        data-start={win.start}
        onClick={openLinkOutside}
        onScroll={onScroll}
      />
      {info.truncated && !running && (
        <div className="jr-trunc-end" data-testid={`${testId}-truncated-end`}>
          Not stored from here on: {fmtBytes(info.bytes - info.storedBytes)} more were produced.
        </div>
      )}
      {win.error && <div className="jr-error">{win.error}</div>}
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
