/**
 * A question before something that cannot be undone, in the app's own modal
 * (never the browser's confirm(): that one blocks the page, cannot list what
 * goes, and looks like neither the app nor the OS).
 *
 * A native <dialog> opened with showModal(), as the create dialog is: the page
 * behind is inert, focus starts on Cancel (Enter alone never destroys), stays
 * inside, and returns where it was; Escape and a click on the backdrop cancel.
 * The confirming button says exactly what it does ("Delete 3 workspaces").
 */
import { useRef, type ReactNode } from 'react';
import { useModal } from './useModal';

interface Props {
  title: string;
  /** What will happen, and to what. */
  children: ReactNode;
  /** The confirming button's words: the action and its object, never just "OK". */
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  /** Where a press began: a drag from inside out onto the backdrop is not a click on it. */
  const pressedOnBackdrop = useRef(false);

  useModal(dialogRef, cancelRef);

  return (
    <dialog
      ref={dialogRef}
      className="modal confirm-dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      data-testid="confirm-dialog"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      onMouseDown={(e) => (pressedOnBackdrop.current = e.target === e.currentTarget)}
      onClick={(e) => {
        if (e.target === e.currentTarget && pressedOnBackdrop.current) onCancel();
      }}
    >
      <h3 id="confirm-title">{title}</h3>
      <div className="modal-body" id="confirm-body">
        {children}
      </div>
      <footer className="modal-footer">
        <div className="modal-actions">
          <button type="button" ref={cancelRef} onClick={onCancel} data-testid="confirm-cancel">
            Cancel
          </button>
          <button type="button" className="danger-solid" onClick={onConfirm} data-testid="confirm-accept">
            {confirmLabel}
          </button>
        </div>
      </footer>
    </dialog>
  );
}
