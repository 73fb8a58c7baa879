/**
 * The notices this window shows: workspace and journal events turned into
 * notices by the shared tracker (the same rules as the desktop shell's OS
 * notifications), newest last, at most {@link MAX_SHOWN}.
 */
import { useCallback, useEffect, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import { NoticeTracker, type Notice } from '../../../src-preload/notify/notices';
import type { OwnActions } from '../../../src-preload/notify/own-actions';

/** More than this and the oldest goes: a burst (many workspaces expiring at once) must not cover the window. */
const MAX_SHOWN = 5;

export function useNotices(client: BenchtopClient, own: OwnActions): { notices: Notice[]; dismiss: (key: string) => void } {
  const [notices, setNotices] = useState<Notice[]>([]);
  useEffect(() => {
    const tracker = new NoticeTracker((ws) => own.asked(ws));
    const show = (n: Notice | null) => {
      if (n) setNotices((list) => [...list, n].slice(-MAX_SHOWN));
    };
    const offWs = client.on('workspace.changed', ({ workspace, removed }) => show(tracker.workspaceChanged(workspace, removed)));
    const offJournal = client.on('journal.appended', ({ workspaceId, entry }) => show(tracker.journalAppended(workspaceId, entry)));
    // What is already so when the window opens is the baseline, not news.
    client.call('workspaces.list', {}).then(
      (list) => tracker.seed(list),
      () => undefined,
    );
    return () => {
      offWs();
      offJournal();
    };
  }, [client, own]);
  const dismiss = useCallback((key: string) => setNotices((list) => list.filter((n) => n.key !== key)), []);
  return { notices, dismiss };
}
