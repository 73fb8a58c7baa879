/**
 * Replays a terminal session's asciicast v2 recording (journal.readRecording)
 * with asciinema-player. The player is loaded on first use: it compiles its
 * WebAssembly terminal emulator as soon as its module is evaluated.
 *
 * The screen is drawn at a readable size (never scaled down to the panel's
 * width: a 142-column session would be 4 px text); the panel scrolls, and
 * "Wide view" gives the replay the whole window.
 */
import type * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { useEffect, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';

let wasm: boolean | null = null;
let playerModule: Promise<typeof AsciinemaPlayer> | null = null;

/** Whether this page may compile WebAssembly (the player's terminal emulator): a CSP needs 'wasm-unsafe-eval'. */
function wasmAllowed(): boolean {
  if (wasm === null) {
    try {
      new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
      wasm = true;
    } catch {
      wasm = false;
    }
  }
  return wasm;
}

export function RecordingPlayer({ client, workspace, seq }: { client: BenchtopClient; workspace: string; seq: number }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<{ loading: boolean; error: string | null; bytes: number }>({ loading: true, error: null, bytes: 0 });
  const [wide, setWide] = useState(false);

  useEffect(() => {
    if (!wide) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setWide(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [wide]);

  useEffect(() => {
    let player: AsciinemaPlayer.Player | null = null;
    let live = true;
    setState({ loading: true, error: null, bytes: 0 });
    client.call('journal.readRecording', { workspace, seq }).then(
      async ({ cast }) => {
        if (!live || !host.current) return;
        const events = cast.split('\n').filter(Boolean).length - 1;
        if (!wasmAllowed()) {
          setState({ loading: false, error: "replay needs WebAssembly, which this window's Content-Security-Policy refuses (script-src needs 'wasm-unsafe-eval')", bytes: cast.length });
          return;
        }
        if (events <= 0) {
          setState({ loading: false, error: 'the recording holds no output', bytes: cast.length });
          return;
        }
        // The player reports failures (a bad cast, WebAssembly refused by a CSP without 'wasm-unsafe-eval') only to its logger.
        const fail = (...args: unknown[]) => live && setState((s) => ({ ...s, loading: false, error: args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ') }));
        const quiet = () => undefined;
        try {
          const { create } = await (playerModule ??= import('asciinema-player'));
          if (!live || !host.current) return;
          // Inline data (a DataSource): the cast text itself, parsed as asciicast.
          player = create({ data: cast, parser: 'asciicast' }, host.current, {
            // Not fitted to the panel: drawn at this size, the panel scrolls (and "Wide view" gives it room).
            fit: false,
            idleTimeLimit: 2,
            controls: true,
            terminalFontSize: '13px',
            preload: true,
            logger: { log: quiet, debug: quiet, info: quiet, warn: quiet, error: fail },
          });
          setState({ loading: false, error: null, bytes: cast.length });
        } catch (err) {
          playerModule = null; // a failed chunk load may succeed next time
          if (live) setState({ loading: false, error: (err as Error).message, bytes: cast.length });
        }
      },
      (err: Error) => live && setState({ loading: false, error: err.message, bytes: 0 }),
    );
    return () => {
      live = false;
      player?.dispose();
    };
  }, [client, workspace, seq]);

  return (
    <div className={`jr-player${wide ? ' jr-player-wide' : ''}`} data-testid="journal-player" data-wide={wide || undefined}>
      <div className="jr-player-bar">
        <span className="jr-output-label">recording</span>
        <span className="jr-spacer" />
        <button type="button" onClick={() => setWide((w) => !w)} data-testid="journal-player-wide" title={wide ? 'back to the panel (Esc)' : 'replay in the whole window'}>
          {wide ? 'Close wide view' : 'Wide view'}
        </button>
      </div>
      {state.loading && <div className="jr-muted">Loading the recording…</div>}
      {state.error && <div className="jr-error">Recording: {state.error}</div>}
      <div ref={host} className="jr-player-host" />
    </div>
  );
}
