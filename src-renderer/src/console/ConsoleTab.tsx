/**
 * A machine's console (a VM's serial console): what the guest kernel and its
 * init said while booting, and any kernel error since. Polled while shown;
 * escapes are rendered as colours by ansi_up, which also escapes HTML, so
 * nothing the guest prints becomes markup.
 */
import { AnsiUp } from 'ansi_up';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { Workspace } from '../../../src-preload/contract';

const POLL_MS = 2000;

export function ConsoleTab({ client, workspace: w }: { client: BenchtopClient; workspace: Workspace }) {
  const [text, setText] = useState<string | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    let live = true;
    const read = () =>
      client.call('workspaces.console', { workspace: w.id }).then(
        (r) => {
          if (!live) return;
          setText(r.text);
          setTruncated(r.truncated);
          setError(null);
        },
        (e: Error) => live && setError(e.message),
      );
    void read();
    const timer = setInterval(read, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, w.id]);

  // Follow the end, as a terminal does, unless the reader scrolled up.
  useEffect(() => {
    const el = pre.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [text]);

  const html = useMemo(() => (text === null ? '' : new AnsiUp().ansi_to_html(text)), [text]);
  return (
    <section className="console-tab" data-testid="console-tab">
      <p className="small muted console-intro">
        The machine’s serial console: what its kernel and init printed while booting, and kernel errors since. Read again every {POLL_MS / 1000} s while shown{truncated ? '; the end of it is shown' : ''}.
      </p>
      {error && <p className="error" role="alert">{error}</p>}
      {text === null && !error && <p className="muted">Reading the console…</p>}
      {text === '' && (
        <p className="muted" data-testid="console-empty">
          {w.state === 'running'
            ? 'Nothing on the console: the machine boots quietly, so only kernel errors and messages from its init show here.'
            : 'The console is empty: the machine has not started yet.'}
        </p>
      )}
      {text && (
        <pre
          ref={pre}
          className="console-text"
          data-testid="console-text"
          // Focusable, so the keyboard can scroll it; named for screen readers.
          tabIndex={0}
          aria-label={`Console of ${w.name}`}
          onScroll={(e) => {
            const el = e.currentTarget;
            atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
          dangerouslySetInnerHTML={{ __html: html }}
        />
      )}
    </section>
  );
}
