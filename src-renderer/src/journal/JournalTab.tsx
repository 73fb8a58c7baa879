/**
 * The journal browser of one workspace: every command, terminal session and
 * lifecycle event, newest first, in a virtualised list fetched page by page
 * through journal.search (so 100,000 entries cost what one screen costs);
 * filters, full-text search, live updates from journal.appended, a detail
 * pane (the search's terms marked in its outputs), and export of the filtered
 * entries as JSONL, with their stored outputs when asked.
 *
 * An exec's entry is announced twice under one seq: when it starts (running)
 * and when it ends (completed, interrupted or not-run). The second event
 * updates the row in place; a running row shows its elapsed time, ticking.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { JournalEntry, Workspace } from '../../../src-preload/contract';
import {
  download,
  entryDurationMs,
  exitBadge,
  exportLine,
  fileStamp,
  filtersActive,
  fmtCount,
  fmtDuration,
  fmtElapsed,
  fmtTime,
  newerEntry,
  NO_FILTERS,
  searchParams,
  SOURCES,
  type ExitFilter,
  type Filters,
  type JournalSource,
} from './format';
import { JournalDetail, useTicker } from './JournalDetail';
import './journal.css';

const PAGE = 200;
const ROW_H = 26;
const SEARCH_DEBOUNCE_MS = 250;
const LIVE_DEBOUNCE_MS = 150;
const EXPORT_PAGE = 1000;
/**
 * While a row shows a running entry, the view is queried again this often: an
 * entry completed by another process (the CLI, the watchdog after its owner
 * died) is announced to no one.
 */
const RUNNING_REFRESH_MS = 5000;
/** Versions of entries received as events, kept to overrule older answers of queries in flight. */
const KEEP_UPDATES = 500;

/**
 * `focusSeq`: an entry to show in the detail pane (the route named it, e.g. from a notification).
 * `onChosen`: the reader opened another entry or closed the pane (so the route can follow).
 */
export function JournalTab({ client, workspace, focusSeq, onChosen }: { client: BenchtopClient; workspace: Workspace; focusSeq?: number; onChosen?: (seq: number | null) => void }) {
  const [input, setInput] = useState('');
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [exporting, setExporting] = useState<{ done: number; total: number; what: 'entries' | 'outputs' } | null>(null);
  const [withOutputs, setWithOutputs] = useState(false);
  const [, setVersion] = useState(0);

  const wsId = workspace.id;
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const totalRef = useRef(total);
  totalRef.current = total;
  /** Loaded pages of the current result (page index → entries); replaced whole when the result changes. */
  const pages = useRef(new Map<number, JournalEntry[]>());
  /** Bumped by every new query; answers to older ones are dropped. */
  const gen = useRef(0);
  const inflight = useRef(new Set<string>());
  const scroller = useRef<HTMLDivElement>(null);
  /** The newest version of entries announced by journal.appended (seq → entry), this workspace only. */
  const updates = useRef(new Map<number, JournalEntry>());

  /** A page as the server sent it, with any newer version of its entries received meanwhile as events. */
  const merged = (entries: JournalEntry[]): JournalEntry[] =>
    entries.map((e) => {
      const u = updates.current.get(e.seq);
      return u ? newerEntry(u, e) : e;
    });

  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_H,
    overscan: 30,
  });

  const entryAt = (i: number): JournalEntry | undefined => pages.current.get(Math.floor(i / PAGE))?.[i % PAGE];
  const listedEntry = (seq: number): JournalEntry | undefined => {
    for (const list of pages.current.values()) {
      const e = list.find((x) => x.seq === seq);
      if (e) return e;
    }
    return updates.current.get(seq);
  };

  /** Runs the query again: from the top (new filters), or keeping the view (live update). */
  const reload = useCallback(
    async (mode: 'top' | 'live') => {
      const g = ++gen.current;
      const items = virtualizer.getVirtualItems();
      const wanted = new Set<number>([0]);
      if (mode === 'live') for (const it of items) wanted.add(Math.floor(it.index / PAGE));
      const list = [...wanted];
      try {
        const results = await Promise.all(list.map((p) => client.call('journal.search', searchParams(wsId, filtersRef.current, p * PAGE, PAGE))));
        if (g !== gen.current) return;
        const next = new Map<number, JournalEntry[]>();
        list.forEach((p, k) => next.set(p, merged(results[k]?.entries ?? [])));
        const newTotal = Math.max(...results.map((r) => r.total));
        const before = totalRef.current;
        pages.current = next;
        setTotal(newTotal);
        setError(null);
        setVersion((v) => v + 1);
        const offset = virtualizer.scrollOffset ?? 0;
        if (mode === 'top') virtualizer.scrollToOffset(0);
        else if (before !== null && newTotal > before && offset > 0) {
          // New entries went on top: keep the rows in view where they were (once the list has grown).
          requestAnimationFrame(() => virtualizer.scrollToOffset(offset + (newTotal - before) * ROW_H));
        }
      } catch (err) {
        if (g === gen.current) setError((err as Error).message);
      }
    },
    [client, wsId, virtualizer],
  );

  // A new workspace or new filters: query from the top.
  useEffect(() => {
    void reload('top');
  }, [reload, filters]);

  useEffect(() => {
    setSelected(null);
    setInput('');
    setFilters(NO_FILTERS);
    updates.current.clear();
  }, [wsId]);

  // After the reset above: the entry the route names is shown.
  useEffect(() => {
    if (focusSeq !== undefined) setSelected(focusSeq);
  }, [focusSeq, wsId]);

  // The search box, debounced.
  useEffect(() => {
    const t = setTimeout(() => setFilters((f) => (f.query === input ? f : { ...f, query: input })), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [input]);

  // Live: an entry already listed is updated in place (an exec's entry is announced when it
  // starts and again when it ends, under one seq); a new one refreshes the view (coalescing bursts).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = client.on('journal.appended', ({ workspaceId, entry }) => {
      if (workspaceId !== wsId) return;
      const u = updates.current;
      u.delete(entry.seq);
      u.set(entry.seq, entry);
      if (u.size > KEEP_UPDATES) u.delete(u.keys().next().value as number);
      let listed = false;
      for (const [p, list] of pages.current) {
        const k = list.findIndex((x) => x.seq === entry.seq);
        if (k < 0) continue;
        const next = list.slice();
        next[k] = newerEntry(entry, list[k] as JournalEntry);
        pages.current.set(p, next);
        listed = true;
      }
      if (listed) setVersion((v) => v + 1);
      // Shown and only its fields changed: done, unless the filters look at what changed
      // (its exit code; its output, now searchable) and it may now match or no longer match.
      const f = filtersRef.current;
      if (listed && f.exit === 'any' && !f.query.trim()) return;
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void reload('live');
      }, LIVE_DEBOUNCE_MS);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [client, wsId, reload]);

  // Pages scrolled into view are fetched on demand.
  const items = virtualizer.getVirtualItems();
  const firstPage = items.length ? Math.floor((items[0]?.index ?? 0) / PAGE) : 0;
  const lastPage = items.length ? Math.floor((items[items.length - 1]?.index ?? 0) / PAGE) : -1;
  useEffect(() => {
    const g = gen.current;
    for (let p = firstPage; p <= lastPage; p++) {
      const key = `${g}:${p}`;
      if (pages.current.has(p) || inflight.current.has(key)) continue;
      inflight.current.add(key);
      client
        .call('journal.search', searchParams(wsId, filtersRef.current, p * PAGE, PAGE))
        .then(
          (r) => {
            if (g !== gen.current) return;
            pages.current.set(p, merged(r.entries));
            setVersion((v) => v + 1);
          },
          (err: Error) => g === gen.current && setError(err.message),
        )
        .finally(() => inflight.current.delete(key));
    }
  });

  // A running entry in view: its elapsed time ticks, and the view is refreshed now and then
  // (in case it ends where no event tells us).
  const runningInView = items.some((it) => entryAt(it.index)?.status === 'running');
  const now = useTicker(runningInView);
  useEffect(() => {
    if (!runningInView) return;
    const t = setInterval(() => void reload('live'), RUNNING_REFRESH_MS);
    return () => clearInterval(t);
  }, [runningInView, reload]);

  const onChosenRef = useRef(onChosen);
  onChosenRef.current = onChosen;
  /** The reader's own choice (a row, the keyboard, Run again, close): shown, and told to the route. */
  const choose = useCallback((seq: number | null) => {
    setSelected(seq);
    onChosenRef.current?.(seq);
  }, []);
  const select = useCallback((seq: number) => choose(seq), [choose]);

  const onRunAgain = useCallback(
    (seq: number) => {
      choose(seq);
      virtualizer.scrollToOffset(0);
    },
    [virtualizer, choose],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    let index = -1;
    for (const [p, list] of pages.current) {
      const k = list.findIndex((x) => x.seq === selected);
      if (k >= 0) index = p * PAGE + k;
    }
    const next = index < 0 ? 0 : index + (e.key === 'ArrowDown' ? 1 : -1);
    const target = entryAt(next);
    if (!target) return;
    choose(target.seq);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const exportJsonl = async () => {
    const f = filtersRef.current;
    const bySeq = new Map<number, JournalEntry>();
    const outputs = withOutputs;
    setExporting({ done: 0, total: totalRef.current ?? 0, what: 'entries' });
    try {
      // Newest first, page by page: entries appended meanwhile shift pages down, so nothing is skipped (repeats are dropped).
      let count = Infinity;
      for (let offset = 0; offset < count; offset += EXPORT_PAGE) {
        const r = await client.call('journal.search', searchParams(wsId, f, offset, EXPORT_PAGE));
        count = r.total;
        for (const e of r.entries) bySeq.set(e.seq, e);
        setExporting({ done: Math.min(offset + r.entries.length, count), total: count, what: 'entries' });
        if (r.entries.length < EXPORT_PAGE) break;
      }
      const entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
      const lines: string[] = [];
      for (const [k, e] of entries.entries()) {
        if (outputs && (e.stdout || e.stderr)) {
          // As stored (redacted when it was written), as text: what `benchtop logs --jsonl --with-output` writes.
          const { stdoutText, stderrText } = await client.call('journal.get', { workspace: wsId, seq: e.seq });
          lines.push(exportLine(e, { stdoutText, stderrText }));
          setExporting({ done: k + 1, total: entries.length, what: 'outputs' });
        } else lines.push(exportLine(e, outputs ? { stdoutText: '', stderrText: '' } : undefined));
      }
      download(new Blob(lines, { type: 'application/x-ndjson' }), `benchtop-journal-${workspace.name}-${fileStamp()}.jsonl`);
    } catch (err) {
      setError(`export: ${(err as Error).message}`);
    } finally {
      setExporting(null);
    }
  };

  const setSources = (s: JournalSource, on: boolean) =>
    setFilters((f) => ({ ...f, sources: SOURCES.filter((x) => (x === s ? on : f.sources.includes(x))) }));
  const active = filtersActive({ ...filters, query: input });

  const summary = useMemo(() => {
    if (total === null) return 'Loading…';
    const noun = total === 1 ? 'entry' : 'entries';
    return filtersActive(filters) ? `${fmtCount(total)} matching ${noun}` : `${fmtCount(total)} ${noun}`;
  }, [total, filters]);

  return (
    <div className="jr" data-testid="journal">
      <div className="jr-toolbar">
        <input
          type="search"
          className="jr-search"
          placeholder="Search commands and outputs (all words; &quot;exact phrase&quot;)"
          value={input}
          maxLength={500}
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && setFilters((f) => ({ ...f, query: input }))}
          aria-label="Search the journal"
          data-testid="journal-search"
        />
        <fieldset className="jr-sources" aria-label="Sources">
          {SOURCES.map((s) => (
            <label key={s} className="jr-check">
              <input type="checkbox" checked={filters.sources.includes(s)} onChange={(e) => setSources(s, e.target.checked)} data-testid={`journal-source-${s}`} />
              {s}
            </label>
          ))}
        </fieldset>
        <label className="jr-field">
          Exit
          <select
            value={filters.exit}
            onChange={(e) => setFilters((f) => ({ ...f, exit: e.target.value as ExitFilter }))}
            title="By exit code. Entries without one — still running, interrupted, not run, and most lifecycle events — match neither ok nor failed."
            data-testid="journal-exit"
          >
            <option value="any">any</option>
            <option value="ok">ok (0)</option>
            <option value="failed">failed / timed out</option>
          </select>
        </label>
        <label className="jr-field">
          From
          <input type="datetime-local" value={filters.from} onChange={(e) => setFilters((f) => ({ ...f, from: e.target.value }))} data-testid="journal-from" />
        </label>
        <label className="jr-field">
          To
          <input type="datetime-local" value={filters.to} onChange={(e) => setFilters((f) => ({ ...f, to: e.target.value }))} data-testid="journal-to" />
        </label>
        {active && (
          <button
            type="button"
            className="jr-link"
            onClick={() => {
              setInput('');
              setFilters(NO_FILTERS);
            }}
          >
            Clear
          </button>
        )}
        <span className="jr-spacer" />
        <span className="jr-count" data-testid="journal-count">
          {summary}
        </span>
        <label className="jr-check" title="Add each entry's stored stdout and stderr (as text, redacted as stored) as stdoutText and stderrText">
          <input type="checkbox" checked={withOutputs} onChange={(e) => setWithOutputs(e.target.checked)} data-testid="journal-export-outputs" />
          include outputs
        </label>
        <button type="button" onClick={exportJsonl} disabled={!!exporting || !total} title="Download the entries shown (all pages) as JSON Lines" data-testid="journal-export">
          {exporting ? `Exporting ${exporting.what === 'outputs' ? 'outputs ' : ''}${fmtCount(exporting.done)}/${fmtCount(exporting.total)}…` : 'Export JSONL'}
        </button>
      </div>
      {error && (
        <div className="jr-error" role="alert">
          {error}
        </div>
      )}
      <div className={`jr-body${selected === null ? '' : ' jr-with-detail'}`}>
        <div className="jr-list">
          <div className="jr-row jr-head" aria-hidden="true">
            <span>#</span>
            <span>Started</span>
            <span>Source</span>
            <span>Exit</span>
            <span className="jr-right">Duration</span>
            <span>Command</span>
          </div>
          <div className="jr-scroll" ref={scroller} tabIndex={0} onKeyDown={onKeyDown} role="listbox" aria-label="Journal entries, newest first" data-testid="journal-list">
            {total === 0 && (
              <div className="jr-empty">
                {!filtersActive(filters)
                  ? 'Nothing journaled yet: run a command or open a terminal.'
                  : filters.exit === 'any'
                    ? 'No entries match these filters.'
                    : 'No entries match these filters. Entries without an exit code (running, interrupted, not run) match neither ok nor failed.'}
              </div>
            )}
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((it) => {
                const e = entryAt(it.index);
                const style = { transform: `translateY(${it.start}px)`, height: ROW_H };
                if (!e) {
                  return <div key={`p${it.index}`} className="jr-row jr-placeholder" style={style} />;
                }
                const exit = exitBadge(e);
                const ended = e.status === 'interrupted' || e.status === 'not-run';
                return (
                  <div
                    key={e.seq}
                    className={`jr-row jr-status-${e.status}${e.seq === selected ? ' jr-selected' : ''}`}
                    style={style}
                    onClick={() => select(e.seq)}
                    role="option"
                    aria-selected={e.seq === selected}
                    data-testid="journal-row"
                    data-seq={e.seq}
                    data-status={e.status}
                  >
                    <span className="jr-seq">{e.seq}</span>
                    <span className="jr-time" title={e.startedAt}>
                      {fmtTime(e.startedAt)}
                    </span>
                    <span>
                      <span className={`jr-badge jr-src-${e.source}`}>{e.source}</span>
                    </span>
                    <span>
                      <span className={`jr-badge jr-exit-${exit.tone}`} title={exit.title} data-testid="journal-row-status">
                        {exit.text}
                      </span>
                    </span>
                    {e.source === 'lifecycle' ? (
                      <span />
                    ) : e.status === 'running' ? (
                      <span className="jr-right jr-elapsed" title="running for" data-testid="journal-row-elapsed">
                        {fmtElapsed(entryDurationMs(e, now))}
                      </span>
                    ) : (
                      <span className="jr-right jr-muted">{fmtDuration(e.durationMs)}</span>
                    )}
                    <span className="jr-cmd" title={ended && e.reason ? `${e.command}\n${exit.title ?? ''}` : e.command}>
                      {(e.source === 'lifecycle' || e.source === 'copy') && e.detail ? `${e.command} — ${e.detail}` : e.command}
                      {ended && e.reason && <span className="jr-reason"> — {e.reason}</span>}
                    </span>
                  </div>
                );
              })}
            </div>
          </div>
        </div>
        {selected !== null && (
          <div className="jr-detail-wrap">
            <button type="button" className="jr-close" onClick={() => choose(null)} aria-label="Close the detail">
              ×
            </button>
            <JournalDetail client={client} workspace={workspace} seq={selected} listed={listedEntry(selected)} onSelect={onRunAgain} query={filters.query} />
          </div>
        )}
      </div>
    </div>
  );
}
