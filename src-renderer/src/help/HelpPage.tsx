/**
 * Help: this installation's README, read through the contract (`help.readme`),
 * so it is the same page in the app window and in a browser over `benchtop
 * serve`, offline, and always the README of the version that runs.
 */
import { useEffect, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import { Markdown } from './markdown';
import './help.css';

export function HelpPage({ client }: { client: BenchtopClient }) {
  const [markdown, setMarkdown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.call('help.readme', {}).then(
      (r) => setMarkdown(r.markdown),
      (e: Error) => setError(e.message),
    );
  }, [client]);
  return (
    <div className="page help-page" data-testid="help-page">
      <div className="page-head">
        <h2>Help</h2>
        <span className="muted small">Benchtop’s README</span>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {markdown === null && !error ? <p className="muted">Loading…</p> : markdown !== null && (
        // Focusable, so that a keyboard alone scrolls the long page (arrow keys, Page Down).
        <article className="help-text" tabIndex={0} aria-label="README">
          <Markdown source={markdown} />
        </article>
      )}
    </div>
  );
}
