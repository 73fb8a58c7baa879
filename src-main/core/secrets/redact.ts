/**
 * Secret classification and redaction. A value is secret when it was given
 * with --secret, or when its env key looks like a credential (the rule terok
 * uses). Redaction replaces every occurrence of a secret value with
 * `<redacted>` in anything written or returned.
 */
export const REDACTED = '<redacted>';

const SENSITIVE_KEY_RE = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY_RE.test(key);
}

/** Splits an env map into plain values and values that must be treated as secrets. */
export function splitSensitive(env: Record<string, string>): {
  plain: Record<string, string>;
  secret: Record<string, string>;
} {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) (isSensitiveKey(k) ? secret : plain)[k] = v;
  return { plain, secret };
}

export interface Redactor {
  text(input: string): string;
  /** Deep-redacts strings inside JSON-like data. */
  value<T>(input: T): T;
}

/** Values shorter than this are not redacted: replacing "1" everywhere would wreck output. */
const MIN_SECRET_LENGTH = 3;

export function createRedactor(secretValues: Iterable<string>): Redactor {
  // Longest first, so a secret that contains another is replaced whole.
  const values = [...new Set(secretValues)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  // One pass with an alternation (longest first): replacing secrets one after another
  // could rewrite a marker already inserted when a secret occurs inside "<redacted>".
  const pattern = values.length ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : null;
  const text = (input: string): string => (pattern ? input.replace(pattern, REDACTED) : input);
  const value = <T>(input: T): T => {
    if (values.length === 0) return input;
    if (typeof input === 'string') return text(input) as T;
    if (Array.isArray(input)) return input.map((x) => value(x)) as T;
    if (input && typeof input === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(input)) out[k] = value(v);
      return out as T;
    }
    return input;
  };
  return { text, value };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Redaction for a stream that arrives in chunks (a terminal): a secret split
 * across two chunks must not slip through. The tail of a chunk that could be
 * the start of a secret is held back until the next chunk (or a flush).
 */
export interface StreamRedactor {
  push(chunk: string): string;
  /** Whatever is held back, redacted. */
  flush(): string;
  /** True while something is held back (the caller flushes it after a short delay). */
  readonly holding: boolean;
}

export function createStreamRedactor(secretValues: Iterable<string>): StreamRedactor {
  const values = [...new Set(secretValues)].filter((v) => v.length >= MIN_SECRET_LENGTH);
  const redactor = createRedactor(values);
  let held = '';
  /** Length of the longest suffix of `text` that is a proper prefix of some secret. */
  const heldLength = (text: string): number => {
    let best = 0;
    for (const v of values) {
      for (let n = Math.min(v.length - 1, text.length); n > best; n--) {
        if (text.endsWith(v.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  };
  return {
    push(chunk) {
      if (values.length === 0) return chunk;
      const text = redactor.text(held + chunk);
      const keep = heldLength(text);
      held = text.slice(text.length - keep);
      return text.slice(0, text.length - keep);
    },
    flush() {
      const out = redactor.text(held);
      held = '';
      return out;
    },
    get holding() {
      return held.length > 0;
    },
  };
}
