/**
 * Redaction of a byte stream (a command's stdout or stderr): every occurrence
 * of a secret value's UTF-8 bytes becomes `<redacted>`, and every other byte
 * is kept exactly — output that is not UTF-8 (binary files, Latin-1 text)
 * passes through untouched. A secret split across two chunks is caught: the
 * tail of a chunk that could begin a secret is held back until the next one.
 */
import { MIN_SECRET_LENGTH, REDACTED } from './redact';

const MARKER = Buffer.from(REDACTED);

export interface ByteRedactor {
  push(chunk: Buffer): Buffer;
  /** Whatever is held back (no secret can complete any more). */
  flush(): Buffer;
}

/**
 * `secrets`: the secret environment by key. Each value is replaced wherever it
 * occurs; a value too short for that (`AB`) is still replaced where it is shown
 * with its key, as `KEY=AB` (the output of `env`, say).
 */
export function createByteRedactor(secrets: Record<string, string>): ByteRedactor {
  const found: { find: Buffer; replace: Buffer }[] = [];
  for (const [key, value] of Object.entries(secrets)) {
    const v = Buffer.from(value);
    // Shorter values are redacted only next to their key: replacing "1" everywhere would wreck output.
    if (v.length >= MIN_SECRET_LENGTH) found.push({ find: v, replace: MARKER });
    else if (v.length > 0) found.push({ find: Buffer.from(`${key}=${value}`), replace: Buffer.from(`${key}=${REDACTED}`) });
  }
  // Longest first, so a secret that contains another is replaced whole.
  const seen = new Set<string>();
  const rules = found.filter((r) => !seen.has(r.find.toString('latin1')) && seen.add(r.find.toString('latin1'))).sort((a, b) => b.find.length - a.find.length);
  const needles = rules.map((r) => r.find);
  if (needles.length === 0) return { push: (c) => c, flush: () => Buffer.alloc(0) };
  let held: Buffer = Buffer.alloc(0);

  const longest = Math.max(...needles.map((n) => n.length));

  /**
   * Replaces whole secrets in buf, left to right and longest first; returns the
   * result and how many (raw) bytes at its end to hold back because a secret
   * could still be under way there.
   */
  function scan(buf: Buffer, final: boolean): { out: Buffer; keep: number } {
    const parts: Buffer[] = [];
    let pos = 0;
    let pending = final ? -1 : pendingFrom(buf, 0);
    for (;;) {
      let at = -1;
      let rule = rules[0] as (typeof rules)[number];
      for (const r of rules) {
        const i = buf.indexOf(r.find, pos);
        if (i >= 0 && (at < 0 || i < at || (i === at && r.find.length > rule.find.length))) {
          at = i;
          rule = r;
        }
      }
      if (at < 0 || (pending >= 0 && pending <= at)) break;
      parts.push(buf.subarray(pos, at), rule.replace);
      pos = at + rule.find.length;
      if (pending >= 0 && pending < pos) pending = pendingFrom(buf, pos);
    }
    parts.push(buf.subarray(pos));
    return { out: Buffer.concat(parts), keep: pending >= 0 ? buf.length - pending : 0 };
  }

  /**
   * The first index at or after `from` where the rest of buf could still grow
   * into a secret (a proper prefix of one), or -1. A whole shorter secret there
   * counts: the longer one it begins may follow.
   */
  function pendingFrom(buf: Buffer, from: number): number {
    for (let i = Math.max(from, buf.length - longest + 1); i < buf.length; i++) {
      const rest = buf.subarray(i);
      if (needles.some((n) => n.length > rest.length && n.subarray(0, rest.length).equals(rest))) return i;
    }
    return -1;
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
