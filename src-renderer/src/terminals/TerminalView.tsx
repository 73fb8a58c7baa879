/**
 * One terminal: xterm.js with fit, search, web links, unicode 11 and the WebGL
 * renderer (DOM fallback). Output is acknowledged from xterm's write callback
 * so main can pause a flooding PTY; the screen is restored from main's
 * scrollback when (re)attaching.
 *
 * (Re)attaching waits until the pane is shown: it is fitted first and the PTY
 * resized to that size (a program such as vi redraws at it, even when the size
 * did not change), then the scrollback is read and replayed at that size.
 *
 * Tab goes to the shell (completion) unless Tab trapping is off: Ctrl+M
 * toggles it, as in VS Code; off, Tab moves the focus out of the terminal.
 *
 * Ctrl+Shift+F finds text: matches are highlighted as you type, Enter and
 * Shift+Enter step to the next and previous one, and the box says which one
 * of how many is shown ("3 of 12", "No matches").
 *
 * Its colours are light or dark as the system is, and follow it live.
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import './terminals.css';
import { useEffect, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { TerminalInfo } from '../../../src-preload/contract';
import { searchOptions, searchStatus, type SearchResults } from './search';
import { followTerminalTheme, terminalTheme } from './xtermTheme';

/** After Ctrl+Shift+V, how long to wait for the browser's own paste before reading the clipboard instead. */
const PASTE_FALLBACK_MS = 100;

/** Acks are batched like VS Code's: one message per ~5k characters rendered (or 50 ms). */
const ACK_BATCH_CHARS = 5000;

/**
 * WebGL only pays off on a GPU: a software rasteriser (SwiftShader, llvmpipe —
 * headless browsers, VMs, remote desktops) makes it several times slower than
 * xterm's DOM renderer. `?renderer=webgl|dom` in the URL overrides the choice.
 */
let webglVerdict: boolean | undefined;
function useWebgl(): boolean {
  if (webglVerdict !== undefined) return webglVerdict;
  const forced = new URLSearchParams(location.search).get('renderer');
  if (forced === 'dom' || forced === 'webgl') return (webglVerdict = forced === 'webgl');
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    webglVerdict = Boolean(gl) && !/swiftshader|llvmpipe|softpipe|software/i.test(renderer);
  } catch {
    webglVerdict = false;
  }
  return webglVerdict;
}

export function TerminalView({ client, terminal, active }: { client: BenchtopClient; terminal: TerminalInfo; active: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const searchRef = useRef<SearchAddon | null>(null);
  const [searching, setSearching] = useState(false);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<SearchResults | null>(null);
  /** Off: Tab and Shift+Tab move the focus instead of reaching the shell. */
  const [trapTab, setTrapTab] = useState(true);
  const trapTabRef = useRef(true);
  trapTabRef.current = trapTab;
  const id = terminal.id;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      allowProposedApi: true,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
      fontSize: 13,
      scrollback: 10000,
      theme: terminalTheme(),
    });
    const unfollowTheme = followTerminalTheme((theme) => (term.options.theme = theme));
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    const searchResults = search.onDidChangeResults((r) => setResults(r));
    term.loadAddon(new WebLinksAddon());
    term.loadAddon(new Unicode11Addon());
    term.unicode.activeVersion = '11';
    term.open(el);
    if (useWebgl()) {
      try {
        const webgl = new WebglAddon();
        webgl.onContextLoss(() => webgl.dispose()); // falls back to the DOM renderer
        term.loadAddon(webgl);
      } catch {
        // No WebGL here: xterm's DOM renderer is used.
      }
    }
    termRef.current = term;
    // An inspection handle: with the WebGL renderer the screen is a canvas, so tests
    // (and anyone in devtools) read what xterm shows through its buffer API.
    (el as HTMLDivElement & { benchtopTerminal?: Terminal }).benchtopTerminal = term;
    fitRef.current = fit;
    searchRef.current = search;

    let pendingAck = 0;
    let ackTimer: ReturnType<typeof setTimeout> | undefined;
    const sendAck = () => {
      if (ackTimer) clearTimeout(ackTimer);
      ackTimer = undefined;
      const chars = pendingAck;
      pendingAck = 0;
      if (chars > 0) void client.call('terminals.ack', { id, chars }).catch(() => undefined);
    };
    const acked = (chars: number) => {
      pendingAck += chars;
      if (pendingAck >= ACK_BATCH_CHARS) sendAck();
      else ackTimer ??= setTimeout(sendAck, 50);
    };

    // Events that arrive before attach's answer are already in its scrollback: drop them.
    let attached = false;
    let sized = false;
    let replaying = false;
    const offData = client.on('terminal.data', (p) => {
      if (p.id !== id || !attached) return;
      term.write(p.data, () => acked(p.data.length));
    });
    const visible = () => el.offsetWidth > 0 && el.offsetHeight > 0;
    // Fit to the pane, resize the PTY to it (the program redraws), then read the scrollback:
    // a hidden pane (another terminal's tab, another workspace tab) waits until it is shown.
    const attach = () => {
      if (sized || !visible()) return;
      fit.fit();
      sized = true;
      const { cols, rows } = term;
      void client
        .call('terminals.resize', { id, cols, rows })
        .catch(() => undefined)
        .then(() => client.call('terminals.attach', { id }))
        .then(
          ({ scrollback }) => {
            attached = true;
            if (!scrollback) return;
            // Replayed output holds the program's old queries (vi asks for the cursor position, the
            // terminal type…): xterm's answers to them are not input, and would reach the program as keys.
            replaying = true;
            term.write(scrollback, () => (replaying = false));
          },
          (e: Error) => term.write(`\r\n\x1b[31m${e.message}\x1b[0m\r\n`),
        );
    };

    let pastePending = false;
    const onPaste = () => (pastePending = false);
    el.addEventListener('paste', onPaste, true);
    const input = term.onData((data) => {
      if (!replaying) void client.call('terminals.write', { id, data }).catch(() => undefined);
    });
    const resize = term.onResize(({ cols, rows }) => {
      if (sized) void client.call('terminals.resize', { id, cols, rows }).catch(() => undefined);
    });
    term.attachCustomKeyEventHandler((ev) => {
      if (ev.type === 'keydown' && ev.ctrlKey && !ev.shiftKey && !ev.altKey && !ev.metaKey && ev.key.toLowerCase() === 'm') {
        ev.preventDefault();
        setTrapTab((t) => !t);
        return false;
      }
      // Not handled by xterm and not prevented: the browser moves the focus.
      if (ev.key === 'Tab' && !ev.ctrlKey && !ev.altKey && !ev.metaKey && !trapTabRef.current) return false;
      if (ev.type !== 'keydown' || !ev.ctrlKey || !ev.shiftKey) return true;
      const key = ev.key.toLowerCase();
      if (key === 'c') {
        const sel = term.getSelection();
        if (sel) void navigator.clipboard?.writeText(sel).catch(() => undefined);
        return false;
      }
      if (key === 'v') {
        // The browser pastes (Ctrl+Shift+V is "paste as plain text": a paste event, which xterm turns
        // into input); pasting here as well did it twice. Only where no paste event follows is the
        // clipboard read here.
        pastePending = true;
        setTimeout(() => {
          if (!pastePending) return;
          pastePending = false;
          void navigator.clipboard?.readText().then((text) => text && term.paste(text), () => undefined);
        }, PASTE_FALLBACK_MS);
        return false;
      }
      if (key === 'f') {
        setSearching(true);
        return false;
      }
      return true;
    });
    const observer = new ResizeObserver(() => {
      if (!visible()) return;
      if (sized) fit.fit();
      else attach();
    });
    observer.observe(el);
    attach();
    return () => {
      observer.disconnect();
      unfollowTheme();
      searchResults.dispose();
      el.removeEventListener('paste', onPaste, true);
      offData();
      input.dispose();
      resize.dispose();
      sendAck();
      term.dispose();
      termRef.current = null;
    };
  }, [client, id]);

  useEffect(() => {
    if (active) {
      const el = host.current;
      if (el && el.offsetWidth > 0 && el.offsetHeight > 0) fitRef.current?.fit();
      termRef.current?.focus();
    }
  }, [active]);

  return (
    <div className={`terminal-pane ${active ? 'active' : ''}`} data-testid="terminal" data-terminal-id={id}>
      {searching && (
        <div className="terminal-search" role="search">
          <input
            autoFocus
            value={query}
            aria-label={`Find in ${terminal.title}`}
            placeholder="Find (Enter: next, Shift+Enter: previous, Esc: close)"
            data-testid="terminal-search-input"
            onChange={(e) => {
              const q = e.target.value;
              setQuery(q);
              // Found as you type: the match under the cursor grows with the word instead of jumping on.
              if (q) searchRef.current?.findNext(q, searchOptions({ incremental: true }));
              else {
                searchRef.current?.clearDecorations();
                setResults(null);
              }
            }}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                searchRef.current?.clearDecorations();
                setResults(null);
                setSearching(false);
                termRef.current?.focus();
              } else if (e.key === 'Enter' && query) {
                e.preventDefault();
                if (e.shiftKey) searchRef.current?.findPrevious(query, searchOptions());
                else searchRef.current?.findNext(query, searchOptions());
              }
            }}
          />
          <span className="terminal-search-count" role="status" data-testid="terminal-search-count">
            {query && results ? searchStatus(results) : ''}
          </span>
        </div>
      )}
      <div className="xterm-host" ref={host} />
      {!trapTab && terminal.running && (
        <button
          type="button"
          className="terminal-tabmode"
          data-testid="terminal-tab-mode"
          title="Tab moves the focus out of the terminal instead of reaching the shell. Ctrl+M (or a click here) sends Tab to the shell again."
          onClick={() => {
            setTrapTab(true);
            termRef.current?.focus();
          }}
        >
          Tab moves focus · Ctrl+M
        </button>
      )}
      {!terminal.running && (
        <div className="terminal-exit" data-testid="terminal-exit">
          Shell exited with code {terminal.exitCode}
        </div>
      )}
    </div>
  );
}
