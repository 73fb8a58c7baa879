/**
 * One terminal: xterm.js with fit, search, web links, unicode 11 and the WebGL
 * renderer (DOM fallback). Output is acknowledged from xterm's write callback
 * so main can pause a flooding PTY; the screen is restored from main's
 * scrollback when (re)attaching.
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { TerminalInfo } from '../../../src-preload/contract';

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
      theme: { background: '#14171f', foreground: '#e3e6ea' },
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
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
    const offData = client.on('terminal.data', (p) => {
      if (p.id !== id || !attached) return;
      term.write(p.data, () => acked(p.data.length));
    });
    void client.call('terminals.attach', { id }).then(
      ({ scrollback }) => {
        attached = true;
        if (scrollback) term.write(scrollback);
        fit.fit();
      },
      (e: Error) => term.write(`\r\n\x1b[31m${e.message}\x1b[0m\r\n`),
    );

    const input = term.onData((data) => void client.call('terminals.write', { id, data }).catch(() => undefined));
    const resize = term.onResize(({ cols, rows }) => void client.call('terminals.resize', { id, cols, rows }).catch(() => undefined));
    term.attachCustomKeyEventHandler((ev) => {
      if (ev.type !== 'keydown' || !ev.ctrlKey || !ev.shiftKey) return true;
      const key = ev.key.toLowerCase();
      if (key === 'c') {
        const sel = term.getSelection();
        if (sel) void navigator.clipboard?.writeText(sel).catch(() => undefined);
        return false;
      }
      if (key === 'v') {
        void navigator.clipboard?.readText().then((text) => text && term.paste(text), () => undefined);
        return false;
      }
      if (key === 'f') {
        setSearching(true);
        return false;
      }
      return true;
    });
    const observer = new ResizeObserver(() => {
      if (el.offsetWidth > 0 && el.offsetHeight > 0) fit.fit();
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
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
      fitRef.current?.fit();
      termRef.current?.focus();
    }
  }, [active]);

  return (
    <div className={`terminal-pane ${active ? 'active' : ''}`} data-testid="terminal" data-terminal-id={id}>
      {searching && (
        <div className="terminal-search">
          <input
            autoFocus
            value={query}
            placeholder="Find (Enter: next, Shift+Enter: previous, Esc: close)"
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setSearching(false);
                termRef.current?.focus();
              } else if (e.key === 'Enter') {
                if (e.shiftKey) searchRef.current?.findPrevious(query);
                else searchRef.current?.findNext(query);
              }
            }}
          />
        </div>
      )}
      <div className="xterm-host" ref={host} />
      {!terminal.running && (
        <div className="terminal-exit" data-testid="terminal-exit">
          Shell exited with code {terminal.exitCode}
        </div>
      )}
    </div>
  );
}
