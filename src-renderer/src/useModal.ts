/**
 * A native modal <dialog> for as long as the component is mounted: opened
 * with showModal (focus kept inside, the rest inert), `focus` focused first,
 * and on unmount closed with focus back where it was.
 */
import { useLayoutEffect, type RefObject } from 'react';

export function useModal(dialogRef: RefObject<HTMLDialogElement | null>, focusRef?: RefObject<HTMLElement | null>): void {
  useLayoutEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    const before = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    focusRef?.current?.focus();
    return () => {
      if (dialog.open) dialog.close();
      before?.focus?.();
    };
  }, [dialogRef, focusRef]); // refs: stable, so once per mount
}
