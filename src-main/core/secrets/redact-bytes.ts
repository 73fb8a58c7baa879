/**
 * Redaction of a byte stream (a command's stdout or stderr): every occurrence
 * of a secret value's UTF-8 bytes becomes `<redacted>`, and every other byte
 * is kept exactly — output that is not UTF-8 (binary files, Latin-1 text)
 * passes through untouched. A secret split across two chunks is caught: the
 * tail of a chunk that could begin a secret is held back until the next one.
 */
import { REDACTED } from './redact';

/** Values shorter than this are not redacted in output: replacing "1" everywhere would wreck it. */
const MIN_SECRET_BYTES = 3;
const MARKER = Buffer.from(REDACTED);

export interface ByteRedactor {
  push(chunk: Buffer): Buffer;
  /** Whatever is held back (no secret can complete any more). */
  flush(): Buffer;
}

export function createByteRedactor(secretValues: Iterable<string>): ByteRedactor {
  // Longest first, so a secret that contains another is replaced whole.
  const needles = [...new Set(secretValues)]
    .map((v) => Buffer.from(v))
    .filter((b) => b.length >= MIN_SECRET_BYTES)
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return { push: (c) => c, flush: () => Buffer.alloc(0) };
  let held: Buffer = Buffer.alloc(0);

  /** Replaces whole secrets in buf; returns the result and how many bytes at its end may begin a secret. */
  function scan(buf: Buffer, final: boolean): { out: Buffer; keep: number } {
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      let at = -1;
      let len = 0;
      for (const n of needles) {
        const i = buf.indexOf(n, pos);
        if (i >= 0 && (at < 0 || i < at || (i === at && n.length > len))) {
          at = i;
          len = n.length;
        }
      }
      if (at < 0) break;
      parts.push(buf.subarray(pos, at), MARKER);
      pos = at + len;
    }
    const rest = buf.subarray(pos);
    const keep = final ? 0 : heldLength(rest);
    parts.push(rest);
    return { out: Buffer.concat(parts), keep };
  }

  /** Length of the longest suffix of buf that is a proper prefix of some secret. */
  function heldLength(buf: Buffer): number {
    let best = 0;
    for (const n of needles) {
      for (let k = Math.min(n.length - 1, buf.length); k > best; k--) {
        if (buf.subarray(buf.length - k).equals(n.subarray(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  return {
    push(chunk) {
      const { out, keep } = scan(held.length ? Buffer.concat([held, chunk]) : chunk, false);
      // Copy what is held: the caller may reuse the chunk's memory.
      held = Buffer.from(out.subarray(out.length - keep));
      return out.subarray(0, out.length - keep);
    },
    flush() {
      const { out } = scan(held, true);
      held = Buffer.alloc(0);
      return out;
    },
  };
}
