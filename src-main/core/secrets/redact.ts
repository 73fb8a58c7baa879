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
