/** The end of a log file, read without loading the rest (a VM's console can grow for days). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `maxBytes` of `path` from a line start (a missing file is empty), and the file's size. */
export function readTail(path: string, maxBytes: number): { text: string; sizeBytes: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { text: '', sizeBytes: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    let text = buf.subarray(0, n).toString('utf8');
    // Cut mid-file: begin at the next whole line, never inside a character or an escape sequence.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    return { text, sizeBytes: size };
  } finally {
    closeSync(fd);
  }
}
