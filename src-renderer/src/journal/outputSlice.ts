/**
 * Pure arithmetic of reading a stored output stream in slices from its end:
 * where a slice may start so that it cuts no UTF-8 character (and, where one
 * is near, no line), and the words that say how much of a stream is shown.
 */
import { fmtBytes } from './format';

/** Bytes read at a time: the first view of a stream is its last slice; "Load earlier" prepends one more. */
export const SLICE_BYTES = 64 * 1024;
/** A slice starts after the first newline within this many bytes (whole lines); else at the first whole character. */
export const LINE_ALIGN_BYTES = 4096;

/**
 * How many leading bytes of a slice to skip so that it starts on a line (the
 * byte after a newline within LINE_ALIGN_BYTES), or at least on a whole UTF-8
 * character (never on a continuation byte 10xxxxxx). A slice that starts the
 * file starts where it is.
 */
export function sliceSkip(bytes: Uint8Array, atFileStart: boolean): number {
  if (atFileStart) return 0;
  const nl = bytes.subarray(0, LINE_ALIGN_BYTES).indexOf(0x0a);
  // Skip the partial line, unless that would leave nothing of the slice.
  if (nl >= 0 && nl + 1 < bytes.length) return nl + 1;
  let i = 0;
  // A character is at most 4 bytes: after 3 continuation bytes the next byte starts one (or the data is not UTF-8).
  while (i < bytes.length && i < 3 && ((bytes[i] as number) & 0xc0) === 0x80) i++;
  return i;
}

/** Where to read the slice before `start` (a file offset): at most SLICE_BYTES back, never before 0. */
export function sliceBefore(start: number, size = SLICE_BYTES): { offset: number; length: number } {
  const offset = Math.max(0, start - size);
  return { offset, length: start - offset };
}

/** Says how much of a stored stream is on screen: "all 12 KiB", "last 64 KiB of 3.2 MiB". */
export function shownLabel(start: number, end: number, stored: number): string {
  if (start <= 0) return `all ${fmtBytes(end)}`;
  return `last ${fmtBytes(end - start)} of ${fmtBytes(stored)}`;
}
