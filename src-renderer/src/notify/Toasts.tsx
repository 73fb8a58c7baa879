/**
 * Toasts in the bottom-right corner for what changed while the researcher
 * looked elsewhere (see the shared notices module for which changes). Each
 * one opens its workspace (a command's: its journal entry), has a close
 * button, and goes by itself after {@link TOAST_MS} unless the pointer or the
 * focus is on it, or the page is hidden (nobody has read it yet).
 * Screen readers hear them through two live regions that are always present
 * (polite for news, assertive for failures), so additions are announced.
 */
import { useEffect, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import { noticeRoute, type Notice } from '../../../src-preload/notify/notices';
import type { OwnActions } from '../../../src-preload/notify/own-actions';
import { useNotices } from './useNotices';
import './toasts.css';

export const TOAST_MS = 8000;

export function Toasts({ client, own }: { client: BenchtopClient; own: OwnActions }) {
  const { notices, dismiss } = useNotices(client, own);
  const open = (n: Notice) => {
    dismiss(n.key);
    location.hash = noticeRoute(n);
  };
  const stack = (level: Notice['level']) =>
    notices.filter((n) => n.level === level).map((n) => <Toast key={n.key} notice={n} onOpen={() => open(n)} onDismiss={() => dismiss(n.key)} />);
  return (
    <section className="toasts" aria-label="Notifications">
      <div role="alert" className="toast-stack">
        {stack('error')}
      </div>
      <div role="status" aria-live="polite" className="toast-stack">
        {stack('info')}
      </div>
    </section>
  );
}

function Toast({ notice, onOpen, onDismiss }: { notice: Notice; onOpen: () => void; onDismiss: () => void }) {
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const hidden = usePageHidden();
  const dismissRef = useRef(onDismiss);
  dismissRef.current = onDismiss;
  const held = hovered || focused || hidden;
  useEffect(() => {
    if (held) return;
    const t = setTimeout(() => dismissRef.current(), TOAST_MS);
    return () => clearTimeout(t);
  }, [held]);
  const where = notice.kind === 'command' ? `Open journal entry #${notice.seq}` : 'Open workspace';
  return (
    <div
      className={`toast toast-${notice.level}`}
      data-testid="toast"
      data-kind={notice.kind}
      data-workspace={notice.workspaceId}
      data-seq={notice.seq ?? undefined}
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => setFocused(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(false);
      }}
    >
      <button type="button" className="toast-open" onClick={onOpen} title={where} data-testid="toast-open">
        <span className="toast-title" data-testid="toast-title">
          {notice.title}
        </span>
        <span className="toast-body" data-testid="toast-body">
          {notice.body}
        </span>
      </button>
      <button type="button" className="toast-close" onClick={onDismiss} aria-label={`Dismiss: ${notice.title}`} data-testid="toast-close">
        ×
      </button>
    </div>
  );
}

function usePageHidden(): boolean {
  const [hidden, setHidden] = useState(() => document.visibilityState === 'hidden');
  useEffect(() => {
    const on = () => setHidden(document.visibilityState === 'hidden');
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  return hidden;
}
