/**
 * OS notifications while the window is not focused: the same changes, with
 * the same words, as the window's toasts (the shared notices module decides).
 * Clicking one brings the window forward on the workspace, or on the
 * command's journal entry. What the window asked for itself (a stop clicked
 * there) is left out: its lifecycle requests are watched on their way in.
 */
import { Notification, type BrowserWindow } from 'electron';
import type { Envelope, Transport } from '../../src-preload/contract';
import { NoticeTracker, noticeRoute, type Notice } from '../../src-preload/notify/notices';
import { actionTarget, OwnActions } from '../../src-preload/notify/own-actions';
import type { WorkspaceService } from '../core/workspaces/service';

/** The window's transport, with each lifecycle request it sends remembered until a little after its answer. */
export function watchOwnActions(transport: Transport, own: OwnActions): Transport {
  const pending = new Map<number, () => void>();
  return {
    send(message: Envelope) {
      if ((message.t === 'res' || message.t === 'err') && message.id !== null) {
        pending.get(message.id)?.();
        pending.delete(message.id);
      }
      transport.send(message);
    },
    onMessage(handler) {
      return transport.onMessage((message) => {
        if (message.t === 'req') {
          const ref = actionTarget(message.method, message.params);
          if (ref !== null) pending.set(message.id, own.begin(ref));
        }
        handler(message);
      });
    },
  };
}

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
