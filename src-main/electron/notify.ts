/**
 * OS notifications while the window is not focused: the same changes, with
 * the same words, as the window's toasts (the shared notices module decides).
 * Clicking one brings the window forward on the workspace, or on the
 * command's journal entry. What the window asked for itself (a stop clicked
 * there) is left out: main.ts watches its lifecycle requests (watchOwnActions).
 */
import { Notification, type BrowserWindow } from 'electron';
import { NoticeTracker, noticeRoute, type Notice } from '../../src-preload/notify/notices';
import type { OwnActions } from '../../src-preload/notify/own-actions';
import type { WorkspaceService } from '../core/workspaces/service';

/** Shows a notification for each notice while `win` is not focused; returns a function that stops. */
export function notifyWhileAway(win: BrowserWindow, service: WorkspaceService, own: OwnActions): () => void {
  if (!Notification.isSupported()) return () => undefined;
  const tracker = new NoticeTracker((ws) => own.asked(ws));
  tracker.seed(service.registry.list());
  // Held until clicked or closed: a notification that is garbage-collected loses its click handler.
  const shown = new Set<Notification>();
  const show = (notice: Notice | null) => {
    if (!notice || win.isDestroyed() || win.isFocused()) return;
    const n = new Notification({ title: notice.title, body: notice.body });
    shown.add(n);
    n.on('close', () => shown.delete(n));
    n.on('click', () => {
      shown.delete(n);
      if (win.isDestroyed()) return;
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
      void win.webContents.executeJavaScript(`location.hash = ${JSON.stringify(noticeRoute(notice))}`);
    });
    n.show();
  };
  return service.on({
    workspaceChanged: (ws, removed) => show(tracker.workspaceChanged(ws, removed)),
    journalAppended: (workspaceId, entry) => show(tracker.journalAppended(workspaceId, entry)),
  });
}
