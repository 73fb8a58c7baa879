/**
 * Picking a project folder without typing, in the browser host (the desktop
 * app uses the system's dialog instead): the host's folders as the user
 * running Benchtop may read them, one level at a time, from the home folder
 * or the folder typed. A modal <dialog> over the create dialog: Escape closes
 * it alone, focus returns to the Browse button.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useModal } from '../useModal';
import { createPortal } from 'react-dom';
import type { BenchtopClient } from '../../../src-preload/client';
import type { FolderListing } from '../../../src-preload/contract';

interface Props {
  client: BenchtopClient;
  /** Where to start: the folder already in the field, else the home folder. */
  start?: string;
  onPick: (path: string) => void;
  onClose: () => void;
}

export function FolderBrowser({ client, start, onPick, onClose }: Props) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [typed, setTyped] = useState(start ?? '');
  const [hidden, setHidden] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const open = useCallback(
    async (path: string | undefined, showHidden: boolean, focusList = false): Promise<boolean> => {
      try {
        const l = await client.call('host.listFolders', { ...(path ? { path } : {}), hidden: showHidden });
        setListing(l);
        setTyped(l.path);
        setError(null);
        if (focusList) requestAnimationFrame(() => listRef.current?.querySelector<HTMLButtonElement>('button')?.focus());
        return true;
      } catch (err) {
        setError((err as Error).message);
        return false;
      }
    },
    [client],
  );

  useModal(dialogRef);

  useEffect(() => {
    // A start that cannot be listed (not typed yet, or gone) falls back to the home folder.
    void open(start, false).then((ok) => {
      if (!ok && start) void open(undefined, false);
    });
  }, [open, start]);

  return createPortal(
    <dialog
      ref={dialogRef}
      className="modal folder-browser"
      aria-labelledby="folder-title"
      data-testid="folder-browser"
      onCancel={(e) => {
        e.preventDefault();
        // React passes events up its own tree, portals included: the create dialog must not close too.
        e.stopPropagation();
        onClose();
      }}
    >
      <div className="modal-form">
        <h3 id="folder-title">Choose a project folder</h3>
        <div className="modal-body">
          <div className="folder-path">
            <button type="button" disabled={!listing?.parent} onClick={() => listing?.parent && void open(listing.parent, hidden, true)} aria-label="Up to the parent folder" data-testid="folder-up">
              ↑ Up
            </button>
            <label className="sr-only" htmlFor="folder-path-input">
              Folder path
            </label>
            <input
              id="folder-path-input"
              className="mono"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void open(typed.trim() || undefined, hidden, true);
                }
              }}
              data-testid="folder-path"
            />
            <button type="button" onClick={() => void open(typed.trim() || undefined, hidden, true)} data-testid="folder-go">
              Go
            </button>
          </div>
          <label className="small check-inline">
            <input
              type="checkbox"
              checked={hidden}
              onChange={(e) => {
                setHidden(e.target.checked);
                void open(listing?.path, e.target.checked);
              }}
            />{' '}
            show hidden folders
          </label>
          {error && (
            <p className="error small" role="alert" data-testid="folder-error">
              {error}
            </p>
          )}
          {listing && (
            <ul className="folder-list" ref={listRef} aria-label={`Folders in ${listing.path}`} data-testid="folder-list">
              {listing.folders.length === 0 && <li className="muted small">No sub-folders here.</li>}
              {listing.folders.map((f) => (
                <li key={f.path}>
                  <button type="button" className="folder-entry" onClick={() => void open(f.path, hidden, true)} data-testid="folder-entry">
                    {f.name}
                    <span className="muted" aria-hidden="true">
                      /
                    </span>
                  </button>
                </li>
              ))}
              {listing.truncated && <li className="muted small">More folders exist than are shown: type the path.</li>}
            </ul>
          )}
        </div>
        <footer className="modal-footer">
          <div className="modal-actions">
            <button type="button" onClick={onClose} data-testid="folder-cancel">
              Cancel
            </button>
            <button type="button" className="primary" disabled={!listing} onClick={() => listing && onPick(listing.path)} data-testid="folder-choose">
              {listing ? `Use ${listing.path}` : 'Use this folder'}
            </button>
          </div>
        </footer>
      </div>
    </dialog>,
    document.body,
  );
}
