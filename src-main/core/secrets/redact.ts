/**
 * Secret classification and redaction. A value is secret when it was given
 * with --secret, or when its env key looks like a credential (the rule terok
 * uses). Redaction replaces every occurrence of a secret value with
 * `<redacted>` in anything written or returned, and — whether or not the
 * value is known — a URL's password and the value of a SENSITIVE_KEY=value
 * assignment.
 */
export const REDACTED = '<redacted>';

const SENSITIVE_KEY_RE = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY_RE.test(key);
}

/** True when `value` holds a URL with a password (`scheme://user:password@host`). */
export function hasUrlCredentials(value: string): boolean {
  URL_CREDENTIALS_RE.lastIndex = 0;
  return value.includes('://') && URL_CREDENTIALS_RE.test(value);
}

/**
 * Splits an env map into plain values and values that must be treated as
 * secrets: those under a sensitive key, and those that carry a URL password
 * (REPO_URL=https://user:token@host/…), whatever the key.
 */
export function splitSensitive(env: Record<string, string>): {
  plain: Record<string, string>;
  secret: Record<string, string>;
} {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) (isSensitiveKey(k) || hasUrlCredentials(v) ? secret : plain)[k] = v;
  return { plain, secret };
}

export interface Redactor {
  /**
   * Replaces known secret values, the password of any `scheme://user:password@`
   * URL, and the value of any `SENSITIVE_KEY=value` assignment with `<redacted>`.
   */
  text(input: string): string;
  /**
   * Deep-redacts JSON-like data: every string (at any depth, in arrays and
   * objects) goes through text(); a string under a sensitive property name
   * (isSensitiveKey) is replaced whole; numbers, booleans and null pass
   * through. Redact a whole record with it before it is written or returned.
   */
  value<T>(input: T): T;
}

/** Values shorter than this are not redacted: replacing "1" everywhere would wreck output. */
export const MIN_SECRET_LENGTH = 3;

/** Known secret values only (longest first, one pass). */
function valueReplacer(secretValues: Iterable<string>): ((input: string) => string) | null {
  // Longest first, so a secret that contains another is replaced whole.
  const values = [...new Set(secretValues)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  if (values.length === 0) return null;
  // One pass with an alternation (longest first): replacing secrets one after another
  // could rewrite a marker already inserted when a secret occurs inside "<redacted>".
  const pattern = new RegExp(values.map(escapeRegExp).join('|'), 'g');
  return (input) => input.replace(pattern, REDACTED);
}

/**
 * `scheme://user:password@` — the password part, whatever it is. A scheme and
 * `//` are required (`a:b@c` in prose stays); the user part has no `/`, so a
 * port followed by a path with an `@` (`host:443/@types/x`) is not a password;
 * the password runs to the authority's last `@`.
 */
// eslint-disable-next-line no-control-regex -- control characters end a URL
const URL_CREDENTIALS_RE = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:'"`\x00-\x1f\x7f]*:)[^\s/?#'"`\x00-\x1f\x7f]+(?=@)/g;

/**
 * An environment-style assignment whose name is a sensitive key: upper case
 * (`API_TOKEN=`, `DB_PASSWORD=`), a whole name (not the tail of `myAPI_TOKEN`
 * or `x.API_TOKEN`), possibly right after an ANSI colour sequence. Lower-case
 * `key=`/`password=` is code far more often than an env var and is left alone.
 */
// eslint-disable-next-line no-control-regex -- ESC: an ANSI colour may sit right before the name
const SENSITIVE_ASSIGNMENT_RE = /(?:(?<![A-Za-z0-9_.$])|(?<=\x1b\[[0-9;?]*[A-Za-z]))([A-Z_][A-Z0-9_]*)=/g;
const SENSITIVE_NAME_RE = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH/;
/** A string that is exactly one assignment (an argv element such as `API_TOKEN=a b`): its value is the rest of the line. */
const WHOLE_ASSIGNMENT_RE = /^([A-Z_][A-Z0-9_]*)=[^\n]+/;

// eslint-disable-next-line no-control-regex -- control characters (an ANSI escape) end a value
const VALUE_STOP_RE = /[\s\x00-\x1f\x7f]/;

/**
 * Where a value that starts at `from` ends, shell-word style: at whitespace or
 * a control character (an ANSI escape), with '…', "…" and \x taken whole. When
 * the assignment itself sits just inside a quote (`'API_TOKEN=a b'`, as
 * displayCommand quotes an argv element), the value runs to that quote's end.
 */
function valueEnd(text: string, from: number, openQuote: string | undefined): number {
  if (openQuote === "'" || openQuote === '"') {
    let i = from;
    for (;;) {
      const close = closingQuote(text, i, openQuote);
      if (close < 0) {
        const eol = text.indexOf('\n', from);
        return eol < 0 ? text.length : eol;
      }
      // displayCommand writes a ' inside '…' as '\'' : the quote reopens.
      if (openQuote === "'" && text.startsWith("\\''", close + 1)) {
        i = close + 4;
        continue;
      }
      return close;
    }
  }
  let i = from;
  while (i < text.length) {
    const c = text[i] as string;
    if (VALUE_STOP_RE.test(c)) break;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === "'" || c === '"') {
      const close = closingQuote(text, i + 1, c);
      if (close < 0) break;
      i = close + 1;
      continue;
    }
    i++;
  }
  return Math.min(i, text.length);
}

/** Index of the quote, on this line, that closes one opened before `from` (\" is escaped inside "…"), or -1. */
function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') return -1;
    if (quote === '"' && c === '\\') i++;
    else if (c === quote) return i;
  }
  return -1;
}

function redactAssignments(input: string): string {
  if (!input.includes('=')) return input;
  const whole = WHOLE_ASSIGNMENT_RE.exec(input);
  if (whole && SENSITIVE_NAME_RE.test(whole[1] as string)) {
    input = `${whole[1]}=${REDACTED}${input.slice(whole[0].length)}`;
  }
  let out = '';
  let last = 0;
  SENSITIVE_ASSIGNMENT_RE.lastIndex = 0;
  for (let m = SENSITIVE_ASSIGNMENT_RE.exec(input); m; m = SENSITIVE_ASSIGNMENT_RE.exec(input)) {
    const name = m[1] as string;
    const start = m.index + m[0].length;
    if (!SENSITIVE_NAME_RE.test(name)) continue;
    const end = valueEnd(input, start, m.index > 0 ? input[m.index - 1] : undefined);
    if (end <= start) continue;
    out += input.slice(last, start) + REDACTED;
    last = end;
    SENSITIVE_ASSIGNMENT_RE.lastIndex = end;
  }
  return last === 0 ? input : out + input.slice(last);
}

export function createRedactor(secretValues: Iterable<string>): Redactor {
  const replaceValues = valueReplacer(secretValues);
  const text = (input: string): string => {
    // Known values first: a URL password or an assignment that is a known secret becomes one marker.
    let out = replaceValues ? replaceValues(input) : input;
    if (out.includes('://')) out = out.replace(URL_CREDENTIALS_RE, `$1${REDACTED}`);
    return redactAssignments(out);
  };
  const value = <T>(input: T): T => {
    if (typeof input === 'string') return text(input) as T;
    if (Array.isArray(input)) return input.map((x) => value(x)) as T;
    if (input && typeof input === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(input)) out[k] = typeof v === 'string' && v !== '' && isSensitiveKey(k) ? REDACTED : value(v);
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
  const values = [...new Set(secretValues)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  // Known values only, no URL or KEY=value patterns: a shell redraws its line in one write,
  // and a pattern that changed its length would desynchronise readline's cursor.
  const replaceValues = valueReplacer(values) ?? ((s: string) => s);
  const pattern = values.length ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : null;
  const longest = values[0]?.length ?? 0;
  /** Raw text not yet decided on: it could still become a secret. */
  let held = '';
  /**
   * The first index at or after `from` where the rest of `text` could still
   * grow into a secret (a proper prefix of one), or -1. A whole shorter secret
   * there counts: the longer one it begins may follow.
   */
  const pendingFrom = (text: string, from: number): number => {
    for (let i = Math.max(from, text.length - longest + 1); i < text.length; i++) {
      const rest = text.slice(i);
      if (values.some((v) => v.length > rest.length && v.startsWith(rest))) return i;
    }
    return -1;
  };
  return {
    push(chunk) {
      if (!pattern) return chunk;
      // Matches are replaced left to right, longest first, as in the whole text; the scan stops
      // where a secret could still be under way and holds the (raw) rest back for the next chunk.
      const text = held + chunk;
      let out = '';
      let pos = 0;
      let pending = pendingFrom(text, 0);
      for (;;) {
        pattern.lastIndex = pos;
        const m = pattern.exec(text);
        if (!m || (pending >= 0 && pending <= m.index)) break;
        out += text.slice(pos, m.index) + REDACTED;
        pos = m.index + m[0].length;
        if (pending >= 0 && pending < pos) pending = pendingFrom(text, pos);
      }
      const end = pending >= 0 ? pending : text.length;
      held = text.slice(end);
      return out + text.slice(pos, end);
    },
    flush() {
      const out = replaceValues(held);
      held = '';
      return out;
    },
    get holding() {
      return held.length > 0;
    },
  };
}
